"""The statement pages by role, their CSV and PDF read back, and hand-overs recorded in the admin."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import StaffRole
from accounts.tests.staff import clinic_admin, logged_in, staff_of
from settlement.models import CashHandover, CollectorPayout
from settlement.tests.factories import CashHandoverFactory, CollectorFeeFactory, CollectorPayoutFactory
from settlement.tests.test_statement import _at, _cash


def _statement_url(collector, **query) -> str:
    url = reverse("admin:settlement_collectorstatement_statement", args=[collector.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.fixture
def collector(db):
    return staff_of(StaffRole.COLLECTOR)


@pytest.fixture
def march(collector):
    """A month with a visit paid in cash, a hand-over and a payout."""
    CollectorFeeFactory(collector=collector, effective_from=datetime.date(2026, 1, 1), fee_per_visit=Decimal("75"))
    payment = _cash(collector, _at(5), Decimal("1200.00"))
    CashHandover.objects.create(
        collector=collector, amount=Decimal("1000.00"), handed_at=_at(6), received_by=clinic_admin()
    )
    CollectorPayoutFactory(collector=collector, amount=Decimal("75.00"), reference="NEFT42", paid_at=_at(20))
    return payment


@pytest.mark.django_db
def test_clinic_admin_sees_every_collector_and_a_collector_only_themselves(collector):
    other = staff_of(StaffRole.COLLECTOR, phone="+919800000002")
    listing = reverse("admin:settlement_collectorstatement_changelist")

    admin_rows = logged_in(clinic_admin()).get(listing).context["cl"].result_list
    own_rows = logged_in(collector).get(listing).context["cl"].result_list

    assert {row.pk for row in admin_rows} == {collector.pk, other.pk}
    assert [row.pk for row in own_rows] == [collector.pk]
    assert logged_in(collector).get(_statement_url(collector)).status_code == 200
    assert logged_in(collector).get(_statement_url(other)).status_code == 404
    assert logged_in(collector).get(_statement_url(other, format="csv")).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("month", ["9999-12", "0001-01", "9999-11"])
@pytest.mark.parametrize("fmt", ["", "csv", "pdf"])
def test_a_month_at_the_end_of_the_calendar_is_not_found_not_a_server_error(collector, month, fmt):
    # The page links the month before and after, and the statement sums up to the next month's first day.
    query = {"month": month, **({"format": fmt} if fmt else {})}

    assert logged_in(collector).get(_statement_url(collector, **query)).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("role", [StaffRole.ANALYST, StaffRole.LAB_TECH])
def test_other_staff_see_no_statement(collector, role):
    client = logged_in(staff_of(role, phone="+919800000009"))

    assert client.get(reverse("admin:settlement_collectorstatement_changelist")).status_code == 403
    assert client.get(_statement_url(collector)).status_code == 403
    assert client.get(reverse("admin:settlement_cashhandover_changelist")).status_code == 403


@pytest.mark.django_db
def test_collector_cannot_record_handovers_or_payouts(collector):
    client = logged_in(collector)

    assert client.get(reverse("admin:settlement_cashhandover_add")).status_code == 403
    assert client.get(reverse("admin:settlement_collectorpayout_add")).status_code == 403


@pytest.mark.django_db
def test_statement_page_csv_and_pdf_show_the_same_figures(collector, march):
    client = logged_in(clinic_admin(phone="+919800000111"))

    page = client.get(_statement_url(collector, month="2026-03"))
    summary = dict(page.context["summary"])
    assert summary["Cash collected"] == Decimal("1200.00")
    assert summary["Cash handed over"] == Decimal("1000.00")
    assert summary["Closing cash held"] == Decimal("200.00")
    assert summary["Fees earned"] == Decimal("75.00")
    assert summary["Payouts"] == Decimal("75.00")
    assert summary["Balance (clinic owes collector)"] == Decimal("-200.00")

    response = client.get(_statement_url(collector, month="2026-03", format="csv"))
    assert response["Content-Disposition"] == f'attachment; filename="statement-{collector.pk}-2026-03.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert ["Month", "Mar 2026"] in rows
    assert ["Cash collected (INR)", "1200.00"] in rows  # amounts stay sums for a spreadsheet; the heading says INR
    assert ["Balance (clinic owes collector) (INR)", "-200.00"] in rows
    assert ["Kind", "Date", "Reference", "Amount (INR)", "Fee (INR)"] in rows
    assert ["Cash collected", "2026-03-05", march.billing_record.booking.code, "1200.00", ""] in rows
    assert ["Payout", "2026-03-20", "Bank transfer NEFT42", "75.00", ""] in rows

    response = client.get(_statement_url(collector, month="2026-03", format="pdf"))
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Collector statement, Mar 2026" in text
    assert "Amount (INR)" in text
    assert "Cash collected" in text
    assert "Payout" in text
    assert "1200.00" in text
    assert "-200.00" in text
    assert "NEFT42" in text
    assert march.billing_record.booking.code in text


@pytest.mark.django_db
def test_bad_month_is_not_found(collector):
    assert logged_in(clinic_admin()).get(_statement_url(collector, month="March")).status_code == 404


@pytest.mark.django_db
def test_statement_page_queries_do_not_grow_with_entries(collector):
    client = logged_in(clinic_admin())
    _cash(collector, _at(2), Decimal("100.00"))
    client.get(_statement_url(collector, month="2026-03"))
    with CaptureQueriesContext(connection) as few:
        client.get(_statement_url(collector, month="2026-03"))
    for day in range(3, 20):
        _cash(collector, _at(day), Decimal("100.00"))
        CollectorPayoutFactory(collector=collector, paid_at=_at(day))
    with CaptureQueriesContext(connection) as many:
        client.get(_statement_url(collector, month="2026-03"))

    assert len(many) == len(few)


@pytest.mark.django_db
def test_admin_records_a_handover_through_the_service(collector):
    admin = clinic_admin()
    _cash(collector, timezone.now() - datetime.timedelta(hours=1), Decimal("700.00"))
    client = logged_in(admin)
    url = reverse("admin:settlement_cashhandover_add")

    response = client.post(url, {"collector": collector.pk, "amount": "800.00", "notes": ""})
    assert response.status_code == 302
    assert not CashHandover.objects.exists()

    response = client.post(url, {"collector": collector.pk, "amount": "700.00", "notes": "counted"})
    assert response.status_code == 302
    handover = CashHandover.objects.get()
    assert (handover.amount, handover.received_by, handover.collector) == (Decimal("700.00"), admin, collector)
    change = client.get(reverse("admin:settlement_cashhandover_change", args=[handover.pk]))
    assert change.status_code == 200
    assert client.post(reverse("admin:settlement_cashhandover_delete", args=[handover.pk])).status_code == 403


@pytest.mark.django_db
def test_a_handover_or_payout_dated_in_the_future_is_refused(collector):
    # They record money that changed hands: a date to come would move cash and fees between statements unseen.
    _cash(collector, timezone.now() - datetime.timedelta(hours=1), Decimal("700.00"))
    client = logged_in(clinic_admin())
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    when = {"_0": tomorrow.isoformat(), "_1": "10:00"}

    client.post(
        reverse("admin:settlement_cashhandover_add"),
        {"collector": collector.pk, "amount": "700.00", "notes": "", **{f"handed_at{k}": v for k, v in when.items()}},
    )
    client.post(
        reverse("admin:settlement_collectorpayout_add"),
        {
            "collector": collector.pk,
            "amount": "75.00",
            "method": "cash",
            "reference": "",
            "notes": "",
            **{f"paid_at{k}": v for k, v in when.items()},
        },
    )

    assert not CashHandover.objects.exists()
    assert not CollectorPayout.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("factory", "changelist"),
    [
        (CashHandoverFactory, "admin:settlement_cashhandover_changelist"),
        (CollectorPayoutFactory, "admin:settlement_collectorpayout_changelist"),
    ],
)
def test_correction_lists_cost_the_same_queries_for_one_row_as_for_many(factory, changelist):
    """A correction names the entry it corrects, with that entry's collector: selected with the list."""
    client = logged_in(clinic_admin())
    url = reverse(changelist)

    def corrected_pair():
        wrong = factory(amount=Decimal("500.00"))
        factory(collector=wrong.collector, amount=Decimal("-50.00"), corrects=wrong)

    corrected_pair()
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(6):
        corrected_pair()
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200

    assert len(many) == len(few)
