"""The clinic admin's dashboard charts, drawn on the server as inline SVG (no script, no CDN).

The figures come from a fixed number of aggregate queries (``dashboard_charts``: six, whatever the number of
bookings); this module arranges them into SVG geometry that the template draws as it is: bars with a tooltip
(``<title>``) each, a few gridlines labelled in rupees or counts, and a text summary beside each chart for those who
would rather read (and for screen readers).
"""

import datetime
import math
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from accounts.models import StaffProfile, StaffRole
from billing.models import BillingRecord
from bookings.models import Booking, BookingItem
from bookings.querysets import item_overdue_q
from bookings.states import BOOKING_UNSCHEDULED
from diagnopet.money import ZERO, format_money

DAYS = 30
LOAD_DAYS = 7

# Geometry, in SVG user units (the SVG scales to the width of its box).
WIDTH = 520
HEIGHT = 190
LEFT = 64  # room for the axis labels
RIGHT = 24  # room for the last day's label
TOP = 12
BOTTOM = 28  # room for the day labels
GRIDLINES = 4


@dataclass
class Bar:
    x: float
    width: float
    y: float
    height: float
    title: str
    inner_y: float = 0.0  # the second series drawn inside the bar (paid within billed)
    inner_height: float = 0.0


@dataclass
class BarChart:
    title: str
    summary: str
    bars: list[Bar]
    gridlines: list[tuple[float, str]]  # (y, label)
    labels: list[tuple[float, str]]  # (x, label) under the axis
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    baseline: float = HEIGHT - BOTTOM
    label_y: float = HEIGHT - BOTTOM + 16
    legend: list[tuple[str, str]] = field(default_factory=list)  # (css class, label)


def _nice_top(value: Decimal | int) -> Decimal:
    """A round axis maximum at or above ``value`` (1, 2, 2.5 or 5 × a power of ten), so gridlines read well."""
    value = Decimal(value)
    if value <= 0:
        return Decimal(GRIDLINES)
    power = Decimal(10) ** (len(str(int(value))) - 1)
    for step in (1, 2, Decimal("2.5"), 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def bar_chart(
    *, title: str, summary: str, days: list[datetime.date], values: list, inner: list | None = None, money: bool
) -> BarChart:
    """One bar per day (``values``), optionally a second series drawn inside each bar (``inner``)."""
    top = _nice_top(max([*values, *(inner or [])], default=0))
    if not money:  # counts: whole numbers on every gridline (no "1.25 bookings")
        top = Decimal(math.ceil(top / GRIDLINES) * GRIDLINES)
    plot_height = HEIGHT - TOP - BOTTOM
    baseline = HEIGHT - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(days), 1)

    def height(value) -> float:
        return round(float(Decimal(value) / top) * plot_height, 1)

    def show(value) -> str:
        return format_money(value) if money else str(value)

    bars = []
    for index, (day, value) in enumerate(zip(days, values, strict=True)):
        h = height(value)
        text = f"{day:%a %d %b}: {show(value)}"
        bar = Bar(x=round(LEFT + index * slot + slot * 0.15, 1), width=round(slot * 0.7, 1), y=baseline - h, height=h,
                  title=text)  # fmt: skip
        if inner is not None:
            ih = height(inner[index])
            bar.inner_y, bar.inner_height = baseline - ih, ih
            bar.title = f"{text} billed, {show(inner[index])} paid"
        bars.append(bar)
    gridlines = []
    for step in range(GRIDLINES + 1):
        amount = top * step / GRIDLINES
        label = format_money(amount).replace(".00", "") if money else f"{amount.normalize():f}"
        gridlines.append((round(baseline - plot_height * step / GRIDLINES, 1), label))
    # A day label every week (and on the last day), so 30 labels do not collide.
    labels = [
        (round(LEFT + index * slot + slot / 2, 1), f"{day:%d %b}")
        for index, day in enumerate(days)
        if (len(days) - 1 - index) % 7 == 0
    ]
    return BarChart(title=title, summary=summary, bars=bars, gridlines=gridlines, labels=labels, baseline=baseline)


@dataclass
class Compliance:
    """Reports done in the last 30 days on time (by their due time) and late, and samples overdue now."""

    on_time: int
    late: int
    overdue_now: int

    @property
    def done(self) -> int:
        return self.on_time + self.late

    @property
    def percent(self) -> int | None:
        return round(100 * self.on_time / self.done) if self.done else None

    @property
    def on_time_width(self) -> float:
        return round(100 * self.on_time / self.done, 1) if self.done else 0.0


@dataclass
class CollectorLoad:
    name: str
    cap: int
    cells: list[tuple[datetime.date, int, str]]  # (day, visits, css level: none | low | mid | full | over)


@dataclass
class Charts:
    bookings: BarChart
    revenue: BarChart
    compliance: Compliance
    load_days: list[datetime.date]
    loads: list[CollectorLoad]


def _level(visits: int, cap: int) -> str:
    if visits == 0:
        return "none"
    if visits > cap:
        return "over"
    if visits == cap:
        return "full"
    return "mid" if visits * 2 >= cap else "low"


def dashboard_charts(*, now: datetime.datetime | None = None) -> Charts:
    """Bookings and revenue per day over the last 30 days, turnaround compliance, and each collector's visits over
    the next seven days against their cap — six queries."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    days = [today - datetime.timedelta(days=DAYS - 1 - n) for n in range(DAYS)]

    booked = Counter(
        dict(
            Booking.objects.filter(booking_date__range=(days[0], today))
            .exclude(status__in=BOOKING_UNSCHEDULED)
            .exclude(status=Booking.Status.CANCELLED)
            .order_by()
            .values_list("booking_date")
            .annotate(n=Count("id"))
        )
    )
    money = {
        row["billing_date"]: row
        for row in BillingRecord.objects.filter(billing_date__range=(days[0], today))
        .exclude(status=BillingRecord.Status.VOID)
        .order_by()
        .values("billing_date")
        .annotate(final=Sum("final_amount"), paid=Sum("amount_paid"))
    }
    booking_counts = [booked[day] for day in days]
    billed = [money[day]["final"] if day in money else ZERO for day in days]
    paid = [money[day]["paid"] if day in money else ZERO for day in days]
    total_billed, total_paid = sum(billed, ZERO), sum(paid, ZERO)

    since = now - datetime.timedelta(days=DAYS)
    done = BookingItem.objects.filter(completed_at__gte=since, due_at__isnull=False).aggregate(
        on_time=Count("id", filter=Q(completed_at__lte=F("due_at"))),
        late=Count("id", filter=Q(completed_at__gt=F("due_at"))),
    )
    overdue_now = BookingItem.objects.filter(item_overdue_q(now)).count()

    load_days = [today + datetime.timedelta(days=n) for n in range(LOAD_DAYS)]
    visits = Counter(
        {
            (row[0], row[1]): row[2]
            for row in Booking.objects.filter(
                booking_date__range=(load_days[0], load_days[-1]), collection_staff__isnull=False
            )
            .exclude(status__in=(Booking.Status.CANCELLED, Booking.Status.NO_SHOW, *BOOKING_UNSCHEDULED))
            .order_by()
            .values_list("collection_staff", "booking_date")
            .annotate(n=Count("id"))
        }
    )
    loads = []
    profiles = StaffProfile.objects.filter(role=StaffRole.COLLECTOR, user__is_active=True).select_related("user")
    for profile in profiles.order_by("user__full_name", "user_id"):
        cap = profile.daily_visit_cap
        cells = [
            (day, visits[(profile.user_id, day)], _level(visits[(profile.user_id, day)], cap)) for day in load_days
        ]
        loads.append(CollectorLoad(name=profile.user.get_full_name() or profile.user.phone, cap=cap, cells=cells))

    return Charts(
        bookings=bar_chart(
            title="Bookings per visit day, last 30 days",
            summary=f"{sum(booking_counts)} bookings in 30 days, {booked[today]} today "
            f"(busiest day: {max(booking_counts)}). Cancelled bookings are not counted.",
            days=days,
            values=booking_counts,
            money=False,
        ),
        revenue=bar_chart(
            title="Revenue per day, last 30 days (billed, and paid within it)",
            summary=f"{format_money(total_billed)} billed in 30 days, {format_money(total_paid)} of it paid; "
            f"today {format_money(billed[-1])} billed. Void bills are not counted.",
            days=days,
            values=billed,
            inner=paid,
            money=True,
        ),
        compliance=Compliance(on_time=done["on_time"], late=done["late"], overdue_now=overdue_now),
        load_days=load_days,
        loads=loads,
    )
