"""Catalog CSV import (preview, then confirm) and export in the back-office, on catalog_import_csv."""

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import StaffRole
from accounts.roles import roles_setup, staff_set_role
from accounts.tests.factories import StaffProfileFactory
from catalog.admin_views import MAX_UPLOAD_BYTES, SESSION_KEY
from catalog.models import LabTest
from catalog.services import CSV_COLUMNS, catalog_import_csv
from catalog.tests.factories import LabTestFactory, TestCategoryFactory, TestTagFactory

pytestmark = pytest.mark.django_db

SHIPPED_CSV = Path(apps.get_app_config("catalog").path) / "data" / "vet_tests.csv"
IMPORT = reverse("admin:catalog_labtest_import")
EXPORT = reverse("admin:catalog_labtest_export")
CHANGELIST = reverse("admin:catalog_labtest_changelist")


def staff_client(role: str) -> Client:
    roles_setup()
    user = StaffProfileFactory(role=role).user
    staff_set_role(user=user, role=role)
    client = Client()
    client.force_login(user)
    return client


def upload(client, data: bytes, name: str = "catalog.csv"):
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


def one_row(**changes) -> bytes:
    row = {
        "code": "HEM-CBC",
        "name": "Complete Blood Count (CBC)",
        "category": "Haematology",
        "tags": "routine;wellness",
        "species": "dog;cat",
        "sample_type": "Whole blood",
        "tube_type": "EDTA (lavender)",
        "sample_quantity_ml": "1.0",
        "fasting_required": "no",
        "tat_hours": "6",
        "price": "450.00",
        "discounted_price": "",
        "description": "Red and white cell counts.",
        "collection_instructions": "Invert gently.",
    } | changes
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    writer.writerow(row)
    return out.getvalue().encode()


class TestImport:
    def test_preview_writes_nothing_then_confirm_imports(self, admin_client):
        existing = LabTestFactory(code="HEM-CBC", price=Decimal("400.00"))

        preview = upload(admin_client, SHIPPED_CSV.read_bytes())

        assert preview.status_code == 200
        result = preview.context["result"]
        assert (result.dry_run, result.ok, result.created, result.updated) == (True, True, 47, 1)
        assert "HEM-CBC" in result.updated_codes
        assert "47 test(s) to create" in preview.content.decode()
        assert LabTest.objects.count() == 1  # nothing written by the preview
        existing.refresh_from_db()
        assert existing.price == Decimal("400.00")

        confirm = admin_client.post(IMPORT, {"confirm": "Import", "digest": preview.context["digest"]})

        assert confirm.status_code == 302
        assert confirm["Location"] == CHANGELIST
        assert LabTest.objects.count() == 48
        existing.refresh_from_db()
        assert existing.price == Decimal("450.00")
        messages = [str(m) for m in get_messages(confirm.wsgi_request)]
        assert "Catalog imported: 47 created, 1 updated, 0 unchanged." in messages
        assert SESSION_KEY not in admin_client.session

    def test_errors_are_shown_by_row_and_column_and_nothing_is_kept(self, admin_client):
        response = upload(admin_client, one_row(price="abc", species="dog;dragon"))

        assert response.status_code == 200
        errors = {(e.row, e.column) for e in response.context["result"].errors}
        assert errors == {(2, "price"), (2, "species")}
        html = response.content.decode()
        assert "&#x27;abc&#x27; is not a number" in html
        assert "unknown species dragon" in html
        assert 'name="confirm"' not in html
        assert SESSION_KEY not in admin_client.session
        assert not LabTest.objects.exists()

    def test_confirm_needs_the_previewed_file(self, admin_client):
        upload(admin_client, one_row())

        response = admin_client.post(IMPORT, {"confirm": "Import", "digest": "0" * 64})

        assert response.status_code == 302
        assert response["Location"] == IMPORT
        assert not LabTest.objects.exists()

    def test_confirm_revalidates_against_the_catalog_as_it_is_then(self, admin_client):
        preview = upload(admin_client, one_row())
        LabTestFactory(code="hem-cbc", price=Decimal("450.00"))  # someone adds the test meanwhile

        confirm = admin_client.post(IMPORT, {"confirm": "Import", "digest": preview.context["digest"]})

        assert confirm.status_code == 302
        assert LabTest.objects.count() == 1  # matched case-insensitively, updated rather than duplicated
        assert LabTest.objects.get().name == "Complete Blood Count (CBC)"

    def test_files_over_one_megabyte_are_refused(self, admin_client):
        response = upload(admin_client, one_row() + b" " * MAX_UPLOAD_BYTES)

        assert response.context["form"].errors["file"]
        assert response.context["result"] is None

    def test_not_utf8_is_an_error(self, admin_client):
        response = upload(admin_client, one_row(name="Caf\u00e9").decode().encode("latin-1"))

        assert "is not UTF-8 text" in response.content.decode()


class TestExport:
    def test_format_is_the_import_format(self, admin_client):
        LabTestFactory()

        response = admin_client.get(EXPORT)

        assert response["Content-Type"].startswith("text/csv")
        assert "attachment" in response["Content-Disposition"]
        header = response.content.decode().splitlines()[0]
        assert header == SHIPPED_CSV.read_text(encoding="utf-8-sig").splitlines()[0]

    def test_export_then_import_of_the_shipped_catalog_changes_nothing(self, admin_client):
        catalog_import_csv(file=str(SHIPPED_CSV))

        exported = admin_client.get(EXPORT).content
        preview = upload(admin_client, exported)

        result = preview.context["result"]
        assert (result.ok, result.created, result.updated, result.unchanged) == (True, 0, 0, 48)
        assert not result.categories_created
        assert not result.tags_created

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


@pytest.mark.parametrize("role", [StaffRole.ANALYST, StaffRole.LAB_TECH])
def test_only_staff_who_may_change_tests(role):
    client = staff_client(role)

    assert client.get(IMPORT).status_code == 403
    assert upload(client, one_row()).status_code == 403
    assert client.get(EXPORT).status_code == 403
    assert IMPORT not in client.get(CHANGELIST).content.decode()
    assert not LabTest.objects.exists()


def test_admin_role_may_import_and_changelist_links(admin_client):
    client = staff_client(StaffRole.ADMIN)

    assert client.get(IMPORT).status_code == 200
    html = client.get(CHANGELIST).content.decode()
    assert IMPORT in html
    assert EXPORT in html


def test_lab_test_audit_history_page(admin_client):
    test = LabTestFactory()

    assert admin_client.get(reverse("admin:catalog_labtest_auditlog", args=[test.pk])).status_code == 200
