"""Share links: made for one's own delivered reports, expiring, revocable, showing that report only, every opening
logged and shown to the customer."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import StaffUserFactory
from bookings.models import ReportShare, ReportShareAccess
from bookings.services import report_deliver, report_verify
from bookings.tests.factories import BookingFactory
from bookings.tests.publishing_helpers import submitted_report
from pets.tests.factories import PetFactory

pytestmark = pytest.mark.django_db


def share_url(report):
    return reverse("bookings:report-share", args=[report.id])


def delivered_report(user, **kwargs):
    report = submitted_report(booking=BookingFactory(user=user, pet=PetFactory(user=user)), **kwargs)
    report = report_verify(report=report, by=StaffUserFactory())
    return report_deliver(report=report, by=StaffUserFactory())


def test_share_shows_that_report_only_and_logs_each_opening(customer, customer_client, client):
    report = delivered_report(customer)
    response = customer_client.post(share_url(report), {"expires_in_days": 3}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "open"
    assert body["access_count"] == 0
    link = body["url"]
    assert link.startswith("http://127.0.0.1:8000/reports/shared/")
    path = link.removeprefix("http://127.0.0.1:8000")
    expires = datetime.datetime.fromisoformat(body["expires_at"])
    assert abs(expires - (timezone.now() + datetime.timedelta(days=3))) < datetime.timedelta(minutes=1)

    page = client.get(path, HTTP_USER_AGENT="VetClinicBrowser/1.0")
    assert page.status_code == 200
    html = page.content.decode()
    assert report.pet.name in html
    assert "HCT" in html
    assert "10.0" in html
    assert customer.phone not in html
    assert customer.full_name not in html
    assert page["Cache-Control"] == "private, no-store"
    assert page["Referrer-Policy"] == "no-referrer"
    pdf = client.get(path + "/report.pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Disposition"].startswith("attachment;")
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")

    listing = customer_client.get(share_url(report)).json()
    assert listing["count"] == 1
    entry = listing["results"][0]
    assert entry["url"] is None  # the link is shown once
    assert entry["access_count"] == 2
    assert [a["kind"] for a in entry["recent_accesses"]] == ["pdf", "page"]
    assert entry["recent_accesses"][1]["user_agent"] == "VetClinicBrowser/1.0"
    assert len(entry["recent_accesses"][0]["visitor"]) == 16  # a hash, not the address


def test_revoked_and_expired_links_are_gone(customer, customer_client, client):
    report = delivered_report(customer)
    first = customer_client.post(share_url(report), {}, format="json").json()
    second = customer_client.post(share_url(report), {}, format="json").json()
    revoke = reverse("bookings:report-share-revoke", args=[report.id, first["id"]])
    assert customer_client.delete(revoke).status_code == 204
    assert customer_client.delete(revoke).status_code == 204  # twice changes nothing
    gone = client.get(first["url"].removeprefix("http://127.0.0.1:8000"))
    assert gone.status_code == 410
    assert "withdrew" in gone.content.decode()
    assert client.get(first["url"].removeprefix("http://127.0.0.1:8000") + "/report.pdf").status_code == 410

    now = timezone.now()
    ReportShare.objects.filter(pk=second["id"]).update(
        created_at=now - datetime.timedelta(days=8), expires_at=now - datetime.timedelta(seconds=1)
    )
    expired = client.get(second["url"].removeprefix("http://127.0.0.1:8000"))
    assert expired.status_code == 410
    assert "expired" in expired.content.decode()
    assert client.get("/reports/shared/not-a-token").status_code == 404
    assert ReportShareAccess.objects.count() == 0  # refused openings show nothing and log nothing
    states = {s["id"]: s["state"] for s in customer_client.get(share_url(report)).json()["results"]}
    assert states == {first["id"]: "revoked", second["id"]: "expired"}


def test_only_own_delivered_reports_can_be_shared(customer, customer_client, settings):
    unverified = submitted_report(booking=BookingFactory(user=customer))
    assert customer_client.post(share_url(unverified), {}, format="json").status_code == 404
    # Verified but not released by the lab yet: the customer does not see it, so cannot share it either.
    not_released = report_verify(report=submitted_report(booking=BookingFactory(user=customer)), by=StaffUserFactory())
    assert customer_client.post(share_url(not_released), {}, format="json").status_code == 404
    theirs = delivered_report(PetFactory().user)
    assert customer_client.post(share_url(theirs), {}, format="json").status_code == 404
    mine = delivered_report(customer)
    too_long = {"expires_in_days": settings.REPORT_SHARE_MAX_DAYS + 1}
    assert customer_client.post(share_url(mine), too_long, format="json").status_code == 400
    share = ReportShare.objects.create(
        report=theirs,
        created_by=theirs.booking.user,
        token_sha256="f" * 64,
        expires_at=timezone.now() + datetime.timedelta(days=1),
    )
    revoke_theirs = reverse("bookings:report-share-revoke", args=[mine.id, share.id])
    assert customer_client.delete(revoke_theirs).status_code == 404
    share.refresh_from_db()
    assert share.revoked_at is None


def test_open_links_per_report_are_limited(customer, customer_client, settings):
    settings.REPORT_SHARE_MAX_OPEN = 2
    report = delivered_report(customer)
    codes = [customer_client.post(share_url(report), {}, format="json").status_code for _ in range(3)]
    assert codes == [201, 201, 409]


def test_share_list_query_count_is_constant(customer, customer_client, client, django_assert_max_num_queries):
    report = delivered_report(customer)
    link = customer_client.post(share_url(report), {}, format="json").json()["url"]
    client.get(link.removeprefix("http://127.0.0.1:8000"))
    with django_assert_max_num_queries(6) as one:
        customer_client.get(share_url(report))
    for _ in range(5):
        link = customer_client.post(share_url(report), {}, format="json").json()["url"]
        for _ in range(3):
            client.get(link.removeprefix("http://127.0.0.1:8000"))
    with django_assert_max_num_queries(6) as many:
        assert customer_client.get(share_url(report)).json()["count"] == 6
    assert len(one.captured_queries) == len(many.captured_queries)
