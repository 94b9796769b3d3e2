"""Invoices, payments and the billing summary (service, command and staff API)."""

import datetime
import io
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import StaffRole
from accounts.tests.factories import StaffProfileFactory
from billing.gateway import bill_cancel
from billing.models import InvoiceSequence, Payment, PaymentDayTotal
from billing.selectors import billing_summary
from billing.services import category_totals_rebuild, invoice_assign_number, payment_record
from billing.tests.factories import BillingRecordFactory, item_add
from catalog.tests.factories import LabTestFactory, TestCategoryFactory
from conftest import client_for
from diagnopet.errors import Conflict, ValidationFailed

D = Decimal
DAY = datetime.timedelta(days=1)


def record_on(day, *, status="finalized", subtotal="1000.00", discount="100.00", distance="50.00", kind="home"):
    lab = {"booking__address": None, "booking__address_text": ""} if kind == "lab" else {}
    return BillingRecordFactory(
        status=status,
        booking__booking_date=day,
        booking__subtotal=D(subtotal),
        booking__discount_amount=D(discount),
        booking__distance_charge=D(distance),
        booking__collection_type=kind,
        **lab,
    )


@pytest.mark.django_db
class TestInvoicesAndPayments:
    def test_invoice_numbers_are_consecutive_per_year(self):
        first, second = BillingRecordFactory(status="finalized"), BillingRecordFactory(status="finalized")
        now = datetime.datetime(2026, 5, 1, 10, tzinfo=datetime.UTC)
        assert invoice_assign_number(record=first, now=now).invoice_number == "INV-2026-000001"
        assert invoice_assign_number(record=second, now=now).invoice_number == "INV-2026-000002"
        # Again: no new number.
        assert invoice_assign_number(record=first, now=now).invoice_number == "INV-2026-000001"
        next_year = BillingRecordFactory(status="finalized")
        later = datetime.datetime(2027, 1, 2, tzinfo=datetime.UTC)
        assert invoice_assign_number(record=next_year, now=later).invoice_number == "INV-2027-000001"

    def test_draft_bill_cannot_be_invoiced(self):
        with pytest.raises(Conflict) as err:
            invoice_assign_number(record=BillingRecordFactory(status="draft"))
        assert err.value.code == "not_invoiceable"

    def test_payments_cover_the_bill_and_a_refund_does_not_reopen_it(self):
        record = BillingRecordFactory(status="finalized")  # final 500.00
        payment_record(record=record, amount=D("200.00"), method="cash")
        invoice_assign_number(record=record)
        record.refresh_from_db()
        assert (record.status, record.amount_paid) == ("invoiced", D("200.00"))
        payment_record(record=record, amount=D("300.00"), method="upi", reference="UPI-1")
        record.refresh_from_db()
        assert (record.status, record.amount_paid) == ("paid", D("500.00"))
        assert record.paid_date is not None
        payment_record(record=record, amount=D("100.00"), method="upi", kind="refund")
        record.refresh_from_db()
        # Given back for good (a test not done, a goodwill refund): the bill stays settled, nothing is due again.
        assert (record.status, record.amount_paid) == ("paid", D("400.00"))
        assert record.paid_date is not None
        assert Payment.objects.filter(billing_record=record).count() == 3

    @pytest.mark.parametrize(
        ("amount", "method", "kind", "code"),
        [
            ("0", "cash", "payment", "invalid_amount"),
            ("-5", "cash", "payment", "invalid_amount"),
            ("10", "cheque", "payment", "invalid_method"),
            ("10", "cash", "refund", "refund_too_large"),
        ],
    )
    def test_bad_payments_are_refused(self, amount, method, kind, code):
        record = BillingRecordFactory(status="finalized")
        with pytest.raises(ValidationFailed) as err:
            payment_record(record=record, amount=D(amount), method=method, kind=kind)
        assert err.value.code == code
        assert Payment.objects.count() == 0

    def test_void_bill_takes_no_payment(self):
        with pytest.raises(Conflict):
            payment_record(record=BillingRecordFactory(status="void"), amount=D("10"), method="cash")


@pytest.mark.django_db(transaction=True)
def test_concurrent_invoices_get_distinct_consecutive_numbers():
    records = [BillingRecordFactory(status="finalized") for _ in range(20)]
    barrier = threading.Barrier(len(records))

    def invoice(record):
        try:
            barrier.wait(timeout=10)
            return invoice_assign_number(record=record).invoice_number
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(records)) as pool:
        numbers = list(pool.map(invoice, records))
    serials = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    assert serials == list(range(1, 21))
    assert InvoiceSequence.objects.get().last_number == 20


@pytest.mark.django_db
class TestSummary:
    def test_day_report_totals_equal_the_records_it_covers(self):
        day1, day2 = datetime.date(2026, 3, 1), datetime.date(2026, 3, 2)
        a = record_on(day1)
        b = record_on(day1, kind="lab", distance="0.00")
        c = record_on(day2, subtotal="300.00", discount="0.00", distance="0.00")
        record_on(day2, status="void")  # cancelled: not revenue
        record_on(datetime.date(2026, 4, 1))  # outside the range
        payment_record(record=a, amount=D("950.00"), method="cash")
        summary = billing_summary(period="day", date_from=day1, date_to=day2)
        covered = [a, b, c]
        assert [r["period"] for r in summary.rows] == [day1, day2]
        assert summary.totals["bookings"] == 3
        assert summary.totals["base"] == sum(r.base_amount for r in covered)
        assert summary.totals["discount"] == sum(r.discount_amount for r in covered)
        assert summary.totals["distance"] == sum(r.distance_charge for r in covered)
        assert summary.totals["final"] == sum(r.final_amount for r in covered)
        assert summary.totals["paid"] == D("950.00")
        assert summary.totals["outstanding"] == summary.totals["final"] - D("950.00")
        types = {(r["period"], r["collection_type"]): r["bookings"] for r in summary.by_collection_type}
        assert types == {(day1, "home"): 1, (day1, "lab"): 1, (day2, "home"): 1}

    def test_month_report_and_categories(self):
        haem = TestCategoryFactory(name="Haematology")
        cbc = LabTestFactory(category=haem)
        first = record_on(datetime.date(2026, 3, 5))
        item_add(first, test=cbc, unit_price=D("450.00"), quantity=2)
        item_add(record_on(datetime.date(2026, 3, 20)), test=cbc, unit_price=D("450.00"))
        category_totals_rebuild()
        summary = billing_summary(
            period="month", date_from=datetime.date(2026, 3, 1), date_to=datetime.date(2026, 3, 31)
        )
        assert [(r["period"], r["bookings"]) for r in summary.rows] == [(datetime.date(2026, 3, 1), 2)]
        assert summary.by_category == [
            {"period": datetime.date(2026, 3, 1), "category": "Haematology", "items": 2, "amount": D("1350.00")}
        ]

    @pytest.mark.parametrize("period", ["day", "month"])
    def test_the_queries_do_not_grow_with_bills_or_payments(self, period, django_assert_max_num_queries):
        """Bills by collection type (the period totals are its sum); payments and refunds (the last stored day, the
        stored days, the days since from the payments); by category; when the category split was computed."""
        today = timezone.localdate()
        summary = {"period": period, "date_from": today - datetime.timedelta(days=40), "date_to": today}

        def bill_and_pay(days_ago: int):
            record = record_on(today - datetime.timedelta(days=days_ago))
            payment_record(record=record, amount=D("100.00"), method="cash", now=timezone.now() - (days_ago * DAY))

        bill_and_pay(3)
        category_totals_rebuild()
        with django_assert_max_num_queries(6) as one:
            billing_summary(**summary)
        for n in range(30):
            bill_and_pay(n % 10)
        category_totals_rebuild()
        with django_assert_max_num_queries(len(one.captured_queries)):
            billing_summary(**summary)

    def test_today_alone_reads_no_stored_totals(self, django_assert_num_queries):
        """Today is never stored (a rebuild stores the days before its own): the bills, today's payments, the
        categories and when they were computed (the staff dashboard's revenue)."""
        record = record_on(timezone.localdate())
        payment_record(record=record, amount=D("100.00"), method="cash")
        category_totals_rebuild()
        with django_assert_num_queries(4):
            today = billing_summary(period="day", date_from=timezone.localdate(), date_to=timezone.localdate())
        assert today.totals["payments"] == D("100.00")

    def test_stored_payment_totals_give_the_figures_the_payments_give(self):
        """Past days from PaymentDayTotal after a rebuild, today from the payments: the same figures as reading
        every payment; a payment of a past day recorded after the rebuild counts from the next one."""
        today = timezone.localdate()
        summary = {"period": "day", "date_from": today - datetime.timedelta(days=10), "date_to": today}
        for days_ago, kind in [(9, "home"), (5, "lab"), (5, "home"), (1, "home"), (0, "lab")]:
            record = record_on(today - datetime.timedelta(days=days_ago), kind=kind)
            at = timezone.now() - days_ago * DAY
            payment_record(record=record, amount=D("300.00"), method="cash", now=at)
            if days_ago == 5:
                payment_record(record=record, amount=D("50.00"), method="cash", kind="refund", now=at)
        live = billing_summary(**summary)

        category_totals_rebuild()

        assert {row.day for row in PaymentDayTotal.objects.all()} == {
            today - datetime.timedelta(days=d) for d in (9, 5, 1)
        }
        stored = billing_summary(**summary)
        assert (stored.rows, stored.by_collection_type, stored.totals) == (
            live.rows,
            live.by_collection_type,
            live.totals,
        )
        assert stored.totals["payments"] == D("1500.00")
        assert stored.totals["refunds"] == D("100.00")
        late = record_on(today - datetime.timedelta(days=2))
        payment_record(record=late, amount=D("70.00"), method="cash", now=timezone.now() - 2 * DAY)
        assert billing_summary(**summary).totals["payments"] == D("1500.00")  # until the next rebuild
        category_totals_rebuild()
        assert billing_summary(**summary).totals["payments"] == D("1570.00")

    def test_payments_refunds_and_net_per_period_keep_cancelled_bookings_money(self):
        def at(month: int, day: int) -> datetime.datetime:
            # Half past midnight in the clinic's time zone: still the previous day in UTC; the local day counts.
            return datetime.datetime(2026, month, day, 0, 30, tzinfo=timezone.get_current_timezone())

        a = record_on(datetime.date(2026, 3, 10))
        b = record_on(datetime.date(2026, 3, 15), status="draft")
        c = record_on(datetime.date(2026, 4, 5))
        d = record_on(datetime.date(2026, 4, 10), status="draft")
        payment_record(record=a, amount=D("950.00"), method="cash", now=at(3, 10))
        payment_record(record=b, amount=D("500.00"), method="upi", now=at(3, 20))
        payment_record(record=b, amount=D("500.00"), method="upi", kind="refund", now=at(4, 1))
        payment_record(record=c, amount=D("300.00"), method="card", now=at(4, 5))
        payment_record(record=c, amount=D("100.00"), method="card", kind="refund", now=at(4, 6))
        payment_record(record=d, amount=D("250.00"), method="cash", now=at(4, 10))
        payment_record(record=a, amount=D("1.00"), method="cash", kind="refund", now=at(5, 1))  # after the range
        # B and D are cancelled: B's bill is void (refunded already), D's waits for its desk refund; the money that
        # moved on them still counts, and a refund still pending is not money that left.
        bill_cancel(booking=b.booking)
        bill_cancel(booking=d.booking)

        summary = billing_summary(
            period="month", date_from=datetime.date(2026, 3, 1), date_to=datetime.date(2026, 4, 30)
        )

        cash = {r["period"]: (r["payments"], r["refunds"], r["net"]) for r in summary.rows}
        assert cash == {
            datetime.date(2026, 3, 1): (D("1450.00"), D("0.00"), D("1450.00")),
            datetime.date(2026, 4, 1): (D("550.00"), D("600.00"), D("-50.00")),
        }
        assert (summary.totals["payments"], summary.totals["refunds"], summary.totals["net"]) == (
            D("2000.00"),
            D("600.00"),
            D("1400.00"),
        )
        by_type = {(r["period"], r["collection_type"]): r["net"] for r in summary.by_collection_type}
        assert by_type == {
            (datetime.date(2026, 3, 1), "home"): D("1450.00"),
            (datetime.date(2026, 4, 1), "home"): D("-50.00"),
        }
        # The same figures in the command and the staff API.
        out = io.StringIO()
        call_command(
            "billing_report", "--period=month", "--from=2026-03-01", "--to=2026-04-30", "--format=csv", stdout=out
        )
        assert out.getvalue().strip().splitlines()[-1].endswith(",2000.00,600.00,1400.00")
        admin = StaffProfileFactory(role=StaffRole.ADMIN).user
        body = (
            client_for(admin)
            .get(reverse("billing:billing-summary"), {"period": "month", "from": "2026-03-01", "to": "2026-04-30"})
            .json()
        )
        assert (body["totals"]["payments"], body["totals"]["refunds"], body["totals"]["net"]) == (
            "2000.00",
            "600.00",
            "1400.00",
        )

    def test_command_table_and_csv(self):
        record_on(datetime.date(2026, 3, 1))
        out = io.StringIO()
        call_command("billing_report", "--period=month", "--from=2026-03-01", "--to=2026-03-31", stdout=out)
        assert "2026-03-01" in out.getvalue()
        assert "TOTAL" in out.getvalue()
        out = io.StringIO()
        call_command("billing_report", "--from=2026-03-01", "--to=2026-03-31", "--format=csv", stdout=out)
        lines = out.getvalue().strip().splitlines()
        assert lines[0] == "period,bookings,base,discount,distance,final,paid,outstanding,payments,refunds,net"
        assert lines[1] == "2026-03-01,1,1000.00,100.00,50.00,950.00,0.00,950.00,0.00,0.00,0.00"

    @pytest.mark.parametrize(
        "args",
        [
            ["--from=2026-03-31", "--to=2026-03-01"],
            ["--from=yesterday", "--to=2026-03-01"],
            ["--from=2020-01-01", "--to=2026-03-01"],
        ],
    )
    def test_command_bad_arguments(self, args):
        with pytest.raises(CommandError):
            call_command("billing_report", *args, stdout=io.StringIO())

    def test_staff_api_for_analysts_and_admins_only(self, customer):
        record_on(datetime.date(2026, 3, 1))
        url = reverse("billing:billing-summary")
        params = {"period": "month", "from": "2026-03-01", "to": "2026-03-31"}
        analyst = StaffProfileFactory(role=StaffRole.ANALYST).user
        response = client_for(analyst).get(url, params)
        assert response.status_code == 200, response.json()
        body = response.json()
        assert body["totals"]["final"] == "950.00"
        assert body["rows"][0]["period"] == "2026-03-01"
        collector = StaffProfileFactory(role=StaffRole.COLLECTOR).user
        assert client_for(collector).get(url, params).status_code == 403
        assert client_for(customer).get(url, params).status_code == 403
        bad = client_for(analyst).get(url, {"period": "week", "from": "2026-03-31", "to": "x"})
        assert bad.status_code == 400

    @pytest.mark.parametrize(
        ("period", "date_from", "date_to"),
        [
            ("day", "9999-12-31", "9999-12-31"),
            ("month", "9999-12-01", "9999-12-31"),
            ("day", "0001-01-01", "0001-01-02"),
        ],
    )
    def test_staff_api_refuses_dates_at_the_ends_of_the_calendar(self, period, date_from, date_to):
        # The day after 9999-12-31 (and local midnight of 0001-01-01 in UTC) cannot be computed: 400, not a 500.
        analyst = StaffProfileFactory(role=StaffRole.ANALYST).user
        params = {"period": period, "from": date_from, "to": date_to}

        response = client_for(analyst).get(reverse("billing:billing-summary"), params)

        assert response.status_code == 400
        assert response.json()["code"] == "date_out_of_range"
