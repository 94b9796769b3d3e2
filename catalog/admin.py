from auditlog.mixins import AuditlogHistoryAdminMixin
from django.contrib import admin
from django.db.models import Count
from django.urls import path

from catalog.admin_views import catalog_export_view, catalog_import_view
from catalog.models import LabTest, TestCategory, TestTag
from diagnopet.admin_base import TIMESTAMPS


class TestCountMixin:
    """A "tests" column: how many tests carry the row (one annotated query for the page)."""

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(test_count=Count("tests"))

    @admin.display(description="tests", ordering="test_count")
    def test_count(self, obj) -> int:
        return obj.test_count


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


@admin.register(LabTest)
class LabTestAdmin(AuditlogHistoryAdminMixin, admin.ModelAdmin):
    """Tests, one by one or from a CSV (``import/``: preview, then confirm) and back to CSV (``export/``)."""

    show_auditlog_history_link = True
    change_list_template = "admin/catalog/labtest/change_list.html"
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

    def changelist_view(self, request, extra_context=None):
        extra_context = {"show_csv_links": self.has_change_permission(request), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(lambda request: function(request, self))

        # Before the stock URLs: "<path:object_id>/" would take these for an object id.
        return [
            path("import/", view(catalog_import_view), name="catalog_labtest_import"),
            path("export/", view(catalog_export_view), name="catalog_labtest_export"),
            *super().get_urls(),
        ]
