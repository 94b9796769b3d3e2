"""Package components: listed in the catalog CSV (``components``: test codes, ``;``-separated, in order), kept as
PackageComponent rows, shown by the catalog API."""

import csv
import io
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog.models import LabTest, PackageComponent
from catalog.services import CSV_COLUMNS, catalog_import_csv
from catalog.tests.factories import CSV_ROW, LabTestFactory

pytestmark = pytest.mark.django_db

SHIPPED_CSV = Path(apps.get_app_config("catalog").path) / "data" / "vet_tests.csv"
IMPORT = reverse("admin:catalog_labtest_import")
PACKAGE = {"code": "PKG-WELL", "name": "Wellness Panel", "category": "Packages", "price": "2900.00"}


def csv_file(*rows: dict, columns=CSV_COLUMNS) -> io.StringIO:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(CSV_ROW | row for row in rows)
    return io.StringIO(out.getvalue())


def components(code: str) -> list[str]:
    links = PackageComponent.objects.filter(package__code=code).order_by("position")
    return list(links.values_list("test__code", flat=True))


def test_a_package_row_lists_its_tests_in_order():
    result = catalog_import_csv(
        file=csv_file(
            {"code": "HEM-CBC"},
            {"code": "URI-RM", "name": "Urinalysis"},
            {**PACKAGE, "components": "URI-RM; hem-cbc ;"},
        )
    )

    assert result.ok, result.errors
    assert components("PKG-WELL") == ["URI-RM", "HEM-CBC"]
    assert LabTest.objects.get(code="PKG-WELL").is_package


def test_the_same_file_twice_changes_nothing_and_a_new_order_updates_the_package():
    rows = ({"code": "HEM-CBC"}, {"code": "URI-RM", "name": "Urinalysis"}, {**PACKAGE, "components": "HEM-CBC;URI-RM"})
    catalog_import_csv(file=csv_file(*rows))

    again = catalog_import_csv(file=csv_file(*rows))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)

    reordered = catalog_import_csv(file=csv_file(*rows[:2], {**PACKAGE, "components": "URI-RM;HEM-CBC"}))
    assert reordered.updated_codes == ["PKG-WELL"]
    assert components("PKG-WELL") == ["URI-RM", "HEM-CBC"]


def test_a_file_without_the_components_column_imports_and_leaves_components_alone():
    catalog_import_csv(file=csv_file({"code": "HEM-CBC"}, {**PACKAGE, "components": "HEM-CBC"}))
    old_columns = [column for column in CSV_COLUMNS if column != "components"]

    result = catalog_import_csv(
        file=csv_file({"code": "HEM-CBC"}, {**PACKAGE, "price": "2800.00"}, columns=old_columns)
    )

    assert result.ok, result.errors
    assert result.updated_codes == ["PKG-WELL"]
    assert components("PKG-WELL") == ["HEM-CBC"]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({**PACKAGE, "components": "HEM-CBC;NOPE-1"}, "unknown test code NOPE-1"),
        ({**PACKAGE, "components": "PKG-WELL"}, "a package cannot contain itself"),
        ({"code": "BIO-GLU", "components": "HEM-CBC"}, "only tests in the 'packages' category have components"),
    ],
)
def test_a_bad_components_cell_is_an_error_of_its_row_and_nothing_is_written(row, message):
    LabTestFactory(code="HEM-CBC")

    result = catalog_import_csv(file=csv_file(row))

    assert [(e.row, e.column, e.message) for e in result.errors] == [(2, "components", message)]
    assert not PackageComponent.objects.exists()
    assert not LabTest.objects.filter(code=row["code"]).exists()


def test_a_package_inside_a_package_is_refused():
    catalog_import_csv(file=csv_file({"code": "HEM-CBC"}, {**PACKAGE, "components": "HEM-CBC"}))

    result = catalog_import_csv(file=csv_file({**PACKAGE, "code": "PKG-BIG", "components": "PKG-WELL;HEM-CBC"}))

    assert [e.message for e in result.errors] == ["PKG-WELL is a package; list its tests instead"]


def test_the_admin_preview_shows_a_bad_component_code_on_its_row(admin_client):
    data = csv_file({"code": "HEM-CBC"}, {**PACKAGE, "components": "HEM-CBC;XYZ-9"}).getvalue().encode()

    response = admin_client.post(
        IMPORT, {"import_file": SimpleUploadedFile("catalog.csv", data, content_type="text/csv"), "format": "0"}
    )

    assert response.status_code == 200
    errors = {(row.number, tuple(row.field_specific_errors)) for row in response.context["result"].invalid_rows}
    assert errors == {(2, ("components",))}
    html = response.content.decode()
    assert "<td>3</td><td>components</td><td>unknown test code XYZ-9</td>" in html
    assert 'name="confirm"' not in html
    assert not LabTest.objects.exists()


def test_the_shipped_catalog_lists_the_packages_tests():
    assert catalog_import_csv(file=str(SHIPPED_CSV)).ok

    assert components("PKG-WELL") == ["HEM-CBC", "BIO-CHEM", "URI-RM"]
    assert all(components(code) for code in LabTest.objects.filter(is_package=True).values_list("code", flat=True))


def test_the_export_lists_components_in_order(admin_client):
    catalog_import_csv(file=str(SHIPPED_CSV))

    exported = admin_client.get(reverse("admin:catalog_labtest_export")).content.decode()

    rows = {row["code"]: row for row in csv.DictReader(io.StringIO(exported))}
    assert rows["PKG-SENIOR"]["components"] == "HEM-CBC;BIO-CHEM;END-T4;BIO-SDMA;URI-RM"
    assert rows["HEM-CBC"]["components"] == ""


def test_the_catalog_api_shows_a_package_with_its_tests(api_client):
    catalog_import_csv(file=str(SHIPPED_CSV))
    package = LabTest.objects.get(code="PKG-WELL")

    response = api_client.get(f"/api/v1/catalog/tests/{package.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["is_package"] is True
    assert [(c["code"], c["position"]) for c in body["components"]] == [("HEM-CBC", 1), ("BIO-CHEM", 2), ("URI-RM", 3)]
    assert body["components"][0]["tube_type"] == "EDTA (lavender)"
