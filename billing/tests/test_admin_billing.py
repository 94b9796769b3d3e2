"""Billing in the back-office: the report pages (table, chart, CSV), invoice and payment actions, pricing history."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import StaffRole
from accounts.roles import roles_setup, staff_set_role
from accounts.tests.factories import StaffProfileFactory
from billing.models import BillingRecord, DistancePricingConfig, Payment
from billing.selectors import FIGURES
from billing.services import category_totals_rebuild, invoice_assign_number, payment_record
from billing.tests.factories import BillingRecordFactory, DistancePricingConfigFactory, item_add
from catalog.tests.factories import LabTestFactory, TestCategoryFactory
from conftest import run_concurrently

pytestmark = pytest.mark.django_db

D = Decimal
REPORT = reverse("admin:billing_billingrecord_report")
CHANGELIST = reverse("admin:billing_billingrecord_changelist")
MARCH = {"period": "day", "date_from": "2026-03-01", "date_to": "2026-03-31"}


def staff_client(role: str) -> Client:
    roles_setup()
    user = StaffProfileFactory(role=role).user
    staff_set_role(user=user, role=role)  # the role's group, as create_staff gives it
    client = Client()
    client.force_login(user)
    return client


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


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def march():
    """Bills on two March days (one lab visit, one paid), plus a void bill and one in April that do not count."""
    first = record_on(datetime.date(2026, 3, 2))
    lab = record_on(datetime.date(2026, 3, 2), kind="lab", subtotal="400.00", discount="0.00", distance="0.00")
    later = record_on(datetime.date(2026, 3, 20), subtotal="250.00", discount="25.00", distance="0.00")
    record_on(datetime.date(2026, 3, 20), status="void")
    record_on(datetime.date(2026, 4, 1))
    category = TestCategoryFactory(name="Haematology")
    item_add(first, test=LabTestFactory(category=category), unit_price=D("450.00"))
    payment_record(record=first, amount=D("600.00"), method="cash")
    category_totals_rebuild()  # as the scheduled refresh does
    return [first, lab, later]


class TestReportPage:
    def test_day_report_totals_equal_the_records(self, admin_client, march):
        response = admin_client.get(REPORT, MARCH)

        assert response.status_code == 200
        summary = response.context["summary"]
        assert summary.totals["bookings"] == 3
        assert summary.totals["final"] == sum(r.final_amount for r in march) == D("1575.00")
        assert summary.totals["base"] == sum(r.base_amount for r in march)
        assert summary.totals["paid"] == D("600.00")
        assert summary.totals["outstanding"] == D("975.00")
        assert [row["period"] for row in summary.rows] == [datetime.date(2026, 3, 2), datetime.date(2026, 3, 20)]
        html = response.content.decode()
        assert "₹1,575.00" in html
        assert "₹975.00" in html
        # A bar for every day of the range (the two days with bills among them), and the legend.
        assert html.count('<rect class="final"') == 31 + 1
        bars = response.context["chart"]["bars"]
        assert [bar["final_h"] > 0 for bar in bars].count(True) == 2
        assert bars[1]["title"] == "02 Mar 2026: ₹1,350.00 final, ₹600.00 paid"
        # The split by collection type, summed over the range, by its label and in rupees.
        final = FIGURES.index("final")
        types = {row["group"]: row["cells"][final] for row in response.context["type_totals"]}
        assert types == {"Home collection": "₹1,175.00", "Lab visit": "₹400.00"}
        categories = {row["category"]: row["amount"] for row in response.context["category_totals"]}
        assert categories["Haematology"] == D("450.00")
        assert "Category figures as of " in html
        # The page's export link asks for the same range and period.
        csv_link = f"?{response.context['csv_query']}"
        assert csv_link == "?period=day&date_from=2026-03-01&date_to=2026-03-31&format=csv"
        assert admin_client.get(REPORT + csv_link)["Content-Type"].startswith("text/csv")

    def test_month_report(self, admin_client, march):
        response = admin_client.get(REPORT, {**MARCH, "period": "month"})

        rows = response.context["summary"].rows
        assert [(row["period"], row["bookings"], row["final"]) for row in rows] == [
            (datetime.date(2026, 3, 1), 3, D("1575.00"))
        ]
        # Every table names the month the same way, as people do.
        html = response.content.decode()
        for table in ("report-rows", "report-collection-types", "report-categories"):
            section = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
            assert "<td>Mar 2026</td>" in section, table
            assert "2026-03" not in section, table

    def test_defaults_to_this_month_per_day(self, admin_client):
        today = timezone.localdate()
        record_on(today, subtotal="300.00", discount="0.00", distance="0.00")

        response = admin_client.get(REPORT)

        form = response.context["form"]
        assert form.cleaned_data["period"] == "day"
        assert form.cleaned_data["date_from"] == today.replace(day=1)
        assert form.cleaned_data["date_to"].month == today.month
        assert response.context["summary"].totals["final"] == D("300.00")

    def test_bad_range_is_shown_on_the_form(self, admin_client):
        response = admin_client.get(REPORT, {**MARCH, "date_from": "2026-04-01"})

        assert response.status_code == 200
        assert response.context["summary"] is None
        assert "must not be after" in response.content.decode()
        response = admin_client.get(REPORT, {**MARCH, "date_to": "not-a-date"})
        assert response.context["form"].errors["date_to"]

    def test_csv_has_the_same_figures(self, admin_client, march):
        response = admin_client.get(REPORT, {**MARCH, "format": "csv"})

        assert response["Content-Type"].startswith("text/csv")
        assert "attachment" in response["Content-Disposition"]
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        # Amounts stay plain decimals a spreadsheet can sum, the currency in the heading; periods and collection
        # types as the page names them.
        assert list(rows[0])[:6] == ["Section", "Period", "Group", "Bookings", "Base (INR)", "Discount (INR)"]
        periods = [row for row in rows if row["Section"] == "Period"]
        assert [(row["Period"], row["Bookings"], row["Final (INR)"]) for row in periods] == [
            ("02 Mar 2026", "2", "1350.00"),
            ("20 Mar 2026", "1", "225.00"),
        ]
        (total,) = [row for row in rows if row["Section"] == "Total"]
        assert (total["Bookings"], total["Final (INR)"], total["Paid (INR)"], total["Outstanding (INR)"]) == (
            "3",
            "1575.00",
            "600.00",
            "975.00",
        )
        assert {row["Group"] for row in rows if row["Section"] == "Collection type"} == {"Home collection", "Lab visit"}
        haematology = [row for row in rows if row["Section"] == "Category" and row["Group"] == "Haematology"]
        assert [row["Amount (INR)"] for row in haematology] == ["450.00"]

    def test_changelist_links_to_the_report(self, admin_client):
        assert REPORT in admin_client.get(CHANGELIST).content.decode()
        assert REPORT not in staff_client(StaffRole.COLLECTOR).get(CHANGELIST).content.decode()

    @pytest.mark.parametrize("period", ["day", "month"])
    def test_query_count_does_not_grow_with_bills(self, admin_client, period):
        query = {**MARCH, "period": period}
        for n in range(5):
            record_on(datetime.date(2026, 3, 1 + n))
        admin_client.get(REPORT, query)  # warm-up: session, content types
        with CaptureQueriesContext(connection) as few:
            admin_client.get(REPORT, query)
        for n in range(195):
            record_on(datetime.date(2026, 3, 1 + n % 28), kind="lab" if n % 2 else "home")
        with CaptureQueriesContext(connection) as many:
            response = admin_client.get(REPORT, query)
        assert response.context["summary"].totals["bookings"] == 200
        assert len(many) == len(few)


@pytest.mark.parametrize("kind", ["home", "lab"])
def test_changelist_filters_bills_by_collection_type(admin_client, kind):
    home, lab = record_on(datetime.date(2026, 3, 2)), record_on(datetime.date(2026, 3, 3), kind="lab")

    response = admin_client.get(CHANGELIST, {"collection_type": kind})

    assert list(response.context["cl"].result_list) == [home if kind == "home" else lab]
    assert 'href="?collection_type=lab"' in response.content.decode()  # offered by name


class TestReportAccess:
    @pytest.mark.parametrize("date_from", ["9999-12-31", "0001-01-01"])
    def test_report_for_a_day_at_the_end_of_the_calendar_says_so(self, admin_client, date_from):
        response = admin_client.get(REPORT, {"period": "day", "date_from": date_from, "date_to": date_from})

        assert response.status_code == 200
        assert "between 1900 and 2999" in str(response.context["form"].errors)

    def test_analyst_may_view_report_and_csv(self, march):
        client = staff_client(StaffRole.ANALYST)

        assert client.get(REPORT, MARCH).status_code == 200
        assert client.get(REPORT, {**MARCH, "format": "csv"}).status_code == 200

    @pytest.mark.parametrize("role", [StaffRole.LAB_TECH, StaffRole.COLLECTOR])
    def test_lab_tech_and_collector_may_not(self, role):
        # A collector may view bills (to record door payments on their own visits) but not the whole lab's money.
        client = staff_client(role)

        assert client.get(REPORT, MARCH).status_code == 403
        assert client.get(REPORT, {**MARCH, "format": "csv"}).status_code == 403

    def test_anonymous_is_sent_to_login(self, client):
        response = client.get(REPORT)
        assert response.status_code == 302
        assert reverse("admin:login") in response["Location"]


def _action(client, action: str, records, **extra):
    data = {"action": action, admin.helpers.ACTION_CHECKBOX_NAME: [r.pk for r in records], **extra}
    return client.post(CHANGELIST, data)


class TestInvoiceAction:
    def test_assigns_numbers_and_reports_refusals(self, admin_client):
        finalized = BillingRecordFactory(status=BillingRecord.Status.FINALIZED)
        draft = BillingRecordFactory(status=BillingRecord.Status.DRAFT)

        response = _action(admin_client, "assign_invoice_number", [finalized, draft])

        assert response.status_code == 302
        finalized.refresh_from_db()
        draft.refresh_from_db()
        assert finalized.status == BillingRecord.Status.INVOICED
        assert finalized.invoice_number == f"INV-{timezone.localdate().year}-000001"
        assert draft.invoice_number is None
        assert draft.status == BillingRecord.Status.DRAFT
        messages = _messages(response)
        assert f"{finalized.invoice_number} invoiced." in messages  # one bill: named, not counted
        assert any("Only finalized bills can be invoiced" in m for m in messages)

    def test_several_bills_are_counted_in_words_and_named(self, admin_client):
        bills = [BillingRecordFactory(status=BillingRecord.Status.FINALIZED) for _ in range(2)]

        response = _action(admin_client, "assign_invoice_number", bills)

        numbers = sorted(BillingRecord.objects.values_list("invoice_number", flat=True))
        assert _messages(response) == [f"2 bills invoiced: {', '.join(numbers)}."]

    def test_analyst_is_not_offered_the_actions(self):
        client = staff_client(StaffRole.ANALYST)
        record = BillingRecordFactory(status=BillingRecord.Status.FINALIZED)

        action_form = client.get(CHANGELIST).context["action_form"]
        choices = dict(action_form.fields["action"].choices) if action_form else {}
        assert "assign_invoice_number" not in choices
        assert "record_payment" not in choices
        _action(client, "assign_invoice_number", [record])
        record.refresh_from_db()
        assert record.invoice_number is None


class TestRecordPaymentAction:
    def test_form_then_payment_through_the_service(self, admin_client, admin_user):
        record = BillingRecordFactory(status=BillingRecord.Status.INVOICED, invoice_number="INV-2026-000009")

        page = _action(admin_client, "record_payment", [record])
        assert page.status_code == 200
        assert "form" in page.context
        assert page.context["record"] == record
        html = page.content.decode()
        assert "final amount <strong>₹500.00</strong>" in html
        assert "due <strong>₹500.00</strong>" in html
        assert "INV-2026-000009 · " in html  # the bill by its name
        assert 'name="apply" value="Record"' in html
        assert f'name="_selected_action" value="{record.pk}"' in html
        assert 'name="action" value="record_payment"' in html
        response = _action(
            admin_client,
            "record_payment",
            [record],
            apply="Record",
            kind="payment",
            amount="500.00",
            method="upi",
            reference="UPI-123",
        )

        assert response.status_code == 302
        payment = Payment.objects.get(billing_record=record)
        assert (payment.amount, payment.method, payment.reference) == (D("500.00"), "upi", "UPI-123")
        assert payment.received_by == admin_user
        record.refresh_from_db()
        assert record.amount_paid == D("500.00")
        assert record.status == BillingRecord.Status.PAID  # the service settles a covered invoice
        assert any("recorded" in m for m in _messages(response))

    def test_collector_records_a_door_payment_on_their_own_visit_only(self):
        roles_setup()
        collector = StaffProfileFactory(role=StaffRole.COLLECTOR).user
        staff_set_role(user=collector, role=StaffRole.COLLECTOR)
        client = Client()
        client.force_login(collector)
        mine = BillingRecordFactory(booking__collection_staff=collector)
        other = BillingRecordFactory()

        choices = dict(client.get(CHANGELIST).context["action_form"].fields["action"].choices)
        assert "record_payment" in choices
        assert "assign_invoice_number" not in choices
        form = dict(apply="Record", kind="payment", amount="100.00", method="cash")
        _action(client, "record_payment", [other], **form)
        _action(client, "record_payment", [mine], **form)

        assert list(Payment.objects.values_list("billing_record", "received_by")) == [(mine.pk, collector.pk)]

    def test_refusal_is_a_message_and_writes_nothing(self, admin_client):
        record = BillingRecordFactory(status=BillingRecord.Status.VOID)

        response = _action(
            admin_client, "record_payment", [record], apply="Record", kind="payment", amount="10.00", method="cash"
        )

        assert response.status_code == 302
        assert not Payment.objects.exists()
        assert any("This bill is void" in m for m in _messages(response))

    def test_invalid_amount_redisplays_the_form(self, admin_client):
        record = BillingRecordFactory(status=BillingRecord.Status.FINALIZED)

        response = _action(
            admin_client, "record_payment", [record], apply="Record", kind="payment", amount="-5", method="cash"
        )

        assert response.status_code == 200
        assert response.context["form"].errors["amount"]
        assert not Payment.objects.exists()

    def test_one_bill_at_a_time(self, admin_client):
        records = [BillingRecordFactory(status=BillingRecord.Status.FINALIZED) for _ in range(2)]

        response = _action(admin_client, "record_payment", records)

        assert response.status_code == 302
        assert "Select exactly one bill to record a payment for." in _messages(response)


class TestDistancePricingHistory:
    def test_history_is_ordered_and_flags_the_config_in_force(self, admin_client):
        today = timezone.localdate()
        old = DistancePricingConfigFactory(
            effective_from=today - datetime.timedelta(days=400), effective_until=today - datetime.timedelta(days=31)
        )
        current = DistancePricingConfigFactory(effective_from=today - datetime.timedelta(days=30))
        future = DistancePricingConfigFactory(effective_from=today + datetime.timedelta(days=30))

        response = admin_client.get(reverse("admin:billing_distancepricingconfig_changelist"))

        rows = list(response.context["cl"].result_list)
        assert rows == [future, current, old]
        assert [row.in_force for row in rows] == [False, True, False]
        html = response.content.decode()
        assert f"{old.effective_from:%d/%m/%Y} → {old.effective_until:%d/%m/%Y}" in html
        assert f"{current.effective_from:%d/%m/%Y} → in force" in html
        assert f"{future.effective_from:%d/%m/%Y} → not yet in force" in html

    def test_no_config_in_force(self, admin_client):
        DistancePricingConfigFactory(is_active=False)

        response = admin_client.get(reverse("admin:billing_distancepricingconfig_changelist"))

        assert [row.in_force for row in response.context["cl"].result_list] == [False]
        assert DistancePricingConfig.objects.count() == 1


@pytest.mark.parametrize(
    ("url_name", "make"),
    [
        ("billing_billingrecord_auditlog", lambda: BillingRecordFactory()),
        ("billing_payment_auditlog", lambda: payment_record(record=BillingRecordFactory(), amount=1, method="cash")),
        ("billing_distancepricingconfig_auditlog", lambda: DistancePricingConfigFactory()),
    ],
)
def test_audit_history_pages(admin_client, url_name, make):
    obj = make()

    response = admin_client.get(reverse(f"admin:{url_name}", args=[obj.pk]))

    assert response.status_code == 200
    assert list(response.context["log_entries"])  # the create entry


def test_audit_history_of_another_collectors_bill_is_404():
    roles_setup()
    collector = StaffProfileFactory(role=StaffRole.COLLECTOR).user
    staff_set_role(user=collector, role=StaffRole.COLLECTOR)
    client = Client()
    client.force_login(collector)
    mine = BillingRecordFactory(booking__collection_staff=collector)
    other = BillingRecordFactory()

    assert client.get(reverse("admin:billing_billingrecord_auditlog", args=[mine.pk])).status_code == 200
    assert client.get(reverse("admin:billing_billingrecord_auditlog", args=[other.pk])).status_code == 404


PAYMENT_ADD = reverse("admin:billing_payment_add")


class TestPaymentLimits:
    """A payment is at most what is still due; refunds are the clinic admin's, at most what was paid."""

    def test_form_is_prefilled_with_the_amount_due(self, admin_client):
        record = BillingRecordFactory(status=BillingRecord.Status.FINALIZED)  # final 500.00
        payment_record(record=record, amount=D("120.00"), method="cash")

        page = _action(admin_client, "record_payment", [record])

        assert page.context["form"]["amount"].value() == D("380.00")
        assert "due <strong>₹380.00</strong>" in page.content.decode()

    @pytest.mark.parametrize("role", [StaffRole.ADMIN, StaffRole.COLLECTOR])
    def test_payment_above_the_amount_due_is_a_form_error(self, role):
        client = staff_client(role)
        collector = client.session["_auth_user_id"]
        record = BillingRecordFactory(booking__collection_staff_id=collector)

        response = _action(
            client, "record_payment", [record], apply="Record", kind="payment", amount="9999999999.99", method="cash"
        )

        assert response.status_code == 200
        assert "500.00 still due" in response.context["form"].errors["amount"][0]
        assert not Payment.objects.exists()
        record.refresh_from_db()
        assert record.amount_paid == D("0.00")

    def test_fully_paid_bill_takes_no_more(self, admin_client):
        record = BillingRecordFactory(status=BillingRecord.Status.FINALIZED)
        payment_record(record=record, amount=record.final_amount, method="cash")

        response = _action(
            admin_client, "record_payment", [record], apply="Record", kind="payment", amount="0.01", method="cash"
        )

        assert response.context["form"].errors["amount"] == ["This bill is fully paid; nothing is due."]
        assert Payment.objects.count() == 1

    def test_collector_may_not_refund(self):
        client = staff_client(StaffRole.COLLECTOR)
        record = BillingRecordFactory(booking__collection_staff_id=client.session["_auth_user_id"])
        payment_record(record=record, amount=D("500.00"), method="cash")

        page = _action(client, "record_payment", [record])
        assert [value for value, _ in page.context["form"].fields["kind"].choices] == ["payment"]
        refund = {"kind": "refund", "amount": "100.00", "method": "cash"}
        response = _action(client, "record_payment", [record], apply="Record", **refund)
        assert response.status_code == 200
        assert response.context["form"].errors["kind"]
        add = client.post(PAYMENT_ADD, {"billing_record": record.pk, **refund})
        assert add.status_code == 200
        assert add.context["adminform"].form.errors["kind"]

        assert list(Payment.objects.values_list("kind", flat=True)) == ["payment"]
        record.refresh_from_db()
        assert record.amount_paid == D("500.00")

    def test_admin_refunds_at_most_what_was_paid_net_of_refunds(self):
        client = staff_client(StaffRole.ADMIN)
        record = BillingRecordFactory(status=BillingRecord.Status.FINALIZED)
        payment_record(record=record, amount=D("300.00"), method="cash")
        refund = {"apply": "Record", "kind": "refund", "method": "cash"}

        assert _action(client, "record_payment", [record], amount="200.00", **refund).status_code == 302
        too_much = _action(client, "record_payment", [record], amount="100.01", **refund)

        assert too_much.context["form"].errors["amount"] == ["A refund cannot exceed what was paid (₹100.00)."]
        record.refresh_from_db()
        assert record.amount_paid == D("100.00")
        assert sorted(Payment.objects.values_list("kind", "amount")) == [("payment", D("300")), ("refund", D("200"))]

    def test_payment_add_page_refuses_more_than_due_on_the_amount(self, admin_client):
        record = BillingRecordFactory(status=BillingRecord.Status.FINALIZED)

        response = admin_client.post(
            PAYMENT_ADD, {"billing_record": record.pk, "kind": "payment", "amount": "500.01", "method": "upi"}
        )

        assert response.status_code == 200
        assert "500.00 still due" in response.context["adminform"].form.errors["amount"][0]
        assert not Payment.objects.exists()
        ok = admin_client.post(
            PAYMENT_ADD, {"billing_record": record.pk, "kind": "payment", "amount": "500.00", "method": "upi"}
        )
        assert ok.status_code == 302
        record.refresh_from_db()
        assert record.amount_paid == D("500.00")

    def test_save_and_continue_opens_the_payment_the_service_recorded(self, admin_client):
        record = BillingRecordFactory(status=BillingRecord.Status.FINALIZED)  # final 500.00
        data = {"billing_record": record.pk, "kind": "payment", "amount": "200.00", "method": "cash", "_continue": "1"}

        response = admin_client.post(PAYMENT_ADD, data)

        payment = Payment.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("admin:billing_payment_change", args=[payment.pk])
        assert admin_client.get(response["Location"]).status_code == 200
        assert LogEntry.objects.get(object_id=str(payment.pk)).action_flag == ADDITION


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_full_payments_only_one_is_taken():
    roles_setup()
    user = StaffProfileFactory(role=StaffRole.ADMIN).user
    staff_set_role(user=user, role=StaffRole.ADMIN)
    record = BillingRecordFactory(status=BillingRecord.Status.FINALIZED)  # final 500.00
    clients = []
    for _ in range(2):
        client = Client()
        client.force_login(user)
        clients.append(client)
    form = {"apply": "Record", "kind": "payment", "amount": "500.00", "method": "cash"}

    responses = run_concurrently([lambda c=c: _action(c, "record_payment", [record], **form) for c in clients])

    assert sorted(r.status_code for r in responses) == [200, 302]  # one recorded, one back on the form
    record.refresh_from_db()
    assert record.amount_paid == D("500.00")
    assert Payment.objects.filter(billing_record=record).count() == 1


class TestDocumentLinks:
    """The bill's page links to its invoice and receipts, served only to staff who may see that bill."""

    def _invoiced_bill(self, **kwargs):
        record = BillingRecordFactory(status="finalized", **kwargs)
        item_add(record, test=LabTestFactory(), unit_price=D("500.00"))
        record = invoice_assign_number(record=record)
        payment = payment_record(record=record, amount=D("200.00"), method="cash")
        return record, payment

    def test_analyst_sees_and_downloads_the_invoice_and_receipt(self):
        record, payment = self._invoiced_bill()
        client = staff_client(StaffRole.ANALYST)

        page = client.get(reverse("admin:billing_billingrecord_change", args=[record.pk]))
        invoice_url = reverse("admin:billing_billingrecord_invoice", args=[record.pk])
        receipt_url = reverse("admin:billing_billingrecord_receipt", args=[record.pk, payment.pk])
        assert page.status_code == 200
        assert invoice_url in page.content.decode()
        assert receipt_url in page.content.decode()
        invoice = client.get(invoice_url)
        assert invoice.status_code == 200
        assert invoice["Content-Disposition"] == f'attachment; filename="{record.invoice_number}.pdf"'
        assert client.get(receipt_url)["Content-Type"] == "application/pdf"

    def test_collector_gets_404_for_another_visits_bill(self):
        record, payment = self._invoiced_bill()
        client = staff_client(StaffRole.COLLECTOR)

        assert client.get(reverse("admin:billing_billingrecord_invoice", args=[record.pk])).status_code == 404
        receipt = reverse("admin:billing_billingrecord_receipt", args=[record.pk, payment.pk])
        assert client.get(receipt).status_code == 404

    def test_lab_tech_who_may_not_see_bills_is_refused(self):
        record, _payment = self._invoiced_bill()
        client = staff_client(StaffRole.LAB_TECH)

        assert client.get(reverse("admin:billing_billingrecord_invoice", args=[record.pk])).status_code in (403, 404)
