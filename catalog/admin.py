from auditlog.mixins import AuditlogHistoryAdminMixin
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.urls import reverse
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV
from import_export.forms import ExportForm, ImportForm
from import_export.tmp_storages import CacheStorage

from catalog.models import (
    Analyte,
    LabTest,
    PackageComponent,
    ReferenceRange,
    TestCategory,
    TestTag,
    species_label,
)
from catalog.resources import LabTestResource
from catalog.resources_analytes import AnalyteResource, ReferenceRangeResource
from catalog.services import catalog_import_errors
from diagnopet.admin_base import TIMESTAMPS
from diagnopet.forms import CodeField, duplicate_ignoring_case

# An upload is read whole and kept in the cache between preview and confirm; the catalog is a few hundred rows.
MAX_UPLOAD_BYTES = 1024 * 1024
# The uploads this session previewed (their cache names): only those can be confirmed, by the one who previewed.
SESSION_KEY = "catalog_import_files"


class TestCountMixin:
    """A "tests" column: how many tests carry the row (one annotated query for the page)."""

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(test_count=Count("tests"))

    @admin.display(description="tests", ordering="test_count")
    def test_count(self, obj) -> int:
        return obj.test_count


class CatalogImportForm(ImportForm):
    """import-export's upload form, refusing a file over ``MAX_UPLOAD_BYTES`` or not in UTF-8 before it is read."""

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 1 MB; split it into several imports.")
        try:
            b"".join(upload.chunks()).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError("The file is not UTF-8 text; save it as CSV UTF-8.") from None
        upload.seek(0)
        return upload


class PreviewedImportMixin(ImportExportMixin):
    """import-export's CSV import (preview, then confirm) and export, as the catalog uses them: the upload waits in
    the cache (shared by every instance) between preview and confirm, only an upload this session previewed can be
    confirmed, confirming imports again against the catalog as it is then, and any invalid row writes nothing."""

    import_formats = [CSV]
    export_formats = [CSV]
    import_form_class = CatalogImportForm
    export_form_class = ExportForm  # every column: the export is always a file the import takes back
    skip_export_form = True
    tmp_storage_class = CacheStorage
    import_noun = "row"  # what the preview counts: "3 rows to create"

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def get_import_context_data(self, **kwargs):
        return {**super().get_import_context_data(**kwargs), "import_noun": self.import_noun}

    def get_import_data_kwargs(self, **kwargs):
        # One bad row writes nothing, also when the confirm step finds it (the catalog changed since the preview).
        return {**super().get_import_data_kwargs(**kwargs), "rollback_on_validation_errors": True}

    def _import_url(self) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import")

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        confirm_form = getattr(response, "context_data", {}).get("confirm_form")
        if confirm_form is not None:
            previewed = request.session.get(SESSION_KEY, [])[-4:]
            request.session[SESSION_KEY] = [*previewed, confirm_form.initial["import_file_name"]]
        return response

    def process_import(self, request, **kwargs):
        if not self.has_import_permission(request):
            raise PermissionDenied
        name = request.POST.get("import_file_name", "")
        previewed = request.session.get(SESSION_KEY, [])
        if request.method == "POST" and (name not in previewed or CacheStorage(name=name).read() is None):
            self.message_user(request, "That preview has expired; upload the file again.", messages.ERROR)
            return HttpResponseRedirect(self._import_url())
        request.session[SESSION_KEY] = [other for other in previewed if other != name]
        return super().process_import(request, **kwargs)

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            problems = "; ".join(str(error) for error in catalog_import_errors(result)[:5])
            self.message_user(
                request,
                f"Nothing was imported: the file no longer passes the checks against the catalog ({problems}).",
                messages.ERROR,
            )
            return HttpResponseRedirect(self._import_url())
        return super().process_result(result, request)

    def add_success_message(self, result, request):
        totals = result.totals
        self.message_user(
            request,
            f"{self.opts.verbose_name_plural.capitalize()} imported: {totals['new']} created, "
            f"{totals['update']} updated, {totals['skip']} unchanged.",
            messages.SUCCESS,
        )


@admin.register(TestCategory)
class TestCategoryAdmin(TestCountMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "display_order", "is_active", "test_count")
    ordering = ("display_order", "name")
    list_filter = ("is_active",)
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = TIMESTAMPS


@admin.register(TestTag)
class TestTagAdmin(TestCountMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "test_count")
    ordering = ("name",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = TIMESTAMPS


class PackageComponentInline(admin.TabularInline):
    """A package's tests, in order: booking the package books each as an item of its own."""

    model = PackageComponent
    fk_name = "package"
    fields = ("position", "test")
    autocomplete_fields = ("test",)
    ordering = ("position",)
    extra = 0
    verbose_name = "component test"
    verbose_name_plural = "component tests (packages only; also the CSV's components column)"


@admin.register(PackageComponent)
class PackageComponentAdmin(admin.ModelAdmin):
    """Every package's tests in one list (edited on each package's page, or by the CSV import)."""

    list_display = ("package", "position", "test")
    list_select_related = ("package", "test")
    ordering = ("package__code", "position")
    search_fields = ("package__code", "package__name", "test__code", "test__name")
    autocomplete_fields = ("package", "test")
    readonly_fields = TIMESTAMPS


class ReferenceRangeInline(admin.TabularInline):
    model = ReferenceRange
    extra = 0
    fields = ("species", "min_age_months", "max_age_months", "critical_low", "low", "high", "critical_high")


@admin.register(Analyte)
class AnalyteAdmin(PreviewedImportMixin, AuditlogHistoryAdminMixin, admin.ModelAdmin):
    """What each test measures, with its reference ranges per species: edited here, or imported from a CSV in the
    format of ``catalog/data/vet_analytes.csv`` (``import/``: preview, then confirm; ``AnalyteResource``)."""

    resource_classes = [AnalyteResource]
    import_noun = "analyte"
    import_template_name = "admin/catalog/analyte/import.html"

    list_display = ("test", "position", "code", "name", "unit", "decimals", "is_active")
    list_select_related = ("test",)
    list_filter = ("is_active",)
    ordering = ("test__code", "position", "code")
    search_fields = ("code", "name", "test__code", "test__name")
    autocomplete_fields = ("test",)
    readonly_fields = TIMESTAMPS
    inlines = [ReferenceRangeInline]


class SpeciesFilter(admin.SimpleListFilter):
    """The species the ranges are for, by name ("Dog"), not by the stored code."""

    title = "species"
    parameter_name = "species"

    def lookups(self, request, model_admin):
        codes = ReferenceRange.objects.order_by("species").values_list("species", flat=True).distinct()
        return [(code, species_label(code)) for code in codes]

    def queryset(self, request, queryset):
        return queryset.filter(species=self.value()) if self.value() else queryset


@admin.display(description="species", ordering="species")
def species_name(obj) -> str:
    return species_label(obj.species)


@admin.register(ReferenceRange)
class ReferenceRangeAdmin(PreviewedImportMixin, AuditlogHistoryAdminMixin, admin.ModelAdmin):
    """Every reference range in one list, to compare species and age bands (each is edited on its analyte too), and
    imported from a CSV in the format of ``catalog/data/vet_reference_ranges.csv`` (``ReferenceRangeResource``)."""

    resource_classes = [ReferenceRangeResource]
    import_noun = "reference range"
    import_template_name = "admin/catalog/referencerange/import.html"

    list_display = ("analyte", species_name, "min_age_months", "max_age_months", "critical_low", "low", "high")
    list_select_related = ("analyte", "analyte__test")
    list_filter = (SpeciesFilter,)
    ordering = ("analyte__test__code", "analyte__position", "species")
    search_fields = ("analyte__code", "analyte__name", "analyte__test__code")
    autocomplete_fields = ("analyte",)
    readonly_fields = TIMESTAMPS


class LabTestForm(forms.ModelForm):
    """Test codes as printed (upper case, no spaces); a code another test holds in any case is named on the field."""

    class Meta:
        model = LabTest
        fields = (
            *("code", "name", "category", "tags", "species", "description", "is_package", "is_active"),
            *("price", "discounted_price", "sample_type", "tube_type", "sample_quantity_ml", "fasting_required"),
            *("collection_instructions", "tat_hours"),
        )
        field_classes = {"code": CodeField}

    def clean_code(self):
        code = self.cleaned_data["code"]
        if duplicate_ignoring_case(self, "code", code):
            raise forms.ValidationError("A test with this code already exists.", code="duplicate_code")
        return code


@admin.register(LabTest)
class LabTestAdmin(PreviewedImportMixin, AuditlogHistoryAdminMixin, admin.ModelAdmin):
    """Tests, one by one or from a CSV (``import/``: preview, then confirm) and back to CSV (``export/``), in the
    format of ``catalog/data/vet_tests.csv`` (``LabTestResource``).

    Import needs add and change on tests (the clinic admin); export needs view, since the catalog and its prices
    are public anyway. The upload waits in the cache (shared by every instance) between preview and confirm.
    Confirming imports again against the catalog as it is then, and with any invalid row writes nothing.
    """

    show_auditlog_history_link = True
    form = LabTestForm
    resource_classes = [LabTestResource]
    import_noun = "test"
    import_template_name = "admin/catalog/labtest/import.html"
    list_display = (
        "code",
        "name",
        "category",
        "price",
        "discounted_price",
        "sample_type",
        "tat_hours",
        "fasting_required",
        "is_package",
        "is_active",
    )
    list_select_related = ("category",)
    list_filter = ("is_active", "category", "is_package", "fasting_required", "sample_type", "tags")
    search_fields = ("code", "name", "description")
    autocomplete_fields = ("tags",)
    readonly_fields = TIMESTAMPS
    inlines = [PackageComponentInline]
    fieldsets = (
        (None, {"fields": ("code", "name", "category", "tags", "species", "description", "is_package", "is_active")}),
        ("Price", {"fields": ("price", "discounted_price")}),
        (
            "Sample",
            {
                "fields": (
                    "sample_type",
                    "tube_type",
                    "sample_quantity_ml",
                    "fasting_required",
                    "collection_instructions",
                    "tat_hours",
                )
            },
        ),
        ("Record", {"fields": TIMESTAMPS}),
    )

    def has_import_permission(self, request):
        # An import also creates the categories and tags it names: whoever imports must be allowed to add those too.
        return (
            self.has_add_permission(request)
            and self.has_change_permission(request)
            and request.user.has_perms(["catalog.add_testcategory", "catalog.add_testtag"])
        )

    def get_export_filename(self, request, queryset, file_format):
        return "catalog.csv"

    def add_success_message(self, result, request):
        totals = result.totals
        self.message_user(
            request,
            f"Catalog imported: {totals['new']} created, {totals['update']} updated, {totals['skip']} unchanged.",
            messages.SUCCESS,
        )
