"""What each test measures, as CSV: ``catalog/data/vet_analytes.csv`` (one row per analyte of a test) and
``catalog/data/vet_reference_ranges.csv`` (one row per analyte, species and age band), as django-import-export
resources, in the manner of ``catalog.resources.LabTestResource``: the admin imports them (preview, then confirm)
and exports them back, and ``import_analytes`` / the demo data import them with ``catalog.services``.

A test is named by its catalog code, an analyte by its code within the test (both in any case); a ranges file
names analytes already in the catalog (import the analytes file first: ``analytes_import_csv`` does both in one
transaction). Rows are matched by those codes (and species and age band for a range), so importing the same file
twice changes nothing; analytes and ranges not in the file are left alone.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models.functions import Upper
from django.utils.translation import ngettext
from import_export import fields, resources, widgets
from import_export.instance_loaders import BaseInstanceLoader

from catalog.models import Analyte, LabTest, ReferenceRange
from catalog.ranges import value_parse
from catalog.resources import SPECIES, TextWidget, _cell, _column
from diagnopet.spreadsheet import spreadsheet_safe


def _key(value) -> str:
    return _cell(value).upper()


class TestCodeWidget(widgets.ForeignKeyWidget):
    """A catalog test by its code (any case); it must exist."""

    def __init__(self):
        super().__init__(LabTest, field="code")

    def clean(self, value, row=None, **kwargs) -> LabTest:
        code = _cell(value)
        if not code:
            raise ValueError("is required")
        found = LabTest.objects.annotate(code_key=Upper("code")).filter(code_key=code.upper()).first()
        if found is None:
            raise ValueError(f"unknown test code '{code[:30]}'")
        return found

    def render(self, value, obj=None, **kwargs) -> str:
        return "" if value is None else spreadsheet_safe(value.code)


class SmallNumberWidget(widgets.Widget):
    """A whole number from 0 to ``maximum``; empty is ``default`` (None: no value)."""

    def __init__(self, *, maximum: int, default: int | None = None):
        super().__init__()
        self.maximum, self.default = maximum, default

    def clean(self, value, row=None, **kwargs) -> int | None:
        text = _cell(value)
        if not text:
            return self.default
        if not (text.isascii() and text.isdigit()) or int(text) > self.maximum:
            raise ValueError(f"'{text[:20]}' is not a whole number from 0 to {self.maximum}")
        return int(text)

    def render(self, value, obj=None, **kwargs) -> str:
        return "" if value is None else str(value)


class LimitWidget(widgets.Widget):
    """A range limit: a decimal number (it may be negative), at most 4 decimals; empty is no limit."""

    def clean(self, value, row=None, **kwargs) -> Decimal | None:
        text = _cell(value)
        return value_parse(text, decimals=4) if text else None

    def render(self, value, obj=None, **kwargs) -> str:
        return "" if value is None else format(value.normalize(), "f")


class AnalyteInstanceLoader(BaseInstanceLoader):
    """The file's analytes already in the catalog, in one query, by (test code, analyte code) in any case."""

    def __init__(self, resource, dataset=None):
        super().__init__(resource, dataset)
        tests = {_key(code) for code in dataset["test"]} if dataset and "test" in dataset.headers else set()
        analytes = (
            Analyte.objects.select_related("test").annotate(test_key=Upper("test__code")).filter(test_key__in=tests)
        )
        self.analytes = {(a.test.code.upper(), a.code.upper()): a for a in analytes}

    def get_instance(self, row):
        return self.analytes.get((_key(row.get("test")), _key(row.get("code"))))


class AnalyteResource(resources.ModelResource):
    """Create or update analytes by test and code. ``is_active`` is left as it is (the admin switches it)."""

    test = _column("test", TestCodeWidget())
    code = _column("code", TextWidget(max_length=20, required=True))
    name = _column("name", TextWidget(max_length=100, required=True))
    unit = _column("unit", TextWidget(max_length=30))
    decimals = _column("decimals", SmallNumberWidget(maximum=6, default=1))
    position = _column("position", SmallNumberWidget(maximum=999, default=0))

    class Meta:
        model = Analyte
        fields = ("test", "code", "name", "unit", "decimals", "position")
        import_id_fields = ("test", "code")
        instance_loader_class = AnalyteInstanceLoader
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = False  # every column is checked by its widget, with the file's wording

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen: dict[tuple[str, str], int] = {}

    def before_import(self, dataset, **kwargs):
        _headers_check(dataset, self._meta.fields)

    def import_instance(self, instance, row, **kwargs):
        try:
            super().import_instance(instance, row, **kwargs)
            errors = {}
        except ValidationError as error:
            errors = error.update_error_dict({})
        if not errors.keys() & {"test", "code"}:
            line = kwargs["row_number"] + 1
            first = self.seen.setdefault((instance.test.code.upper(), instance.code.upper()), line)
            if first != line:
                errors["code"] = [f"'{instance.code}' of {instance.test.code} is already on row {first}"]
        if errors:
            raise ValidationError(errors)

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("test").order_by("test__code", "position", "code")


class AnalyteCodeWidget(widgets.Widget):
    """An analyte by its code within the row's test (both must exist)."""

    def clean(self, value, row=None, **kwargs) -> Analyte:
        code = _cell(value)
        if not code:
            raise ValueError("is required")
        test = _cell((row or {}).get("test"))
        found = (
            Analyte.objects.select_related("test")
            .annotate(test_key=Upper("test__code"), code_key=Upper("code"))
            .filter(test_key=test.upper(), code_key=code.upper())
            .first()
        )
        if found is None:
            raise ValueError(f"test '{test[:30]}' has no analyte '{code[:20]}' (import the analytes first)")
        return found

    def render(self, value, obj=None, **kwargs) -> str:
        return "" if value is None else spreadsheet_safe(value.code)


class SpeciesCodeWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs) -> str:
        species = _cell(value).lower()
        if species not in SPECIES:
            raise ValueError(f"unknown species '{species[:20]}' (use {', '.join(SPECIES)})")
        return species

    def render(self, value, obj=None, **kwargs) -> str:
        return value or ""


def _band(row) -> tuple:
    """The row's age band as the instance loader keys it ("06" is 6; a cell that is not a number stays as written,
    matches nothing and is refused by its widget)."""
    band = []
    for column in ("min_age_months", "max_age_months"):
        text = _cell(row.get(column))
        band.append(str(int(text)) if text.isascii() and text.isdigit() else (text or None))
    return tuple(band)


class RangeInstanceLoader(BaseInstanceLoader):
    """The ranges of the file's tests, in one query, by (test, analyte, species, age band)."""

    def __init__(self, resource, dataset=None):
        super().__init__(resource, dataset)
        tests = {_key(code) for code in dataset["test"]} if dataset and "test" in dataset.headers else set()
        ranges = (
            ReferenceRange.objects.select_related("analyte__test")
            .annotate(test_key=Upper("analyte__test__code"))
            .filter(test_key__in=tests)
        )
        self.ranges = {_range_key(r): r for r in ranges}

    def get_instance(self, row):
        species = _cell(row.get("species")).lower()
        return self.ranges.get((_key(row.get("test")), _key(row.get("analyte")), species, *_band(row)))


def _range_key(reference: ReferenceRange) -> tuple:
    ages = (reference.min_age_months, reference.max_age_months)
    return (
        reference.analyte.test.code.upper(),
        reference.analyte.code.upper(),
        reference.species.lower(),
        *(None if age is None else str(age) for age in ages),
    )


class ReferenceRangeResource(resources.ModelResource):
    """Create or update reference ranges by test, analyte, species and age band; with the rules of the model's
    constraints checked per row, with the row's wording."""

    test = fields.Field(column_name="test", widget=TextWidget(required=True))
    analyte = fields.Field(attribute="analyte", column_name="analyte", widget=AnalyteCodeWidget())
    species = fields.Field(attribute="species", column_name="species", widget=SpeciesCodeWidget())
    min_age_months = fields.Field(
        attribute="min_age_months", column_name="min_age_months", widget=SmallNumberWidget(maximum=600)
    )
    max_age_months = fields.Field(
        attribute="max_age_months", column_name="max_age_months", widget=SmallNumberWidget(maximum=600)
    )
    critical_low = fields.Field(attribute="critical_low", column_name="critical_low", widget=LimitWidget())
    low = fields.Field(attribute="low", column_name="low", widget=LimitWidget())
    high = fields.Field(attribute="high", column_name="high", widget=LimitWidget())
    critical_high = fields.Field(attribute="critical_high", column_name="critical_high", widget=LimitWidget())

    class Meta:
        model = ReferenceRange
        fields = (
            "test",
            "analyte",
            "species",
            "min_age_months",
            "max_age_months",
            "critical_low",
            "low",
            "high",
            "critical_high",
        )
        import_id_fields = ("test", "analyte", "species", "min_age_months", "max_age_months")
        instance_loader_class = RangeInstanceLoader
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen: dict[tuple, int] = {}

    def before_import(self, dataset, **kwargs):
        _headers_check(dataset, self._meta.fields)

    def import_instance(self, instance, row, **kwargs):
        try:
            super().import_instance(instance, row, **kwargs)
            errors = {}
        except ValidationError as error:
            errors = error.update_error_dict({})
        if not errors.keys() & {"min_age_months", "max_age_months"}:
            low, high = instance.min_age_months, instance.max_age_months
            if low is not None and high is not None and low >= high:
                errors["max_age_months"] = [f"the age band [{low}, {high}) is empty: max must be above min"]
        limits = {name: getattr(instance, name) for name in ("critical_low", "low", "high", "critical_high")}
        if not errors.keys() & limits.keys():
            for lower, upper in (("low", "high"), ("critical_low", "low"), ("high", "critical_high")):
                if limits[lower] is not None and limits[upper] is not None and limits[lower] > limits[upper]:
                    errors[upper] = [f"{limits[upper]} is below {lower} {limits[lower]}"]
        if not errors.keys() & {"analyte", "species", "min_age_months", "max_age_months"}:
            line = kwargs["row_number"] + 1
            first = self.seen.setdefault(_range_key(instance), line)
            if first != line:
                errors["species"] = [f"this analyte, species and age band are already on row {first}"]
        if errors:
            raise ValidationError(errors)

    def dehydrate_test(self, reference: ReferenceRange) -> str:
        return "" if reference.pk is None else spreadsheet_safe(reference.analyte.test.code)

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("analyte__test").order_by(
            "analyte__test__code", "analyte__position", "analyte__code", "species", "min_age_months"
        )


def _headers_check(dataset, columns) -> None:
    """The header names every column (any case; a file from a spreadsheet may add blank lines at the end)."""
    if not dataset.headers:
        raise ValueError("the file is empty")
    dataset.headers = [_cell(name).lower() for name in dataset.headers]
    missing = [column for column in columns if column not in dataset.headers]
    if missing:
        del dataset[:]
        raise ValueError(
            f"the header is missing {ngettext('the column', 'the columns', len(missing))} {', '.join(missing)}"
        )
    while dataset and not any(_cell(value) for value in dataset[-1]):
        del dataset[-1]
