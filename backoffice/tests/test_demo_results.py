"""Issue 22's "done when", on the demo data: a lab technician enters a CBC for several samples from one page, another
verifies, the clinic admin delivers; the customer downloads the generated report, sees the HCT trend of their dog and
sends a share link to their vet, who sees that report and nothing else.

Everything goes through the public surface: the staff API for the collector, the admin pages for the lab, the
customer API, and the share link as an anonymous browser would open it.
"""

import io
from urllib.parse import urlsplit

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from accounts.models import User
from backoffice.demo import DEMO_RESULTS
from backoffice.tests.demo import ADMIN, COLLECTOR, OTHER_TECH, TECH, staff
from bookings.models import BookingItem, TestReport
from catalog.models import Analyte
from conftest import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_data")]

WORKLIST = reverse("admin:bookings_resultvalue_worklist")


def todays_cbc(pet: str) -> BookingItem:
    """The CBC of the pet's visit of today (``TODAY_BOOKINGS``, keyed with today's date). Not "any CBC booked for
    today": before the day's first window (e.g. just after midnight) the week's demo bookings take today's windows
    too, and Bruno's pending booking also has a CBC."""
    today = timezone.localdate()
    return BookingItem.objects.select_related("booking__user", "booking__pet", "test").get(
        test__code="HEM-CBC",
        booking__pet__name=pet,
        booking__booking_date=today,
        booking__idempotency_key__startswith=f"today-{today.isoformat()}-",
    )


def test_a_cbc_entered_for_several_samples_reaches_the_customer_and_their_vet():
    bruno, pepper = todays_cbc("Bruno"), todays_cbc("Pepper")
    # Bruno's visit is made today (the collector's app); Pepper's tube is already on its way to the lab.
    visit = client_for(User.objects.get(phone=COLLECTOR)).post(
        reverse("bookings:collection-collected", args=[bruno.booking_id]),
        {"latitude": "12.978500", "longitude": "77.640900"},
        format="json",
    )
    assert visit.status_code == 200, visit.json()
    tech = staff(TECH)
    for tube in (bruno, pepper):
        received = tech.post(reverse("admin:bookings_bookingitem_receive"), {"code": tube.code})
        assert received.status_code == 200

    # One page of the worklist for the CBC holds both samples; both are entered and ticked for submission at once.
    page = tech.get(WORKLIST, {"test": bruno.test_id})
    assert page.status_code == 200
    html = page.content.decode()
    assert bruno.code in html
    assert pepper.code in html
    analytes = {a.code: a.pk for a in Analyte.objects.filter(test=bruno.test, is_active=True)}
    dog_values = DEMO_RESULTS[("demo-5", "HEM-CBC")]
    form = {}
    for tube, hct in ((bruno, "39.5"), (pepper, "47.0")):
        values = dog_values | {"HCT": hct}
        form |= {f"v-{tube.pk}-{analytes[code]}": value for code, value in values.items()}
        form[f"s-{tube.pk}"] = "on"
    saved = tech.post(f"{WORKLIST}?test={bruno.test_id}", form)
    assert saved.status_code in (200, 302)
    reports = {r.booking_item_id: r for r in TestReport.objects.filter(booking_item__in=[bruno, pepper])}
    assert {r.status for r in reports.values()} == {TestReport.Status.GENERATED}

    # The other technician opens each report, then verifies it (four eyes); the clinic admin delivers both.
    verifier = staff(OTHER_TECH)
    for report in reports.values():
        assert verifier.get(reverse("admin:bookings_testreport_change", args=[report.pk])).status_code == 200
        assert verifier.post(reverse("admin:bookings_testreport_verify", args=[report.pk])).status_code == 302
    delivered = staff(ADMIN).post(
        reverse("admin:bookings_testreport_changelist"),
        {"action": "deliver", ACTION_CHECKBOX_NAME: [r.pk for r in reports.values()]},
    )
    assert delivered.status_code == 302
    assert set(TestReport.objects.filter(booking_item__in=[bruno, pepper]).values_list("status", flat=True)) == {
        TestReport.Status.DELIVERED
    }

    # The customer downloads Bruno's generated report: every analyte of the CBC is in it, with Bruno's HCT.
    customer = client_for(bruno.booking.user)
    mine = customer.get(reverse("bookings:pet-reports", args=[bruno.booking.pet_id])).json()["results"]
    report = next(r for r in mine if r["id"] == reports[bruno.pk].pk)
    pdf = customer.get(report["download_url"])
    assert pdf.status_code == 200
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(b"".join(pdf.streaming_content))).pages)
    assert "Bruno" in text
    assert "39.5" in text
    assert all(code in text for code in analytes)

    # Bruno's health record has the HCT value, and its trend chart is a real PNG.
    results = customer.get(reverse("bookings:pet-results", args=[bruno.booking.pet_id]), {"analyte": "HCT"}).json()
    assert [r["value"] for r in results["results"]] == ["39.5"]
    trend = customer.get(reverse("bookings:pet-result-trend", args=[bruno.booking.pet_id, "HCT"]))
    assert trend.status_code == 200
    assert Image.open(io.BytesIO(trend.content)).format == "PNG"

    # A share link for the vet shows that report, to anyone with the link, and not Pepper's.
    shared = customer.post(
        reverse("bookings:report-share", args=[reports[bruno.pk].pk]), {"expires_in_days": 7}, format="json"
    )
    assert shared.status_code == 201, shared.json()
    vet_page = Client().get(urlsplit(shared.json()["url"]).path)
    assert vet_page.status_code == 200
    shown = vet_page.content.decode()
    for seen in ("Bruno", "Complete Blood Count", "39.5", "Download the report (PDF)"):
        assert seen in shown
    assert "Pepper" not in shown
    # Pepper's owner is someone else: Bruno's owner cannot see or share Pepper's results.
    assert customer.get(reverse("bookings:pet-results", args=[pepper.booking.pet_id])).status_code == 404
