"""Verifying a report with result values generates its PDF; the public page confirms genuine reports by code and
hash and refuses altered ones."""

import hashlib
import io
import re
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from pypdf import PdfReader

from accounts.tests.factories import StaffUserFactory
from bookings.models import ResultValue, TestReport
from bookings.public_views import ReportLinkThrottle
from bookings.services import report_amend, report_deliver, report_verify
from bookings.tests.factories import BookingItemFactory, TestReportFactory
from bookings.tests.publishing_helpers import submitted_report
from clinic.tests.factories import ClinicInfoFactory
from diagnopet.errors import Conflict

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% uploaded by a partner lab\n%%EOF\n"


def pdf_text(report: TestReport) -> str:
    with report.report_file.open("rb") as stream:
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(stream.read())).pages)


def test_verification_generates_the_pdf_with_every_analyte_row():
    ClinicInfoFactory(name="Paws Diagnostic Lab")
    report = submitted_report(analytes=12)
    critical = report.results.get(analyte__code="HGB")
    critical.value, critical.flag, critical.comment = Decimal("3.14159"), ResultValue.Flag.CRITICAL_LOW, "Repeated"
    critical.method = "Cyanmethaemoglobin"
    critical.save()
    verifier = StaffUserFactory(full_name="Dr Asha Rao")

    report = report_verify(report=report, by=verifier)

    assert report.report_file
    assert report.verification_code
    assert len(report.file_sha256) == 64
    text = pdf_text(report)
    assert "Paws Diagnostic Lab" in text
    for result in report.results.select_related("analyte"):
        assert result.analyte.code in text
    assert "3.1" in text
    assert "3.14159" not in text
    assert "LL critical" in text
    assert "Repeated" in text
    assert "Cyanmethaemoglobin" in text
    assert report.booking_item.code in text
    assert report.pet.name in text
    assert "Dr Asha Rao" in text
    assert f"/reports/verify/{report.verification_code}" in text.replace("\n", "")
    with report.report_file.open("rb") as stream:
        assert hashlib.sha256(stream.read()).hexdigest() == report.file_sha256


def test_four_eyes_still_holds_for_results():
    report = submitted_report()
    with pytest.raises(Conflict) as refused:
        report_verify(report=report, by=report.uploaded_by)
    assert refused.value.code == "four_eyes"
    report.refresh_from_db()
    assert (report.status, report.report_file.name, report.verification_code) == ("generated", "", None)


def test_an_uploaded_report_keeps_its_file_and_is_sealed():
    item = BookingItemFactory(status="processing")
    report = TestReportFactory(booking_item=item, status="generated", report_file=ContentFile(PDF, name="r.pdf"))
    name = report.report_file.name
    report = report_verify(report=report, by=StaffUserFactory())
    assert report.report_file.name == name
    assert report.file_sha256 == hashlib.sha256(PDF).hexdigest()
    assert report.verification_code


def test_an_amendment_is_a_new_generated_version():
    report = report_verify(report=submitted_report(), by=StaffUserFactory())
    report_deliver(report=report, by=StaffUserFactory())
    amended = report_amend(report=report, file=None, by=StaffUserFactory(), reason="Wrong unit")
    for old in report.results.all():  # the values of the new version, as the lab enters them again
        old.pk, old.report, old.value = None, amended, old.value + 1
        old.save()
    amended = report_verify(report=amended, by=StaffUserFactory())
    assert amended.version == 2
    assert amended.verification_code != report.verification_code
    assert "amended: Wrong unit" in pdf_text(amended)
    report.refresh_from_db()
    assert report.report_file.name != amended.report_file.name  # v1's file is kept as it was


def _verify_page(client, code, **params):
    return client.get(reverse("report-verify", args=[code]), params)


def test_the_verification_page_confirms_a_genuine_report_without_medical_data(client):
    ClinicInfoFactory(name="Paws Diagnostic Lab")
    report = report_verify(report=submitted_report(), by=StaffUserFactory())
    with report.report_file.open("rb") as stream:
        content = stream.read()

    response = _verify_page(client, report.verification_code)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Genuine" in page
    assert "Paws Diagnostic Lab" in page
    assert report.test.name in page
    assert report.pet.name not in page
    assert report.booking.user.phone not in page
    assert "HCT" not in page  # no results
    assert response["Cache-Control"] == "private, no-store"

    exact = _verify_page(client, report.verification_code, sha256=hashlib.sha256(content).hexdigest())
    assert exact.status_code == 200
    assert "this file is the report as verified" in exact.content.decode()
    upload = io.BytesIO(content)
    upload.name = "report.pdf"
    posted = client.post(reverse("report-verify", args=[report.verification_code]), {"file": upload})
    assert posted.status_code == 200
    assert "Genuine" in posted.content.decode()


def test_the_verification_page_refuses_altered_files_and_unknown_codes(client):
    report = report_verify(report=submitted_report(), by=StaffUserFactory())
    with report.report_file.open("rb") as stream:
        content = stream.read()
    tampered = content + b"\n% edited after verification\n"
    refused = _verify_page(client, report.verification_code, sha256=hashlib.sha256(tampered).hexdigest())
    assert refused.status_code == 404
    assert "Not found or altered" in refused.content.decode()
    upload = io.BytesIO(tampered)
    upload.name = "report.pdf"
    assert client.post(reverse("report-verify", args=[report.verification_code]), {"file": upload}).status_code == 404
    assert _verify_page(client, "x" * 24).status_code == 404
    assert _verify_page(client, report.verification_code, sha256="not-a-hash").status_code == 400
    # The stored file changed on disk behind the lab's back: no longer genuine either.
    with report.report_file.open("wb") as stream:
        stream.write(tampered)
    assert _verify_page(client, report.verification_code).status_code == 404


@pytest.mark.parametrize("code", ["\x00", "abc\x00"])
def test_a_verification_code_with_nul_is_not_found_not_a_server_error(client, code):
    # PostgreSQL refuses NUL in a text parameter: such a code is no report's.
    response = _verify_page(client, code)

    assert response.status_code == 404
    assert "Not found or altered" in response.content.decode()


def test_an_unverified_report_has_no_verification_page(client):
    report = submitted_report()
    assert report.verification_code is None
    assert not re.search(r"Genuine", _verify_page(client, "abc").content.decode())


def test_the_public_pages_are_rate_limited(client, monkeypatch):
    monkeypatch.setattr(
        ReportLinkThrottle, "THROTTLE_RATES", {**ReportLinkThrottle.THROTTLE_RATES, "report_link": "3/min"}
    )
    statuses = [_verify_page(client, "nope").status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 429]
