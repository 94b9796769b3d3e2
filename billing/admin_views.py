"""Back-office billing pages: the day/month report (table, chart, CSV) and the record-payment form.

The report is built only from ``billing.selectors.billing_summary`` (four aggregate queries, whatever the number
of bills, and the time the category split was computed); this module arranges its figures for people: splits,
per-group totals, the bar chart's geometry.
"""

import calendar
import csv
import datetime
from decimal import Decimal
from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from accounts.roles import staff_is_collector
from billing.gateway import money_record_by_staff
from billing.models import BillingRecord, Payment
from billing.selectors import FIGURES, billing_summary
from billing.services import amount_due, refund_allowed
from diagnopet.admin_base import action_form, action_form_page
from diagnopet.errors import DomainError
from diagnopet.money import ZERO, format_money
from diagnopet.spreadsheet import money_heading, spreadsheet_safe

CSV_COLUMNS = ("section", "period", "group", "bookings", *FIGURES, "items", "amount")
CSV_MONEY = frozenset((*FIGURES, "amount"))


def csv_header(column: str) -> str:
    """A CSV column's heading: amounts name their currency ("Final (INR)", ``money_heading``)."""
    heading = column.replace("_", " ").capitalize()
    return money_heading(heading) if column in CSV_MONEY else heading


# Bar chart geometry, in SVG user units (the SVG scales to the page width).
CHART_HEIGHT = 240
CHART_TOP = 10
CHART_BOTTOM = 30  # room for the period labels
CHART_LEFT = 90  # room for the axis labels (rupees)
CHART_PLOT_WIDTH = 860
CHART_GRIDLINES = 4
CHART_LABELS = 12  # period labels under the axis at most


def _this_month(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    last = calendar.monthrange(today.year, today.month)[1]
    return today.replace(day=1), today.replace(day=last)


class ReportForm(forms.Form):
    period = forms.ChoiceField(choices=[("day", "Per day"), ("month", "Per month")], initial="day")
    date_from = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    date_to = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    @classmethod
    def from_query(cls, query):
        """Bound to the query string; a missing field falls back to this month, per day."""
        date_from, date_to = _this_month(timezone.localdate())
        data = {"period": "day", "date_from": date_from, "date_to": date_to}
        data.update({key: query[key] for key in ("period", "date_from", "date_to") if query.get(key)})
        return cls(data)


class PaymentForm(forms.Form):
    """What a person recording a payment (or refund) against one bill types in. Refunds are offered only to those
    who may give them (``billing.services.payment_refusal`` says who, and checks again)."""

    kind = forms.ChoiceField(choices=Payment.Kind.choices, initial=Payment.Kind.PAYMENT)
    amount = forms.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    method = forms.ChoiceField(choices=Payment.Method.choices)
    reference = forms.CharField(max_length=100, required=False, help_text="UPI/card/gateway reference.")

    def __init__(self, *args, may_refund: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_refund:
            self.fields["kind"].choices = [(Payment.Kind.PAYMENT, Payment.Kind.PAYMENT.label)]


def _group_totals(rows: list[dict], key: str, figures: tuple[str, ...]) -> list[dict]:
    """Sum ``figures`` of the split rows per ``key`` over all periods (in the order groups first appear)."""
    totals: dict = {}
    for row in rows:
        group = totals.setdefault(row[key], {key: row[key], **dict.fromkeys(figures, 0)})
        for figure in figures:
            group[figure] += row[figure]
    return list(totals.values())


def period_label(start: datetime.date, period: str) -> str:
    """A period as people name it: "07 Dec 2026" for a day, "Dec 2026" for a month — the same in every table."""
    return f"{start:%d %b %Y}" if period == "day" else f"{start:%b %Y}"


def _periods(date_from: datetime.date, date_to: datetime.date, period: str) -> list[datetime.date]:
    """Every period of the range, in order (a day or a month without bills is still on the chart's axis)."""
    if period == "day":
        return [date_from + datetime.timedelta(days=n) for n in range((date_to - date_from).days + 1)]
    months, month = [], date_from.replace(day=1)
    while month <= date_to:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def _nice_top(value: Decimal) -> Decimal:
    """A round axis maximum at or above ``value`` (1, 2, 2.5 or 5 × a power of ten)."""
    if value <= 0:
        return Decimal(CHART_GRIDLINES)
    power = Decimal(10) ** (len(str(int(value))) - 1)
    for step in (1, 2, Decimal("2.5"), 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _chart(rows: list[dict], period: str, date_from: datetime.date, date_to: datetime.date) -> dict:
    """Bars of the final amount per period with the paid amount inside each, over every period of the range (empty
    ones too, so one day of bills is one bar among the month's days, not one bar alone), on a rupee scale."""
    by_period = {row["period"]: row for row in rows}
    periods = _periods(date_from, date_to, period)
    top = _nice_top(max((max(row["final"], row["paid"]) for row in rows), default=ZERO))
    plot = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    baseline = CHART_TOP + plot
    slot = CHART_PLOT_WIDTH / max(len(periods), 1)

    def height(value: Decimal) -> float:
        return round(float(value / top) * plot, 1)

    bars = []
    every = max(1, round(len(periods) / CHART_LABELS))
    for index, start in enumerate(periods):
        row = by_period.get(start, {"final": ZERO, "paid": ZERO})
        x = CHART_LEFT + index * slot
        final_h, paid_h = height(row["final"]), height(row["paid"])
        bars.append(
            {
                "title": f"{period_label(start, period)}: {format_money(row['final'])} final, "
                f"{format_money(row['paid'])} paid",
                "label": (f"{start:%d %b}" if period == "day" else f"{start:%b %Y}") if index % every == 0 else "",
                "label_x": round(x + slot / 2, 1),
                "x": round(x + slot * 0.12, 1),
                "width": round(max(slot * 0.76, 1), 1),
                "final_y": round(baseline - final_h, 1),
                "final_h": final_h,
                "paid_y": round(baseline - paid_h, 1),
                "paid_h": paid_h,
            }
        )
    gridlines = [
        (round(baseline - plot * step / CHART_GRIDLINES, 1), format_money(top * step / CHART_GRIDLINES))
        for step in range(CHART_GRIDLINES + 1)
    ]
    return {
        "bars": bars,
        "gridlines": gridlines,
        "width": CHART_LEFT + CHART_PLOT_WIDTH + 10,
        "height": CHART_HEIGHT,
        "baseline": baseline,
        "left": CHART_LEFT,
        "label_y": baseline + 16,
    }


def _shown(rows: list[dict], period: str | None, *, group: str | None = None, labels: dict | None = None):
    """Rows as the page shows them: the period named (``period_label``), the group by its label, every amount in
    rupees (``FIGURES`` order)."""
    shown = []
    for row in rows:
        name = row.get(group) if group else None
        shown.append(
            {
                "period": period_label(row["period"], period) if period else "Total",
                "group": (labels or {}).get(name, name),
                "bookings": row.get("bookings"),
                "cells": [format_money(row[figure]) for figure in FIGURES],
            }
        )
    return shown


def _csv_response(summary) -> HttpResponse:
    """Every figure of the page, one flat table: a ``section`` column says which part a row belongs to."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"billing-{summary.period}-{summary.date_from:%Y%m%d}-{summary.date_to:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.DictWriter(response, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writerow({column: csv_header(column) for column in CSV_COLUMNS})
    types = _collection_types()

    def period(row) -> str:
        return period_label(row["period"], summary.period)

    for row in summary.rows:
        writer.writerow({**row, "section": "Period", "period": period(row)})
    for row in summary.by_collection_type:
        group = types.get(row["collection_type"], row["collection_type"])
        writer.writerow({**row, "section": "Collection type", "period": period(row), "group": group})
    for row in summary.by_category:
        # A category name is staff's text: never a formula in the spreadsheet that opens the file.
        group = spreadsheet_safe(row["category"] or "")
        writer.writerow({**row, "section": "Category", "period": period(row), "group": group})
    writer.writerow({**summary.totals, "section": "Total", "period": ""})
    return response


def _collection_types() -> dict[str, str]:
    """The booking's collection type labels, named through the relation: billing does not import bookings."""
    booking = BillingRecord._meta.get_field("booking").related_model
    return dict(booking._meta.get_field("collection_type").flatchoices)


def billing_report_allowed(request, model_admin: admin.ModelAdmin) -> bool:
    """Those who may view billing records (analysts, admins) — not collectors, who may view their own visits'
    bills (to record door payments) but not the whole lab's money."""
    return model_admin.has_view_permission(request) and not staff_is_collector(request.user)


def billing_report_view(request, model_admin: admin.ModelAdmin):
    """The billing report over a date range, per day or month: totals, rows, splits, a chart; ``?format=csv``
    answers the same figures as a CSV file (see ``billing_report_allowed`` for who may)."""
    if not billing_report_allowed(request, model_admin):
        raise PermissionDenied
    form = ReportForm.from_query(request.GET)
    summary = None
    if form.is_valid():
        try:
            summary = billing_summary(
                period=form.cleaned_data["period"],
                date_from=form.cleaned_data["date_from"],
                date_to=form.cleaned_data["date_to"],
            )
        except DomainError as exc:
            # The selector names the input it refuses: "from" is the form's date_from, "to" its date_to.
            field = {"from": "date_from", "to": "date_to"}.get(exc.field, exc.field)
            form.add_error(field if field in form.fields else None, exc.message)
    if summary is not None and request.GET.get("format") == "csv":
        return _csv_response(summary)

    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Billing report",
        "opts": model_admin.model._meta,
        "form": form,
        "summary": summary,
        "figures": FIGURES,
    }
    if summary is not None:
        csv_query = {**{key: str(value) for key, value in form.cleaned_data.items()}, "format": "csv"}
        types = _collection_types()
        period = summary.period
        context.update(
            csv_query=urlencode(csv_query),
            chart=_chart(summary.rows, period, summary.date_from, summary.date_to),
            rows=_shown(summary.rows, period),
            total=_shown([{"period": None, **summary.totals}], None)[0],
            type_rows=_shown(summary.by_collection_type, period, group="collection_type", labels=types),
            type_totals=_shown(
                _group_totals(summary.by_collection_type, "collection_type", ("bookings", *FIGURES)),
                None,
                group="collection_type",
                labels=types,
            ),
            category_rows=[
                {**row, "label": period_label(row["period"], period), "money": format_money(row["amount"])}
                for row in summary.by_category
            ],
            category_totals=[
                {**row, "money": format_money(row["amount"])}
                for row in _group_totals(summary.by_category, "category", ("items", "amount"))
            ],
        )
    return TemplateResponse(request, "admin/billing/billingrecord/report.html", context)


def record_payment_view(request, model_admin: admin.ModelAdmin, queryset):
    """The "record payment" action's intermediate page: one bill, a payment or refund through
    ``billing.gateway.money_record_by_staff`` (refunds of online payments go through their provider). Returns None
    (back to the list) when done or refused; an amount or kind the service refuses is shown on the form instead,
    to correct."""
    records = list(queryset[:2])
    if len(records) != 1:
        model_admin.message_user(request, "Select exactly one bill to record a payment for.", level="error")
        return None
    record = records[0]
    # The amount due is filled in: the usual case, and the most a payment may be.
    form = action_form(
        PaymentForm,
        request,
        initial={"amount": amount_due(record)},
        may_refund=refund_allowed(request.user),
    )
    if form.is_valid():
        try:
            payment = money_record_by_staff(record=record, by=request.user, **form.cleaned_data)
        except DomainError as exc:
            if exc.field not in form.fields:
                model_admin.message_user(request, f"{record}: {exc.message}", level="error")
                return None
            # An amount above what is due (or a refund above what was paid): shown on the form, to correct.
            form.add_error(exc.field, exc.message)
        else:
            model_admin.message_user(request, f"{record}: {payment} recorded.", level="success")
            return None
    return action_form_page(
        model_admin,
        request,
        [record],
        form=form,
        action="record_payment",
        title=f"Record a payment for {record}",
        template="admin/billing/billingrecord/record_payment.html",
        record=record,
        due=amount_due(record),
        submit_label="Record",
    )
