"""Analytes and reference ranges from CSV: the shipped starter set, the command, the admin's preview and confirm."""

import io
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import StaffRole
from accounts.tests.staff import logged_in, staff_of
from catalog.models import Analyte, ReferenceRange
from catalog.ranges import Flag, Limits, flag_for, range_for
from catalog.services import ANALYTES_CSV, RANGES_CSV, analytes_import_csv, catalog_import_csv
from catalog.tests.factories import AnalyteFactory, LabTestFactory

pytestmark = pytest.mark.django_db

CATALOG_CSV = ANALYTES_CSV.parent / "vet_tests.csv"
ANALYTES_HEADER = "test,code,name,unit,decimals,position\n"
RANGES_HEADER = "test,analyte,species,min_age_months,max_age_months,critical_low,low,high,critical_high\n"


def _file(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode())


@pytest.fixture
def catalog():
    catalog_import_csv(file=CATALOG_CSV)


def test_the_starter_set_imports_with_the_catalog_and_twice_changes_nothing(catalog):
    out = io.StringIO()
    call_command("import_analytes", stdout=out)

    assert "analytes: 55 created" in out.getvalue()
    cbc = list(Analyte.objects.filter(test__code="HEM-CBC").order_by("position").values_list("code", flat=True))
    assert cbc == ["HCT", "HGB", "RBC", "WBC", "PLT", "MCV", "MCH", "MCHC", "NEU", "LYM", "MONO", "EOS"]
    chem = set(Analyte.objects.filter(test__code="BIO-CHEM").values_list("code", flat=True))
    assert {"ALT", "ALP", "BUN", "CREA", "GLU", "TP", "ALB", "GLOB", "TBIL", "CHOL", "Ca", "PHOS"} == chem
    hct = Analyte.objects.get(test__code="HEM-CBC", code="HCT")
    assert (hct.unit, hct.decimals) == ("%", 1)
    ranges = list(hct.ranges.all())
    # A dog's and a cat's haematocrit of 50 % are judged differently; a puppy has its own band.
    assert flag_for(Decimal("50"), Limits.of(range_for(ranges, species="dog", age_months=40))) == Flag.NORMAL
    assert flag_for(Decimal("50"), Limits.of(range_for(ranges, species="cat", age_months=40))) == Flag.HIGH
    assert range_for(ranges, species="dog", age_months=3).low == Decimal("28")
    assert flag_for(Decimal("12"), Limits.of(range_for(ranges, species="dog", age_months=40))) == Flag.CRITICAL_LOW

    before = sorted(ReferenceRange.objects.values_list("pk", "updated_at"))
    out = io.StringIO()
    call_command("import_analytes", stdout=out)
    assert "analytes: 0 created, 0 updated, 55 unchanged; ranges: 0 created, 0 updated, 121 unchanged" in (
        out.getvalue()
    )
    assert sorted(ReferenceRange.objects.values_list("pk", "updated_at")) == before


def test_a_dry_run_checks_both_files_and_writes_nothing(catalog):
    result = analytes_import_csv(analytes_file=ANALYTES_CSV, ranges_file=RANGES_CSV, dry_run=True)

    assert result.ok, result.errors
    assert result.ranges["created"] == 121  # the ranges found the analytes the first file adds
    assert not Analyte.objects.exists()


def test_an_update_by_code_in_any_case_keeps_the_row():
    analyte = AnalyteFactory(test=LabTestFactory(code="BIO-GLU"), code="GLU", unit="mmol/L", decimals=1)

    result = analytes_import_csv(analytes_file=_file(ANALYTES_HEADER + "bio-glu,glu,Glucose,mg/dL,0,1\n"))

    assert result.analytes == {"created": 0, "updated": 1, "unchanged": 0}
    analyte.refresh_from_db()
    assert (analyte.code, analyte.unit, analyte.decimals) == ("glu", "mg/dL", 0)


def test_errors_name_the_file_row_and_column_and_nothing_is_written():
    LabTestFactory(code="BIO-GLU")
    analytes = ANALYTES_HEADER + "BIO-GLU,GLU,Glucose,mg/dL,0,1\nNOPE,X,X,,1,1\nBIO-GLU,glu,Again,,9,2\n"

    result = analytes_import_csv(analytes_file=_file(analytes))

    assert [str(e) for e in result.errors] == [
        "row 3, analytes: test: unknown test code 'NOPE'",
        "row 4, analytes: decimals: '9' is not a whole number from 0 to 6",
        "row 4, analytes: code: 'glu' of BIO-GLU is already on row 2",
    ]
    assert not Analyte.objects.exists()


def test_a_range_that_breaks_the_rules_is_refused_with_its_reason():
    AnalyteFactory(test=LabTestFactory(code="BIO-GLU"), code="GLU")
    ranges = RANGES_HEADER + (
        "BIO-GLU,GLU,dog,,,50,70,143,500\n"
        "BIO-GLU,GLU,dragon,,,,1,2,\n"
        "BIO-GLU,GLU,cat,,,80,74,159,\n"
        "BIO-GLU,GLU,cat,12,12,,1,2,\n"
        "BIO-GLU,XX,cat,,,,1,2,\n"
        "BIO-GLU,GLU,rabbit,,,,1,abc,\n"
        "BIO-GLU,glu,DOG,,,,1,2,\n"
    )

    result = analytes_import_csv(ranges_file=_file(ranges))

    messages = [str(e) for e in result.errors]
    assert messages == [
        "row 3, ranges: species: unknown species 'dragon' (use dog, cat, bird, rabbit, other)",
        "row 4, ranges: low: 74 is below critical_low 80",
        "row 5, ranges: max_age_months: the age band [12, 12) is empty: max must be above min",
        "row 6, ranges: analyte: test 'BIO-GLU' has no analyte 'XX' (import the analytes first)",
        "row 7, ranges: high: 'abc' is not a number",
        "row 8, ranges: species: this analyte, species and age band are already on row 2",
    ]
    assert not ReferenceRange.objects.exists()


def test_the_command_refuses_a_bad_file(tmp_path, catalog):
    bad = tmp_path / "analytes.csv"
    bad.write_text(ANALYTES_HEADER + "HEM-CBC,HCT,Haematocrit,%,x,1\n")

    with pytest.raises(CommandError, match="1 error"):
        call_command("import_analytes", analytes=str(bad), no_ranges=True, stderr=io.StringIO())
    assert not Analyte.objects.exists()


def _upload(client, url: str, data: bytes):
    return client.post(url, {"import_file": SimpleUploadedFile("a.csv", data, content_type="text/csv"), "format": "0"})


def test_the_admin_previews_then_imports_analytes_and_then_ranges(admin_client, catalog):
    for model, path, count, noun in (
        ("analyte", ANALYTES_CSV, 55, "analyte"),
        ("referencerange", RANGES_CSV, 121, "reference range"),
    ):
        preview = _upload(admin_client, reverse(f"admin:catalog_{model}_import"), path.read_bytes())
        assert preview.status_code == 200
        assert f"{count} {noun}s to create" in preview.content.decode()

        response = admin_client.post(
            reverse(f"admin:catalog_{model}_process_import"),
            {**preview.context["confirm_form"].initial, "confirm": "Confirm import"},
        )

        assert response.status_code == 302
        messages = [str(m) for m in get_messages(response.wsgi_request)]
        assert any(f"imported: {count} created" in m for m in messages), messages
    assert ReferenceRange.objects.count() == 121


def test_the_admin_refuses_a_file_that_is_not_utf8(admin_client):
    response = _upload(admin_client, reverse("admin:catalog_analyte_import"), "test,code\nHEM,é\n".encode("latin-1"))

    assert "not UTF-8" in response.content.decode()


def test_lab_techs_see_analytes_but_do_not_import_them():
    client = logged_in(staff_of(StaffRole.LAB_TECH))

    assert client.get(reverse("admin:catalog_analyte_changelist")).status_code == 200
    assert client.get(reverse("admin:catalog_analyte_import")).status_code == 403
