"""The catalog CSV (the format of ``catalog/data/vet_tests.csv``) as a django-import-export resource.

One definition of the format serves the admin's import (preview, then confirm), its export and ``import_catalog``.
Each widget turns one cell into a value or raises ``ValueError`` with the message the row shows; the resource adds
the rules that span cells (a price, the discount within it, a code once per file). Categories and tags are matched
by slug or name and created as needed: a dry run creates them inside import-export's transaction, which it rolls back.

A package's ``components`` are its tests' codes, ``;``-separated, in the order the package lists them. The column is
optional (files without it import as before and leave components alone); each code must name a test already in the
catalog or on an earlier row of the file, and not another package.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db.models import Max, Prefetch
from django.db.models.functions import Upper
from django.utils.text import slugify
from django.utils.translation import ngettext
from import_export import fields, resources, widgets
from import_export.instance_loaders import BaseInstanceLoader

from catalog.models import LabTest, PackageComponent, TestCategory, TestTag
from diagnopet.spreadsheet import spreadsheet_safe, spreadsheet_text

# Tests in this category are sold as bundles (``LabTest.is_package``).
PACKAGE_CATEGORY_SLUG = "packages"
# Columns a file may leave out: then what they hold is left as it is.
OPTIONAL_COLUMNS = ("components",)
# The species a pet can be (pets.Pet.Species); spelled out here because catalog does not depend on pets.
SPECIES = ("dog", "cat", "bird", "rabbit", "other")
_YES = frozenset({"yes", "y", "true", "1"})
_NO = frozenset({"no", "n", "false", "0", ""})


def _cell(value) -> str:
    """A cell's text, as written: trimmed, and without the apostrophe an export put before a formula-like text
    (``diagnopet.spreadsheet``: every text column, the code, category and tags included, round-trips)."""
    return spreadsheet_text("" if value is None else str(value).strip())


class TextWidget(widgets.Widget):
    def __init__(self, *, max_length: int | None = None, required: bool = False):
        super().__init__()
        self.max_length, self.required = max_length, required

    def clean(self, value, row=None, **kwargs) -> str:
        text = _cell(value)
        if self.required and not text:
            raise ValueError("is required")
        if self.max_length is not None and len(text) > self.max_length:
            raise ValueError(f"is longer than {self.max_length} characters")
        return text

    def render(self, value, obj=None, **kwargs) -> str:
        return spreadsheet_safe("" if value is None else str(value))


class DecimalWidget(widgets.Widget):
    """A non-negative amount with at most ``places`` decimals, taken as written (no locale, no rounding)."""

    def __init__(self, *, max_digits: int, places: int, zero_is_empty: bool = False):
        super().__init__()
        self.max_digits, self.places, self.zero_is_empty = max_digits, places, zero_is_empty

    def clean(self, value, row=None, **kwargs) -> Decimal | None:
        text = _cell(value)
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"'{text}' is not a number") from None
        if not number.is_finite():
            raise ValueError(f"'{text}' is not a number")
        if number.as_tuple().exponent < -self.places:
            raise ValueError(f"'{text}' has more than {self.places} decimal places")
        if number < 0:
            raise ValueError("must not be negative")
        if number >= Decimal(10) ** (self.max_digits - self.places):
            raise ValueError(f"'{text}' is too large")
        # The sample volume: 0 means not measured in millilitres (a swab, a scraping, slides), stored empty.
        return None if self.zero_is_empty and not number else number

    def render(self, value, obj=None, **kwargs) -> str:
        if value is None:
            return "0" if self.zero_is_empty else ""
        return f"{value:.{self.places}f}"


class WholeNumberWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs) -> int | None:
        text = _cell(value)
        if not text:
            return None
        # ASCII digits: str.isdigit() also accepts "²", which int() refuses.
        if not (text.isascii() and text.isdigit()) or len(text) > 9:
            raise ValueError(f"'{text}' is not a whole number")
        number = int(text)
        if number <= 0:
            raise ValueError("must be greater than 0")
        return number


class YesNoWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs) -> bool:
        text = _cell(value)
        if text.lower() in _YES:
            return True
        if text.lower() in _NO:
            return False
        raise ValueError(f"'{text}' is not yes or no")

    def render(self, value, obj=None, **kwargs) -> str:
        return "yes" if value else "no"


def _names(value) -> list[str]:
    """A ``;``-separated list, trimmed, without blanks or repeats (first spelling wins)."""
    seen, names = set(), []
    for part in _cell(value).split(";"):
        name = part.strip()
        if name and name.lower() not in seen:
            seen.add(name.lower())
            names.append(name)
    return names


class SpeciesWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs) -> list[str]:
        species = [name.lower() for name in _names(value)]
        unknown = [name for name in species if name not in SPECIES]
        if unknown:
            raise ValueError(f"unknown species {', '.join(unknown)} (use {', '.join(SPECIES)})")
        return species

    def render(self, value, obj=None, **kwargs) -> str:
        return ";".join(value or [])


class CategoryWidget(widgets.ForeignKeyWidget):
    """A category by name: the one with that slug or name, else a new one at the end of the display order."""

    def __init__(self):
        super().__init__(TestCategory, field="name")

    def clean(self, value, row=None, **kwargs) -> TestCategory:
        name = TextWidget(max_length=100, required=True).clean(value)
        slug = slugify(name)
        if not slug:
            raise ValueError("needs a letter or digit")
        found = TestCategory.objects.filter(slug=slug).first() or TestCategory.objects.filter(name__iexact=name).first()
        if found is None:
            last = TestCategory.objects.aggregate(last=Max("display_order"))["last"] or 0
            found = TestCategory.objects.create(name=name, slug=slug, display_order=last + 1)
        return found

    def render(self, value, obj=None, **kwargs) -> str:
        return "" if value is None else spreadsheet_safe(value.name)


class TagsWidget(widgets.ManyToManyWidget):
    """Tags by name, ``;``-separated: each the tag with that slug or name, else a new one."""

    def __init__(self):
        super().__init__(TestTag, separator=";", field="name")

    @staticmethod
    def names(value) -> list[str]:
        tags = _names(value)
        for tag in tags:
            if len(tag) > 50:
                raise ValueError(f"tag '{tag[:20]}…' is longer than 50 characters")
            if not slugify(tag):
                raise ValueError(f"tag '{tag}' needs a letter or digit")
        return tags

    def clean(self, value, row=None, **kwargs) -> list[TestTag]:
        tags = []
        for name in self.names(value):
            slug = slugify(name)
            found = TestTag.objects.filter(slug=slug).first() or TestTag.objects.filter(name__iexact=name).first()
            tags.append(found or TestTag.objects.create(name=name, slug=slug))
        return tags

    def render(self, value, obj=None, **kwargs) -> str:
        return (
            spreadsheet_safe(";".join(sorted((tag.name for tag in value.all()), key=str.lower)))
            if value is not None
            else ""
        )


class ComponentsWidget(widgets.Widget):
    """A package's tests by code, ``;``-separated, in order: their codes as written (checked against the catalog by
    ``LabTestResource``, which knows the row)."""

    def clean(self, value, row=None, **kwargs) -> list[str]:
        return _names(value)

    def render(self, value, obj=None, **kwargs) -> str:
        return spreadsheet_safe(";".join(value or []))


class CodeInstanceLoader(BaseInstanceLoader):
    """The file's existing tests in one query, matched by code regardless of case (as the unique constraint is)."""

    def __init__(self, resource, dataset=None):
        super().__init__(resource, dataset)
        codes = [_cell(code).upper() for code in dataset["code"]] if dataset and "code" in dataset.headers else []
        tests = LabTest.objects.annotate(code_key=Upper("code")).filter(code_key__in=codes).prefetch_related("tags")
        self.tests = {test.code_key: test for test in tests}

    def get_instance(self, row):
        return self.tests.get(_cell(row.get("code")).upper())


def _component_links():
    return PackageComponent.objects.select_related("test").only("package_id", "position", "test__code")


def _column(name: str, widget: widgets.Widget) -> fields.Field:
    return fields.Field(attribute=name, column_name=name, widget=widget)


class LabTestResource(resources.ModelResource):
    """Create or update lab tests by code (any case); tests not in the file, and ``is_active``, are left alone.

    A row with any problem is an invalid row with a message per column; callers import with
    ``rollback_on_validation_errors`` so that one bad row writes nothing. Unchanged rows are skipped (not saved) and
    reported, so running the same file twice changes nothing the second time.
    """

    code = _column("code", TextWidget(max_length=30, required=True))
    name = _column("name", TextWidget(max_length=200, required=True))
    category = _column("category", CategoryWidget())
    tags = _column("tags", TagsWidget())
    species = _column("species", SpeciesWidget())
    sample_type = _column("sample_type", TextWidget(max_length=100))
    tube_type = _column("tube_type", TextWidget(max_length=100))
    sample_quantity_ml = _column("sample_quantity_ml", DecimalWidget(max_digits=5, places=2, zero_is_empty=True))
    fasting_required = _column("fasting_required", YesNoWidget())
    tat_hours = _column("tat_hours", WholeNumberWidget())
    price = _column("price", DecimalWidget(max_digits=12, places=2))
    discounted_price = _column("discounted_price", DecimalWidget(max_digits=12, places=2))
    description = _column("description", TextWidget())
    collection_instructions = _column("collection_instructions", TextWidget())
    # No model attribute: read in import_instance, written in save_m2m (PackageComponent rows), shown by dehydrate.
    components = fields.Field(column_name="components", widget=ComponentsWidget())

    class Meta:
        model = LabTest
        fields = (
            "code",
            "name",
            "category",
            "tags",
            "species",
            "sample_type",
            "tube_type",
            "sample_quantity_ml",
            "fasting_required",
            "tat_hours",
            "price",
            "discounted_price",
            "description",
            "collection_instructions",
            "components",
        )
        import_id_fields = ("code",)
        instance_loader_class = CodeInstanceLoader
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = False  # every column is checked by its widget, with the file's wording

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen_codes: dict[str, int] = {}
        self.categories_created: list[str] = []
        self.tags_created: list[str] = []
        self._category_ids: set[int] | None = None  # those before the import; None until before_import accepts
        self._tag_ids: set[int] = set()
        # Code (upper case) → the component tests' ids, in order, for the rows of a file with a components column
        # (a code is on one row only: import_instance refuses a repeat).
        self._components: dict[str, list[int]] = {}

    def before_import(self, dataset, **kwargs):
        if not dataset.headers:
            raise ValueError("the file is empty")
        dataset.headers = [_cell(name).lower() for name in dataset.headers]
        missing = [
            column for column in self._meta.fields if column not in dataset.headers and column not in OPTIONAL_COLUMNS
        ]
        if missing:
            del dataset[:]  # every row would only repeat the header's problem
            raise ValueError(
                f"the header is missing {ngettext('the column', 'the columns', len(missing))} {', '.join(missing)}"
            )
        while dataset and not any(_cell(value) for value in dataset[-1]):
            del dataset[-1]  # the blank lines at the end of a spreadsheet export
        self._category_ids = set(TestCategory.objects.values_list("pk", flat=True))
        self._tag_ids = set(TestTag.objects.values_list("pk", flat=True))

    def import_instance(self, instance, row, **kwargs):
        try:
            super().import_instance(instance, row, **kwargs)
            errors = {}
        except ValidationError as error:
            errors = error.update_error_dict({})
        try:
            TagsWidget.names(row["tags"])  # applied after the save; checked here with the other cells
        except ValueError as error:
            errors["tags"] = [str(error)]
        if "price" not in errors and instance.price is None:
            errors["price"] = ["is required"]
        if not errors.keys() & {"price", "discounted_price"} and (instance.discounted_price or 0) > instance.price:
            errors["discounted_price"] = [f"{instance.discounted_price} is more than the price {instance.price}"]
        if "code" not in errors:
            line = kwargs["row_number"] + 1  # as a spreadsheet numbers it: the header is line 1
            first = self.seen_codes.setdefault(instance.code.upper(), line)
            if first != line:
                errors["code"] = [f"'{instance.code}' is already on row {first}"]
        if "category" not in errors:
            instance.is_package = instance.category.slug == PACKAGE_CATEGORY_SLUG
        if "components" in row:
            try:
                self._components[_cell(row.get("code")).upper()] = self._component_ids(instance, row["components"])
            except ValueError as error:
                errors["components"] = [str(error)]
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def _component_ids(instance: LabTest, value) -> list[int]:
        """The component tests' ids, in the cell's order; ``ValueError`` with the row's message when a code is not a
        test in the catalog (or on an earlier row), is a package, or is the package itself."""
        codes = ComponentsWidget().clean(value)
        if not codes:
            return []
        if not instance.is_package:
            raise ValueError(f"only tests in the '{PACKAGE_CATEGORY_SLUG}' category have components")
        if instance.code.upper() in (code.upper() for code in codes):
            raise ValueError("a package cannot contain itself")
        found = {
            test.code_key: test
            for test in LabTest.objects.annotate(code_key=Upper("code"))
            .filter(code_key__in=[code.upper() for code in codes])
            .only("id", "code", "is_package")
        }
        unknown = [code for code in codes if code.upper() not in found]
        if unknown:
            raise ValueError(
                f"{ngettext('unknown test code', 'unknown test codes', len(unknown))} {', '.join(unknown)}"
            )
        packages = [found[code.upper()].code for code in codes if found[code.upper()].is_package]
        if packages:
            raise ValueError(f"{', '.join(packages)} is a package; list its tests instead")
        return [found[code.upper()].pk for code in codes]

    def _components_unchanged(self, instance: LabTest) -> bool:
        wanted = self._components.get(instance.code.upper())
        if wanted is None:
            return True  # no components column: left as they are
        if instance.pk is None:
            return not wanted
        links = PackageComponent.objects.filter(package_id=instance.pk).order_by("position")
        current = list(links.values_list("test_id", flat=True))
        return current == wanted

    def save_m2m(self, instance, row, **kwargs):
        super().save_m2m(instance, row, **kwargs)
        wanted = self._components.get(instance.code.upper())
        if wanted is None or self._components_unchanged(instance):
            return
        # The package's list replaced as a whole (a re-ordered list renumbers every position), in the import's
        # transaction: two statements whatever its length.
        PackageComponent.objects.filter(package_id=instance.pk).delete()
        PackageComponent.objects.bulk_create(
            PackageComponent(package_id=instance.pk, test_id=test_id, position=n)
            for n, test_id in enumerate(wanted, start=1)
        )

    def dehydrate_components(self, test: LabTest) -> str:
        # The export prefetches component_links with their tests (filter_export): no query per row. The import's
        # preview reads a package's list as it is now (one query per package row, before and after), so that its
        # diff shows a changed list.
        if test.pk is None or not test.is_package:
            return ""
        return spreadsheet_safe(";".join(link.test.code for link in test.component_links.all()))

    def skip_row(self, instance, original, row, import_validation_errors=None):
        # is_package follows the category, and is not a column of its own.
        unchanged = super().skip_row(instance, original, row, import_validation_errors)
        return unchanged and instance.is_package == original.is_package and self._components_unchanged(instance)

    def after_import(self, dataset, result, **kwargs):
        if self._category_ids is None:
            return  # before_import refused the file
        new = TestCategory.objects.exclude(pk__in=self._category_ids).order_by("pk")
        self.categories_created = list(new.values_list("name", flat=True))
        self.tags_created = list(
            TestTag.objects.exclude(pk__in=self._tag_ids).order_by("pk").values_list("name", flat=True)
        )

    def filter_export(self, queryset, **kwargs):
        # Two queries whatever the size: the tests with their category, then every test's tags.
        # Three queries whatever the size: the tests with their category, every test's tags, every package's
        # components with their tests (in the package's order: PackageComponent.Meta.ordering).
        return (
            queryset.select_related("category")
            .prefetch_related("tags", Prefetch("component_links", queryset=_component_links()))
            .order_by("code")
        )
