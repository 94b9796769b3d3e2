"""Catalog CSV import (upload, preview, confirm) and export in the back-office, through django-import-export."""

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from import_export.tmp_storages import CacheStorage

from accounts.models import StaffRole, User
from accounts.tests.factories import UserFactory
from accounts.tests.staff import logged_in, staff_of
from catalog.admin import MAX_UPLOAD_BYTES, SESSION_KEY
from catalog.models import LabTest
from catalog.models import TestCategory as Category  # aliased: pytest collects Test* names
from catalog.models import TestTag as Tag
from catalog.services import CSV_COLUMNS, catalog_import_csv
from catalog.tests.factories import CSV_ROW, LabTestFactory, TestCategoryFactory, TestTagFactory

pytestmark = pytest.mark.django_db

SHIPPED_CSV = Path(apps.get_app_config("catalog").path) / "data" / "vet_tests.csv"
IMPORT = reverse("admin:catalog_labtest_import")
CONFIRM = reverse("admin:catalog_labtest_process_import")
EXPORT = reverse("admin:catalog_labtest_export")
CHANGELIST = reverse("admin:catalog_labtest_changelist")

ROW = CSV_ROW


def rows(*changes: dict) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    writer.writerows(ROW | change for change in changes)
    return out.getvalue().encode()


def upload(client, data: bytes, name: str = "catalog.csv"):
    return client.post(IMPORT, {"import_file": SimpleUploadedFile(name, data, content_type="text/csv"), "format": "0"})


def confirm(client, preview):
    """Press "Confirm import" on a preview page: post its hidden confirm form back."""
    return client.post(CONFIRM, {**preview.context["confirm_form"].initial, "confirm": "Confirm import"})


def catalog_counts() -> tuple[int, int, int]:
    return LabTest.objects.count(), Category.objects.count(), Tag.objects.count()


class TestImport:
    def test_preview_shows_the_rows_and_writes_nothing_then_confirm_imports(self, admin_client):
        existing = LabTestFactory(code="HEM-CBC", price=Decimal("400.00"))

        preview = upload(admin_client, SHIPPED_CSV.read_bytes())

        assert preview.status_code == 200
        result = preview.context["result"]
        assert (result.totals["new"], result.totals["update"], result.totals["skip"]) == (47, 1, 0)
        html = preview.content.decode()
        assert "47 tests to create" in html
        assert "PKG-WELL" in html  # the rows themselves
        assert 'name="confirm"' in html
        assert catalog_counts() == (1, 1, 0)  # nothing written by the preview, not even categories or tags
        existing.refresh_from_db()
        assert existing.price == Decimal("400.00")

        response = confirm(admin_client, preview)

        assert response.status_code == 302
        assert response["Location"] == CHANGELIST
        assert LabTest.objects.count() == 48
        existing.refresh_from_db()
        assert existing.price == Decimal("450.00")
        assert LabTest.objects.get(code="PKG-WELL").is_package
        messages = [str(m) for m in get_messages(response.wsgi_request)]
        assert "Catalog imported: 47 created, 1 updated, 0 unchanged." in messages
        assert admin_client.session[SESSION_KEY] == []

    def test_importing_the_same_file_again_changes_nothing(self, admin_client):
        catalog_import_csv(file=str(SHIPPED_CSV))
        before = sorted(LabTest.objects.values_list("pk", "updated_at"))

        response = confirm(admin_client, upload(admin_client, SHIPPED_CSV.read_bytes()))

        messages = [str(m) for m in get_messages(response.wsgi_request)]
        assert "Catalog imported: 0 created, 0 updated, 48 unchanged." in messages
        assert sorted(LabTest.objects.values_list("pk", "updated_at")) == before

    def test_a_bad_row_is_shown_by_row_and_column_and_nothing_is_written(self, admin_client):
        response = upload(admin_client, rows({"code": "BIO-GLU"}, {"price": "abc", "species": "dog;dragon"}))

        assert response.status_code == 200
        errors = {(row.number, tuple(row.field_specific_errors)) for row in response.context["result"].invalid_rows}
        assert errors == {(2, ("species", "price"))}
        html = response.content.decode()
        assert "<td>3</td><td>price</td><td>&#x27;abc&#x27; is not a number</td>" in html  # spreadsheet row 3
        assert "unknown species dragon" in html
        assert 'name="confirm"' not in html
        assert SESSION_KEY not in admin_client.session
        assert catalog_counts() == (0, 0, 0)

    def test_a_bad_row_found_on_confirm_writes_nothing(self, admin_client):
        preview = upload(admin_client, rows({"code": "BIO-GLU"}, {}))
        # The stored upload no longer passes (as if the rules had changed since the preview).
        CacheStorage(name=preview.context["confirm_form"].initial["import_file_name"]).save(
            rows({"code": "BIO-GLU"}, {"tat_hours": "six"}).decode()
        )

        response = confirm(admin_client, preview)

        assert response.status_code == 302
        assert response["Location"] == IMPORT
        messages = [str(m) for m in get_messages(response.wsgi_request)]
        assert any("Nothing was imported" in m and "row 3, tat_hours" in m for m in messages)
        assert catalog_counts() == (0, 0, 0)

    def test_confirm_needs_a_file_this_session_previewed(self, admin_client):
        preview = upload(logged_in(staff_of(StaffRole.ADMIN)), rows({}))

        response = confirm(admin_client, preview)  # someone else's upload

        assert response.status_code == 302
        assert response["Location"] == IMPORT
        assert not LabTest.objects.exists()

    def test_confirm_revalidates_against_the_catalog_as_it_is_then(self, admin_client):
        preview = upload(admin_client, rows({}))
        LabTestFactory(code="hem-cbc", price=Decimal("450.00"))  # someone adds the test meanwhile

        response = confirm(admin_client, preview)

        assert response.status_code == 302
        assert LabTest.objects.count() == 1  # matched case-insensitively, updated rather than duplicated
        assert LabTest.objects.get().name == "Complete Blood Count (CBC)"

    def test_a_missing_column_is_one_error_for_the_file(self, admin_client):
        data = rows({}).decode().replace(",price,", ",cost,", 1).encode()

        response = upload(admin_client, data)

        html = response.content.decode()
        assert "the header is missing the column price" in html
        assert "Traceback" not in html
        assert not response.context["result"].invalid_rows

    def test_files_over_one_megabyte_are_refused(self, admin_client):
        response = upload(admin_client, rows({}) + b" " * MAX_UPLOAD_BYTES)

        assert "larger than 1 MB" in str(response.context["form"].errors["import_file"])
        assert "result" not in response.context

    def test_not_utf8_is_an_error(self, admin_client):
        response = upload(admin_client, rows({"name": "Caf\u00e9"}).decode().encode("latin-1"))

        assert "is not UTF-8 text" in str(response.context["form"].errors["import_file"])


class TestExport:
    def test_format_is_the_import_format(self, admin_client):
        LabTestFactory()

        response = admin_client.get(EXPORT)

        assert response["Content-Type"].startswith("text/csv")
        assert response["Content-Disposition"] == 'attachment; filename="catalog.csv"'
        header = response.content.decode().splitlines()[0]
        assert header == SHIPPED_CSV.read_text(encoding="utf-8-sig").splitlines()[0]

    def test_export_then_import_of_the_shipped_catalog_changes_nothing(self, admin_client):
        catalog_import_csv(file=str(SHIPPED_CSV))

        preview = upload(admin_client, admin_client.get(EXPORT).content)

        result = preview.context["result"]
        assert (result.has_validation_errors(), result.totals["new"], result.totals["update"]) == (False, 0, 0)
        assert result.totals["skip"] == 48

    def test_round_trip_of_every_kind_of_value(self, admin_client):
        packages = TestCategoryFactory(name="Packages", slug="packages")
        LabTestFactory(
            code="PKG-1",
            category=packages,
            is_package=True,
            discounted_price=Decimal("400.00"),
            sample_quantity_ml=None,
            tat_hours=None,
            fasting_required=True,
            description='Line one, "quoted"\nline two',
        ).tags.set([TestTagFactory(name="Senior Care"), TestTagFactory(name="wellness")])
        LabTestFactory(code="OTHER", is_active=False, species=[])
        before = list(LabTest.objects.order_by("code").values())

        result = catalog_import_csv(file=io.BytesIO(admin_client.get(EXPORT).content))

        assert (result.ok, result.created, result.updated, result.unchanged) == (True, 0, 0, 2)
        assert list(LabTest.objects.order_by("code").values()) == before

    @pytest.mark.parametrize("text", ['=HYPERLINK("http://x")', "==1+1", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)"])
    def test_text_that_a_spreadsheet_would_run_is_exported_as_text_and_reimported_as_written(self, admin_client, text):
        code = "-T1" if text.startswith("-") else "=T1"  # a code a spreadsheet would run, too
        category = TestCategoryFactory(name=text, slug="formula-like")
        LabTestFactory(code=code, name=text, description=text, category=category).tags.set(
            [TestTagFactory(name=text, slug="formula-tag")]
        )

        exported = admin_client.get(EXPORT).content.decode()

        cells = next(csv.DictReader(io.StringIO(exported)))
        assert cells["name"] == cells["description"] == cells["category"] == cells["tags"] == "'" + text
        assert cells["code"] == "'" + code
        result = catalog_import_csv(file=io.StringIO(exported))
        assert (result.ok, result.created, result.unchanged) == (True, 0, 1), result
        test = LabTest.objects.get(code=code)
        assert (test.name, test.category_id, [tag.name for tag in test.tags.all()]) == (text, category.pk, [text])

    def test_query_count_does_not_grow_with_tests(self, admin_client):
        tag = TestTagFactory()
        for _ in range(3):
            LabTestFactory().tags.add(tag)
        admin_client.get(EXPORT)
        with CaptureQueriesContext(connection) as few:
            admin_client.get(EXPORT)
        for _ in range(30):
            LabTestFactory().tags.add(tag)
        with CaptureQueriesContext(connection) as many:
            response = admin_client.get(EXPORT)
        assert len(response.content.decode().splitlines()) == 34
        assert len(many) == len(few)


@pytest.mark.parametrize("role", [StaffRole.ANALYST, StaffRole.LAB_TECH, StaffRole.COLLECTOR])
def test_only_staff_who_may_add_and_change_tests_import_and_those_who_may_view_export(role):
    client = logged_in(staff_of(role))
    LabTestFactory()

    assert client.get(IMPORT).status_code == 403
    assert upload(client, rows({})).status_code == 403
    assert client.post(CONFIRM, {"import_file_name": "x", "original_file_name": "x", "format": "0"}).status_code == 403
    assert client.get(EXPORT).status_code == 200
    html = client.get(CHANGELIST).content.decode()
    assert IMPORT not in html
    assert EXPORT in html
    assert LabTest.objects.count() == 1


def test_clinic_admin_may_import_and_sees_both_links():
    client = logged_in(staff_of(StaffRole.ADMIN))

    assert client.get(IMPORT).status_code == 200
    html = client.get(CHANGELIST).content.decode()
    assert IMPORT in html
    assert EXPORT in html


def test_lab_test_audit_history_page(admin_client):
    test = LabTestFactory()

    assert admin_client.get(reverse("admin:catalog_labtest_auditlog", args=[test.pk])).status_code == 200


def test_an_import_needs_permission_to_add_the_categories_and_tags_it_creates():
    # Someone given add/change on lab tests only (not a role: a hand-made group) would create categories and tags
    # through the import that they may not add in the admin.
    user = UserFactory(is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_labtest", "change_labtest", "view_labtest"])
    )
    client = logged_in(User.objects.get(pk=user.pk))

    assert client.get(IMPORT).status_code == 403
    assert upload(client, rows({})).status_code == 403
