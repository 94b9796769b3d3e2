import csv
import io
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from catalog.models import LabTest
from catalog.models import TestCategory as Category  # aliased: pytest collects Test* names
from catalog.models import TestTag as Tag
from catalog.services import CSV_COLUMNS, RowError, catalog_import_csv
from catalog.tests.factories import CSV_ROW, LabTestFactory

SHIPPED_CSV = Path(apps.get_app_config("catalog").path) / "data" / "vet_tests.csv"

pytestmark = pytest.mark.django_db

VALID_ROW = CSV_ROW


def csv_text(*rows: dict, columns=CSV_COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({**VALID_ROW, **row})
    return out.getvalue()


def import_command(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_catalog", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def catalog_counts() -> tuple[int, int, int]:
    return LabTest.objects.count(), Category.objects.count(), Tag.objects.count()


def test_imports_the_shipped_catalog():
    out, _ = import_command(str(SHIPPED_CSV))

    assert "48 created, 0 updated, 0 unchanged" in out
    assert LabTest.objects.count() == 48
    assert Category.objects.count() == 10
    packages = LabTest.objects.filter(is_package=True)
    assert set(packages.values_list("code", flat=True)) == {
        "PKG-WELL",
        "PKG-SENIOR",
        "PKG-PREOP",
        "PKG-PUPPY",
        "PKG-TICK",
    }
    assert set(packages.values_list("category__slug", flat=True)) == {"packages"}

    cbc = LabTest.objects.get(code="HEM-CBC")
    assert cbc.name == "Complete Blood Count (CBC)"
    assert cbc.category.name == "Haematology"
    assert set(cbc.tags.values_list("slug", flat=True)) == {"routine", "wellness"}
    assert cbc.species == ["dog", "cat", "rabbit", "bird"]
    assert (cbc.price, cbc.discounted_price) == (Decimal("450.00"), None)
    assert (cbc.sample_quantity_ml, cbc.tat_hours, cbc.fasting_required) == (Decimal("1.00"), 6, False)
    assert cbc.tube_type == "EDTA (lavender)"
    assert cbc.collection_instructions.startswith("Fill to the line")
    assert cbc.is_active

    wellness = LabTest.objects.get(code="PKG-WELL")
    assert (wellness.price, wellness.discounted_price, wellness.fasting_required) == (
        Decimal("2900.00"),
        Decimal("2399.00"),
        True,
    )
    # "0" ml in the file: a swab or scraping, not measured in millilitres.
    assert LabTest.objects.get(code="MIC-SKIN").sample_quantity_ml is None
    assert Tag.objects.get(name="tick fever").slug == "tick-fever"


def test_second_run_changes_nothing():
    import_command(str(SHIPPED_CSV))
    before = sorted(LabTest.objects.values_list("pk", "updated_at"))
    counts = catalog_counts()

    out, _ = import_command(str(SHIPPED_CSV))

    assert "0 created, 0 updated, 48 unchanged" in out
    assert catalog_counts() == counts
    assert sorted(LabTest.objects.values_list("pk", "updated_at")) == before


def test_dry_run_reports_and_writes_nothing():
    out, _ = import_command(str(SHIPPED_CSV), "--dry-run")

    assert "Dry run" in out
    assert "48 created, 0 updated, 0 unchanged" in out
    assert "Would create 10 categories" in out
    assert catalog_counts() == (0, 0, 0)


def test_dry_run_reports_updates_without_writing():
    catalog_import_csv(file=StringIO(csv_text({}, {"code": "BIO-GLU", "name": "Glucose", "tags": ""})))

    result = catalog_import_csv(
        file=StringIO(csv_text({"price": "480.00"}, {"code": "BIO-GLU", "name": "Glucose", "tags": ""})),
        dry_run=True,
    )

    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    assert result.updated_codes == ["HEM-CBC"]
    assert LabTest.objects.get(code="HEM-CBC").price == Decimal("450.00")


def test_updates_a_test_matched_by_code_regardless_of_case():
    catalog_import_csv(file=StringIO(csv_text({})))
    test = LabTest.objects.get(code="HEM-CBC")

    result = catalog_import_csv(
        file=StringIO(
            csv_text(
                {
                    "code": "hem-cbc",
                    "price": "500.00",
                    "discounted_price": "425.50",
                    "tags": "routine;anaemia",
                    "category": "Packages",
                }
            )
        )
    )

    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    test.refresh_from_db()
    assert LabTest.objects.count() == 1
    assert (test.code, test.price, test.discounted_price) == ("hem-cbc", Decimal("500.00"), Decimal("425.50"))
    assert set(test.tags.values_list("name", flat=True)) == {"routine", "anaemia"}
    assert test.category.slug == "packages"
    assert test.is_package


def test_leaves_tests_that_are_not_in_the_file_alone():
    other = LabTestFactory(code="OLD-1", is_active=False)

    catalog_import_csv(file=StringIO(csv_text({})))

    other.refresh_from_db()
    assert other.code == "OLD-1"
    assert not other.is_active
    assert LabTest.objects.count() == 2


def test_reuses_existing_categories_and_tags_by_slug():
    Category.objects.create(name="Haematology", slug="haematology")
    Tag.objects.create(name="Routine", slug="routine")

    result = catalog_import_csv(file=StringIO(csv_text({"tags": "routine"})))

    assert result.categories_created == []
    assert result.tags_created == []
    assert (Category.objects.count(), Tag.objects.count()) == (1, 1)


def test_reads_an_uploaded_file_with_a_byte_order_mark():
    upload = io.BytesIO(("\ufeff" + csv_text({})).encode("utf-8"))

    result = catalog_import_csv(file=upload)

    assert result.ok
    assert result.created_codes == ["HEM-CBC"]


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("price", "abc", "'abc' is not a number"),
        ("price", "NaN", "'NaN' is not a number"),
        ("price", "-5", "must not be negative"),
        ("price", "", "is required"),
        ("price", "12.345", "more than 2 decimal places"),
        ("price", "10000000000", "is too large"),
        ("discounted_price", "450.01", "450.01 is more than the price 450.00"),
        ("code", "", "is required"),
        ("code", "X" * 31, "longer than 30 characters"),
        ("name", "  ", "is required"),
        ("category", "", "is required"),
        ("tat_hours", "six", "'six' is not a whole number"),
        ("tat_hours", "0", "must be greater than 0"),
        ("sample_quantity_ml", "1,5", "'1,5' is not a number"),
        ("fasting_required", "maybe", "'maybe' is not yes or no"),
        ("species", "dog;dragon", "unknown species dragon"),
    ],
)
def test_a_bad_cell_is_reported_with_row_and_column(column, value, message):
    result = catalog_import_csv(file=StringIO(csv_text({"code": "OK-1"}, {column: value})))

    assert len(result.errors) == 1
    error = result.errors[0]
    assert (error.row, error.column) == (3, column)
    assert message in error.message
    assert catalog_counts() == (0, 0, 0)


def test_a_code_repeated_in_the_file_is_an_error():
    result = catalog_import_csv(file=StringIO(csv_text({}, {"code": "hem-cbc"})))

    assert result.errors == [RowError(3, "code", "'hem-cbc' is already on row 2")]


def test_a_missing_column_is_reported_on_the_header_row():
    columns = [c for c in CSV_COLUMNS if c != "price"]

    result = catalog_import_csv(file=StringIO(csv_text({}, columns=columns)))

    # One error for the file, not one per row.
    assert result.errors == [RowError(0, "", "the header is missing the column price")]


def test_a_file_with_a_bad_row_writes_nothing(tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_text(csv_text({}, {"code": "BIO-GLU", "price": "abc"}, {"code": "BIO-LIP", "tat_hours": "x"}))

    with pytest.raises(CommandError, match="2 error"):
        import_command(str(path))

    assert catalog_counts() == (0, 0, 0)


def test_the_command_prints_each_error_with_its_row_and_column(tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_text(csv_text({}, {"code": "BIO-GLU", "price": "abc"}))
    err = StringIO()

    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_catalog", str(path), stdout=StringIO(), stderr=err)

    assert "row 3, price: 'abc' is not a number" in err.getvalue()


def test_a_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        import_command(str(tmp_path / "nope.csv"))


@pytest.mark.parametrize("tat_hours", ["²", "①", "9" * 5000])
def test_a_whole_number_cell_in_unicode_digits_is_a_row_error(tat_hours):
    result = catalog_import_csv(file=StringIO(csv_text({"tat_hours": tat_hours})))

    assert [(error.row, error.column) for error in result.errors] == [(2, "tat_hours")]
    assert catalog_counts() == (0, 0, 0)
