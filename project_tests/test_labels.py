"""No admin page shows a raw choice code or an amount without its currency.

Every registered model of our apps: its changelist and (one object each, made by the factories) its change page,
opened as a superuser. What staff read there — the result table's cells, the read-only fields, the page's title
and breadcrumbs — is searched for the stored codes of any choice field (``no_show``, ``home``, ``cash`` …) shown
as text instead of their labels, and for amounts (a number with two decimal places) not written with ``₹``.
Form widgets (``<select>``/``<option>``, inputs) are left out: their codes are values, not text.
"""

import datetime
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import StaffRole
from accounts.tests.factories import StaffProfileFactory
from billing.gateway import bill_refund
from billing.models import BillingRecord
from billing.services import payment_record
from billing.tests.factories import BillingRecordFactory, PaymentFactory
from bookings.tests.factories import (
    BookingFactory,
    BookingItemFactory,
    CollectionSlotFactory,
    CollectorAssignmentFactory,
    TestReportFactory,
)
from project_tests.test_admin_smoke import AUTOCOMPLETE_FIELDS, MAKERS, OUR_APPS, REGISTERED, _url
from reviews.models import CollectorRating
from settlement.models import CollectorStatement


def _choice_codes() -> tuple[set[str], set[str]]:
    """Stored codes of every text choice field of our apps whose label differs from the code.

    Returned as (codes made of several words, ``no_show`` / ``lab_tech``: wrong anywhere in a text; single-word
    codes, ``home`` / ``cash``: wrong as a cell's whole text, or in brackets after a name).
    """
    compound, single = set(), set()
    for app in OUR_APPS:
        for model in apps.get_app_config(app).get_models():
            for field in model._meta.get_fields():
                field = getattr(field, "base_field", field)  # a list of species keeps its choices on the item
                for code, label in getattr(field, "flatchoices", None) or ():
                    if not isinstance(code, str) or not code or code == label:
                        continue
                    (compound if re.search(r"[_-]", code) else single).add(code)
    return compound, single


COMPOUND_CODES, SINGLE_CODES = _choice_codes()

# A number with exactly two decimal places, not part of a longer number.
AMOUNT = re.compile(r"(?<![\d.,])-?\d[\d,]*\.\d{2}(?![\d])")
# Two-decimal numbers that are not money: distances, weights, volumes, rates, coordinates.
UNIT_AFTER = re.compile(r"\s*(km|kg|ml|mL|%|×)")

# Decimal columns and read-only fields with two places that are measures, not money.
NOT_MONEY = {
    f"{model._meta.label}.{field.name}"
    for app in OUR_APPS
    for model in apps.get_app_config(app).get_models()
    for field in model._meta.get_fields()
    if isinstance(field, models.DecimalField) and (field.max_digits or 0) < 12
}


class _Cells(HTMLParser):
    """Texts staff read on an admin page, each with the field it belongs to: result table cells, read-only
    values, the page title and the breadcrumbs. Text inside form widgets and scripts is skipped."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
    SKIP = {"select", "option", "script", "style", "textarea", "datalist", "template"}

    def __init__(self, *, every_cell: bool = False):
        super().__init__(convert_charrefs=True)
        self.every_cell = every_cell
        self.stack: list[tuple[str, str | None]] = []  # (tag, field name of the cell it opens, or None)
        self.cells: list[tuple[str, list[str]]] = []
        self.open: list[int] = []  # indexes into cells of the regions being read
        self.skipping = 0
        self.in_thead = 0
        self.in_result_list = 0
        self.last_field = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        field = next((c[len("field-") :] for c in classes if c.startswith("field-")), None)
        if field:
            self.last_field = field
        if tag in self.VOID:
            return
        region = None
        if tag in self.SKIP:
            self.skipping += 1
        elif tag == "thead":
            self.in_thead += 1
        elif tag == "table" and attrs.get("id") == "result_list":
            self.in_result_list += 1
        elif tag in ("td", "th") and field and not self.in_thead:
            region = field
        elif tag == "div" and "readonly" in classes:
            region = self.last_field
        elif tag == "p" and self.stack and self.stack[-1][0] == "td" and self.stack[-1][1]:
            region = None  # inline read-only value: already inside its cell
        elif tag in ("h2",) or (tag == "div" and "breadcrumbs" in classes):
            region = "(title)"
        elif self.every_cell and tag in ("td", "th", "dd", "li", "p", "text", "title") and not self.in_thead:
            region = f"({tag})"  # a custom page: every cell, item and chart label
        if region is not None:
            self.cells.append((region, []))
            self.open.append(len(self.cells) - 1)
        self.stack.append((tag, region))

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        while self.stack:
            open_tag, region = self.stack.pop()
            if region is not None:
                self.open.pop()
            if open_tag in self.SKIP:
                self.skipping -= 1
            elif open_tag == "thead":
                self.in_thead -= 1
            elif open_tag == "table" and self.in_result_list:
                self.in_result_list -= 1
            if open_tag == tag:
                break

    def handle_data(self, data):
        if self.skipping or not self.open:
            return
        for index in self.open:
            self.cells[index][1].append(data)


def _texts(html: str, *, every_cell: bool = False) -> list[tuple[str, str]]:
    parser = _Cells(every_cell=every_cell)
    parser.feed(html)
    return [(field, " ".join("".join(parts).split())) for field, parts in parser.cells]


def _problems(model, html: str, *, every_cell: bool = False) -> list[str]:
    found = []
    for field, text in _texts(html, every_cell=every_cell):
        if not text:
            continue
        for code in COMPOUND_CODES:
            if re.search(rf"(?<![\w/.-]){re.escape(code)}(?![\w/.-])", text):
                found.append(f"{field}: raw code {code!r} in {text!r}")
        for code in SINGLE_CODES:
            if text == code or re.search(rf"[(\[]{re.escape(code)}[)\]]", text):
                found.append(f"{field}: raw code {code!r} in {text!r}")
        if model is not None and f"{model._meta.label}.{field}" in NOT_MONEY:
            continue
        for match in AMOUNT.finditer(text):
            before = text[: match.start()].rstrip()
            if before.endswith("₹") or UNIT_AFTER.match(text, match.end()):
                continue
            found.append(f"{field}: amount {match.group()!r} without ₹ in {text!r}")
    return found


def _paid_bill():
    """A bill with an invoice and a cash payment: its page lists documents and payments too."""
    bill = BillingRecordFactory(status="invoiced", invoice_number="INV-2026-000042")
    PaymentFactory(billing_record=bill, method="cash")
    return bill


# Objects with more on their pages than the smoke tests' makers give them.
RICHER = {BillingRecord: _paid_bill}


@pytest.mark.django_db
@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_admin_pages_show_labels_and_rupees(admin_client, model):
    obj = RICHER.get(model, MAKERS[model])()
    pages = [_url(model, "changelist")]
    if model not in (CollectorRating, CollectorStatement):  # no change page: their lists are the page
        pages.append(_url(model, "change", obj.pk))

    problems = []
    for url in pages:
        response = admin_client.get(url, follow=True)
        assert response.status_code == 200, url
        problems += [f"{url} {p}" for p in _problems(model, response.content.decode())]

    assert not problems, "\n".join(problems)


def test_the_search_finds_what_it_looks_for():
    """The checker itself: codes and bare amounts in cells are found; labels, widgets and ₹ amounts pass."""
    bad = (
        '<table id="result_list"><thead><tr><th class="field-status">status</th></tr></thead><tbody>'
        '<tr><td class="field-collection_type">home</td><td class="field-final_amount">1250.00</td>'
        '<td class="field-x">Missed (no_show)</td></tr></tbody></table>'
        '<div class="form-row field-method"><div class="readonly">Payment 12.50 (cash)</div></div>'
    )
    good = (
        '<table id="result_list"><tbody><tr><td class="field-collection_type">Home collection</td>'
        '<td class="field-final_amount">₹1,250.00</td><td class="field-s"><select><option value="home">'
        "home</option></select></td></tr></tbody></table>"
        '<div class="form-row field-weight"><div class="readonly">3.20 km</div></div>'
    )

    assert len(_problems(BillingRecord, bad)) == 5
    assert _problems(BillingRecord, good) == []


@pytest.fixture
def lab_day():
    """Today's work, a bit of everything: bills in each state with payments, items in the lab, a collector's visit."""
    collector = StaffProfileFactory(role=StaffRole.COLLECTOR, user__full_name="Ravi Kumar").user
    today = timezone.localdate()
    visit = BookingFactory(collection_staff=collector, booking_date=today, status="confirmed")
    BookingItemFactory(booking=visit)
    CollectorAssignmentFactory(booking=visit, collector=collector)
    bills = [
        BillingRecordFactory(status=status, billing_date=today, booking__booking_date=today, invoice_number=number)
        for status, number in (("draft", None), ("finalized", None), ("paid", "INV-2026-000123"))
    ]
    PaymentFactory(billing_record=bills[2], method="cash")
    BookingItemFactory(status="in_lab")
    return collector


def _custom_pages(collector) -> list[str]:
    month = timezone.localdate().replace(day=1)
    report = reverse("admin:billing_billingrecord_report")
    return [
        reverse("admin:index"),
        report,
        f"{report}?period=month&date_from={month:%Y-%m-%d}&date_to={timezone.localdate():%Y-%m-%d}",
        reverse("admin:bookings_booking_today"),
        reverse("admin:bookings_bookingitem_worklist"),
        reverse("admin:settlement_collectorstatement_statement", args=[collector.pk]),
    ]


@pytest.mark.django_db
def test_dashboard_report_and_work_pages_show_labels_and_rupees(admin_client, lab_day):
    problems = []
    for url in _custom_pages(lab_day):
        response = admin_client.get(url, follow=True)
        assert response.status_code == 200, url
        problems += [f"{url} {p}" for p in _problems(None, response.content.decode(), every_cell=True)]

    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_objects_are_named_as_staff_name_them():
    booking = BookingFactory(
        code="DP-7K2M9Q",
        user__full_name="Ananya Sharma",
        pet__name="Bruno",
        subtotal=Decimal("1250.00"),
        slot=CollectionSlotFactory(
            date=datetime.date(2026, 12, 7), start_time=datetime.time(9), end_time=datetime.time(10)
        ),
    )
    item = BookingItemFactory(booking=booking, test__code="CBC", test__name="Complete blood count")
    report = TestReportFactory(booking_item=item)
    bill = BillingRecordFactory(booking=booking)
    collector = StaffProfileFactory(role=StaffRole.COLLECTOR, user__full_name="Ravi Kumar").user

    assert str(bill) == "Draft bill · DP-7K2M9Q · Ananya Sharma · ₹1,250.00 due"
    bill.invoice_number, bill.status = "INV-2026-000123", "invoiced"
    assert str(bill) == "INV-2026-000123 · DP-7K2M9Q · Ananya Sharma · ₹1,250.00 due"
    assert str(item) == "DP-7K2M9Q · CBC (Complete blood count) · Bruno"
    assert str(report) == "DP-7K2M9Q · CBC · Bruno · v1"
    assert str(PaymentFactory(billing_record=bill, method="cash")) == "₹1,250.00 cash · DP-7K2M9Q"
    assert str(CollectorAssignmentFactory(booking=booking, collector=collector)) == "DP-7K2M9Q → Ravi Kumar"
    assert str(booking.slot) == "Mon 07 Dec 2026, 09:00–10:00"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "field_name"), AUTOCOMPLETE_FIELDS, ids=lambda v: v if isinstance(v, str) else v._meta.label
)
def test_pickers_name_their_rows_without_a_query_each(admin_client, model, field_name):
    """An autocomplete picker shows each row's name (``__str__``); names that read related rows must not cost a
    query per row."""
    target = model._meta.get_field(field_name).related_model
    params = {"app_label": model._meta.app_label, "model_name": model._meta.model_name, "field_name": field_name}
    MAKERS[target]()
    admin_client.get(reverse("admin:autocomplete"), params | {"term": ""})  # warm-up: session, permissions

    with CaptureQueriesContext(connection) as one:
        admin_client.get(reverse("admin:autocomplete"), params | {"term": ""})
    for _ in range(3):
        MAKERS[target]()
    with CaptureQueriesContext(connection) as four:
        response = admin_client.get(reverse("admin:autocomplete"), params | {"term": ""})

    assert len(response.json()["results"]) >= 2
    assert len(four) == len(one), [q["sql"] for q in four.captured_queries]


@pytest.mark.django_db
def test_a_bill_name_counts_its_refunds_as_the_one_rule_does(admin_client):
    """Paid in full, then partly refunded (a test not done): nothing is due, whatever amount_paid now says."""
    bill = BillingRecordFactory(
        booking__code="DP-R3FUND", booking__user__full_name="Ananya Sharma", status=BillingRecord.Status.FINALIZED
    )  # final 500.00
    payment_record(record=bill, amount=Decimal("500.00"), method="cash")
    bill_refund(record=bill, amount=Decimal("200.00"), reason="A test was not done")
    bill.refresh_from_db()

    assert bill.amount_paid == Decimal("300.00")
    assert str(bill) == "Bill · DP-R3FUND · Ananya Sharma · ₹200.00 refunded"
    listing = admin_client.get(reverse("admin:billing_billingrecord_changelist")).content.decode()
    assert "₹200.00 refunded" in listing
    assert "₹200.00 due" not in listing
    picker = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "billing", "model_name": "payment", "field_name": "billing_record", "term": "R3FUND"},
    ).json()
    assert [r["text"] for r in picker["results"]] == ["Bill · DP-R3FUND · Ananya Sharma · ₹200.00 refunded"]
