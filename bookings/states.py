"""The lifecycles of bookings, items and reports: which moves are allowed. Every caller checks here.

Booking:  pending → confirmed → collected → processing → completed
          pending|confirmed → cancelled | no_show
          awaiting_schedule → pending | confirmed (a slot is chosen) | cancelled   (free re-collections)
Item:     pending → collected → received → processing → completed
          pending → cancelled;  collected|received|processing → rejected
Report:   pending → generated → verified → delivered   (generated → generated: re-upload before verification)
"""

from bookings.models import Booking, BookingItem, TestReport
from diagnopet.errors import InvalidTransition

B, It, R = Booking.Status, BookingItem.Status, TestReport.Status

BOOKING_TRANSITIONS: dict[str, frozenset[str]] = {
    B.AWAITING_SCHEDULE: frozenset({B.PENDING, B.CONFIRMED, B.CANCELLED}),
    B.PENDING: frozenset({B.CONFIRMED, B.CANCELLED, B.NO_SHOW}),
    B.CONFIRMED: frozenset({B.COLLECTED, B.CANCELLED, B.NO_SHOW}),
    B.COLLECTED: frozenset({B.PROCESSING}),
    B.PROCESSING: frozenset({B.COMPLETED}),
    B.COMPLETED: frozenset(),
    B.CANCELLED: frozenset(),
    B.NO_SHOW: frozenset(),
}

ITEM_TRANSITIONS: dict[str, frozenset[str]] = {
    It.PENDING: frozenset({It.COLLECTED, It.CANCELLED}),
    It.COLLECTED: frozenset({It.RECEIVED, It.REJECTED}),
    It.RECEIVED: frozenset({It.PROCESSING, It.REJECTED}),
    It.PROCESSING: frozenset({It.COMPLETED, It.REJECTED}),
    It.COMPLETED: frozenset(),
    It.CANCELLED: frozenset(),
    It.REJECTED: frozenset(),
}

REPORT_TRANSITIONS: dict[str, frozenset[str]] = {
    R.PENDING: frozenset({R.GENERATED}),
    R.GENERATED: frozenset({R.GENERATED, R.VERIFIED}),
    R.VERIFIED: frozenset({R.DELIVERED}),
    R.DELIVERED: frozenset(),
}


def _terminal(table: dict[str, frozenset[str]]) -> frozenset[str]:
    return frozenset(state for state, moves in table.items() if not moves)


def _into(table: dict[str, frozenset[str]], target: str) -> frozenset[str]:
    return frozenset(state for state, moves in table.items() if target in moves and state != target)


# The named groups of states every caller uses, derived from the tables above so they cannot drift from them.
# Terminal: nothing moves any more. Open: not terminal yet. Closed: a booking that ended without its visit
# (cancelled or no-show) — nothing may be added to it.
BOOKING_TERMINAL = _terminal(BOOKING_TRANSITIONS)  # completed, cancelled, no-show
BOOKING_OPEN = frozenset(BOOKING_TRANSITIONS) - BOOKING_TERMINAL
BOOKING_CLOSED = BOOKING_TERMINAL - {B.COMPLETED}
# Before the visit: the states a booking can still be cancelled from (awaiting schedule, pending, confirmed); the
# same ones it can be rescheduled from.
BOOKING_UPCOMING = _into(BOOKING_TRANSITIONS, B.CANCELLED)
# A visit is planned on a day (pending, confirmed): it can be missed. Day sheets, reminders and per-day limits count
# these; an awaiting-schedule re-collection has no day yet.
BOOKING_SCHEDULED = _into(BOOKING_TRANSITIONS, B.NO_SHOW)
BOOKING_UNSCHEDULED = BOOKING_UPCOMING - BOOKING_SCHEDULED

ITEM_TERMINAL = _terminal(ITEM_TRANSITIONS)  # completed, cancelled, rejected
ITEM_OPEN = frozenset(ITEM_TRANSITIONS) - ITEM_TERMINAL
# The sample is at or on its way to the lab (collected, received, processing): it can be rejected, and it can
# run late (overdue).
ITEM_IN_LAB = _into(ITEM_TRANSITIONS, It.REJECTED)
# At the lab bench (received, processing): its report can be uploaded.
ITEM_REPORTABLE = _into(ITEM_TRANSITIONS, It.PROCESSING) | {It.PROCESSING}

# Before verification (pending, generated): the findings may still be corrected.
REPORT_UNVERIFIED = _into(REPORT_TRANSITIONS, R.GENERATED) | _into(REPORT_TRANSITIONS, R.VERIFIED)

_TABLES = {"booking": BOOKING_TRANSITIONS, "item": ITEM_TRANSITIONS, "report": REPORT_TRANSITIONS}
_LABELS = {"booking": B, "item": It, "report": R}


def can_transition(kind: str, current: str, target: str) -> bool:
    return target in _TABLES[kind].get(current, frozenset())


def check_transition(kind: str, current: str, target: str) -> None:
    """Raise ``InvalidTransition`` (HTTP 409, code ``invalid_transition``) unless ``current → target`` is allowed."""
    if not can_transition(kind, current, target):
        labels = _LABELS[kind]
        raise InvalidTransition(
            f"A {kind} that is {labels(current).label.lower()} cannot become {labels(target).label.lower()}."
        )
