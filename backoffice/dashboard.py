"""The staff dashboard on the admin index: what needs doing today, in a handful of aggregate queries, and the free
re-collections still waiting for the customer to choose a slot.

Each figure comes with the admin changelist URL that lists the same rows, and is shown only to staff who may view
those rows. Collectors see their own visits and samples (as their changelists do), and no revenue.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone

from accounts.roles import staff_is_collector
from backoffice.charts import Charts, dashboard_charts
from billing.models import BillingRecord
from bookings.models import Booking, BookingItem, TestReport
from bookings.querysets import item_overdue_q
from bookings.states import BOOKING_UNSCHEDULED

UNSCHEDULED_SHOWN = 10  # re-collections listed by name; the figure counts them all

# "Billed" counts final bills only (finalized, invoiced, paid): a draft is a booking not done yet, a void one never
# will be. Drafts are shown apart, as what today's bookings will bill.
BILL_FINAL = (BillingRecord.Status.FINALIZED, BillingRecord.Status.INVOICED, BillingRecord.Status.PAID)
BILL_COUNTED = (BillingRecord.Status.DRAFT, *BILL_FINAL)


@dataclass(frozen=True)
class Figure:
    label: str
    value: int | Decimal
    url: str
    money: bool = False


@dataclass
class Dashboard:
    today: datetime.date
    visits: list[Figure] | None = None  # today's visits by status (None: not the user's to see)
    visits_total: Figure | None = None
    awaiting_receipt: Figure | None = None
    overdue: Figure | None = None
    awaiting_verification: Figure | None = None
    revenue: list[Figure] = field(default_factory=list)
    # Free re-collections whose customer has not chosen a slot yet: the figure, and the oldest of them.
    unscheduled: Figure | None = None
    unscheduled_bookings: list[Booking] = field(default_factory=list)
    # The clinic admin's charts (None for the other roles, who land on their own pages).
    charts: Charts | None = None

    @property
    def work(self) -> list[Figure]:
        """The to-do figures the user may see, in the order the lab works through them."""
        return [f for f in (self.awaiting_receipt, self.overdue, self.awaiting_verification) if f is not None]

    @property
    def empty(self) -> bool:
        return self.visits_total is None and not self.work and not self.revenue and self.unscheduled is None


def _url(model, **params) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist") + "?" + urlencode(params)


def _can_view(user, model) -> bool:
    return user.has_perm(f"{model._meta.app_label}.view_{model._meta.model_name}")


def dashboard_figures(*, user, now: datetime.datetime | None = None, charts: bool = False) -> Dashboard:
    """Today's visits by status, the re-collections awaiting a slot, samples awaiting receipt, overdue items, reports
    awaiting verification and today's revenue (final bills, drafts, paid) — at most six queries (one per block, two
    for the re-collections), whatever the number of bookings; with ``charts``, for those who may see revenue, the
    charts of ``backoffice.charts`` too (six more)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    board = Dashboard(today=today)
    collector = staff_is_collector(user)

    if _can_view(user, Booking):
        # A re-collection awaiting its schedule is no visit of the day it was made; it is listed on its own below.
        bookings = Booking.objects.filter(booking_date=today).exclude(status__in=BOOKING_UNSCHEDULED)
        if collector:
            bookings = bookings.filter(collection_staff=user)
        counts = dict(bookings.values_list("status").annotate(n=Count("id")).order_by())
        day = today.isoformat()
        board.visits = [
            Figure(label, counts[status], _url(Booking, booking_date=day, status=status))
            for status, label in Booking.Status.choices
            if counts.get(status)
        ]
        board.visits_total = Figure("Visits today", sum(counts.values()), _url(Booking, booking_date=day))
        if not collector:
            _unscheduled(board)

    if _can_view(user, BookingItem):
        items = BookingItem.objects.all()
        if collector:
            items = items.filter(booking__collection_staff=user)
        numbers = items.aggregate(
            awaiting=Count("id", filter=Q(status=BookingItem.Status.COLLECTED)),
            overdue=Count("id", filter=item_overdue_q(now)),
        )
        board.awaiting_receipt = Figure(
            "Samples awaiting receipt",
            numbers["awaiting"],
            _url(BookingItem, status=BookingItem.Status.COLLECTED),
        )
        board.overdue = Figure(
            "Overdue items",
            numbers["overdue"],
            _url(BookingItem, overdue="yes"),
        )

    if _can_view(user, TestReport):
        waiting = TestReport.objects.filter(status=TestReport.Status.GENERATED, is_current=True).count()
        board.awaiting_verification = Figure(
            "Reports awaiting verification",
            waiting,
            _url(TestReport, status=TestReport.Status.GENERATED, is_current__exact=1),
        )

    if _can_view(user, BillingRecord) and not collector:
        day = today.isoformat()
        final, draft = Q(status__in=BILL_FINAL), Q(status=BillingRecord.Status.DRAFT)
        totals = BillingRecord.objects.filter(billing_date=today).aggregate(
            final=Sum("final_amount", filter=final, default=Decimal("0.00")),
            draft=Sum("final_amount", filter=draft, default=Decimal("0.00")),
            paid=Sum("amount_paid", filter=final | draft, default=Decimal("0.00")),
        )
        board.revenue = [
            Figure(
                "Billed today (final bills)",
                totals["final"],
                _url(BillingRecord, billing_date=day, status__in=",".join(BILL_FINAL)),
                money=True,
            ),
            Figure(
                "Still to bill (today's draft bills)",
                totals["draft"],
                _url(BillingRecord, billing_date=day, status=BillingRecord.Status.DRAFT),
                money=True,
            ),
            Figure(
                "Paid on today's bills",
                totals["paid"],
                _url(BillingRecord, billing_date=day, status__in=",".join(BILL_COUNTED)),
                money=True,
            ),
        ]
        if charts:
            board.charts = dashboard_charts(now=now)
    return board


def _unscheduled(board: Dashboard) -> None:
    """Re-collections awaiting the customer's choice of slot: how many, and the oldest few with their customer and
    pet (two queries)."""
    waiting = Booking.objects.filter(status__in=BOOKING_UNSCHEDULED)
    board.unscheduled = Figure(
        "Re-collections awaiting a slot",
        waiting.count(),
        _url(Booking, status=Booking.Status.AWAITING_SCHEDULE),
    )
    if board.unscheduled.value:
        board.unscheduled_bookings = list(
            waiting.select_related("user", "pet", "recollection_of").order_by("created_at", "id")[:UNSCHEDULED_SHOWN]
        )
