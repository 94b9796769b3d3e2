"""Billing figures for staff: per day or per month over a date range.

Each part of the summary is one aggregate query (GROUP BY the billing date), never a loop over records:
the bills by collection type (a column of the bill), and the tests by category from ``CategoryDayTotal``, which
``billing.services.category_totals_rebuild`` recomputes from the items every few minutes (not from millions of
booking items on each request; the summary says how old those figures are). Void bills (cancelled bookings) are
not revenue and are left out.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Sum, Value
from django.db.models.functions import Coalesce, TruncDay, TruncMonth

from billing.models import BillingRecord, CategoryDayTotal
from diagnopet.db_routers import reads_from_replica
from diagnopet.errors import ValidationFailed
from diagnopet.models import ScheduledRun
from diagnopet.money import ZERO

PERIODS = {"day": TruncDay, "month": TruncMonth}
MONEY = DecimalField(max_digits=14, decimal_places=2)
SUMMED = ("base", "discount", "distance", "final", "paid")
FIGURES = (*SUMMED, "outstanding")
MAX_RANGE_DAYS = 3 * 366
# The scheduled job that rebuilds the category totals; its last success is the figures' "as of".
CATEGORY_TOTALS_JOB = "rebuild-category-totals"


def _money_sum(field: str):
    return Coalesce(Sum(field), Value(ZERO), output_field=MONEY)


def _figures():
    return {
        "bookings": Count("id"),
        "base": _money_sum("base_amount"),
        "discount": _money_sum("discount_amount"),
        "distance": _money_sum("distance_charge"),
        "final": _money_sum("final_amount"),
        "paid": _money_sum("amount_paid"),
    }


@dataclass
class BillingSummary:
    period: str
    date_from: datetime.date
    date_to: datetime.date
    rows: list[dict]
    totals: dict
    by_collection_type: list[dict]
    by_category: list[dict]
    categories_as_of: datetime.datetime | None  # when the split by category was computed (None: never yet)


def _records(date_from, date_to):
    return BillingRecord.objects.filter(billing_date__range=(date_from, date_to)).exclude(
        status=BillingRecord.Status.VOID
    )


# Figures that tolerate a few seconds of replication lag: read from the replica when one is configured.
@reads_from_replica()
def billing_summary(*, period: str, date_from: datetime.date, date_to: datetime.date) -> BillingSummary:
    """Bookings, base, discount, distance charge, final, paid and outstanding per day or month in
    [date_from, date_to], with the split by collection type and the tests' gross amount by category."""
    if period not in PERIODS:
        raise ValidationFailed("Period must be 'day' or 'month'.", code="invalid_period", field="period")
    if date_from > date_to:
        raise ValidationFailed("'from' must not be after 'to'.", code="invalid_range", field="from")
    if (date_to - date_from).days > MAX_RANGE_DAYS:
        raise ValidationFailed("Choose a range of at most three years.", code="range_too_long", field="to")
    trunc = PERIODS[period]
    # Grouped by the stored date (at most 2 × 1,098 rows), then into periods here: cheaper for PostgreSQL than
    # grouping every bill by an expression.
    by_day = (
        _records(date_from, date_to)
        .values("collection_type", period=F("billing_date"))
        .annotate(**_figures())
        .order_by()
    )
    by_type = _add_up(by_day, period=period, keys=("collection_type",))
    # The per-period rows are the per-type rows added up: one query less over the whole range.
    rows = _add_up(by_type, period=period, keys=())
    by_category = _by_category(trunc, date_from, date_to)
    totals = {"bookings": sum(r["bookings"] for r in rows)}
    for key in FIGURES:
        totals[key] = sum((r[key] for r in rows), Decimal("0.00"))
    return BillingSummary(
        period=period,
        date_from=date_from,
        date_to=date_to,
        rows=rows,
        totals=totals,
        by_collection_type=by_type,
        by_category=by_category,
        categories_as_of=category_totals_as_of(),
    )


def _period_start(day: datetime.date, period: str) -> datetime.date:
    return day.replace(day=1) if period == "month" else day


def _add_up(rows, *, period: str, keys: tuple[str, ...]) -> list[dict]:
    """Rows (per day or period, and ``keys``) added up per period and ``keys``, sorted, with ``outstanding``."""
    totals: dict = {}
    for row in rows:
        start = _period_start(row["period"], period)
        group = (start, *(row[key] for key in keys))
        total = totals.get(group)
        if total is None:
            total = totals[group] = {"period": start, **{key: row[key] for key in keys}, "bookings": 0}
            total.update(dict.fromkeys(SUMMED, ZERO))
        total["bookings"] += row["bookings"]
        for key in SUMMED:
            total[key] += row[key]
    for total in totals.values():
        total["outstanding"] = total["final"] - total["paid"]
    return [totals[group] for group in sorted(totals)]


def category_totals_as_of() -> datetime.datetime | None:
    """When the category totals were last rebuilt (None: never)."""
    return ScheduledRun.objects.filter(name=CATEGORY_TOTALS_JOB).values_list("last_success_at", flat=True).first()


def _by_category(trunc, date_from, date_to) -> list[dict]:
    """Items and their gross amount (unit price × quantity, before the booking's discount) per test category."""
    rows = (
        CategoryDayTotal.objects.filter(day__range=(date_from, date_to))
        .annotate(period=trunc("day"))
        .values("period", "category__name")
        .annotate(items=Sum("items"), amount=Coalesce(Sum("amount"), Value(ZERO), output_field=MONEY))
        .exclude(items=0)
        .order_by("period", "category__name")
    )
    return [
        _finish_period(
            {"period": r["period"], "category": r["category__name"], "items": r["items"], "amount": r["amount"]}
        )
        for r in rows
    ]


def _finish_period(row: dict) -> dict:
    if isinstance(row["period"], datetime.datetime):
        row["period"] = row["period"].date()
    return row
