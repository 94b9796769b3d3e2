"""Which collector for which visit (reads only; the writes are ``bookings.services.assignment``).

A collector fits a visit when the visit is in one of their service areas (the address's postal code is one of
theirs, or its pin lies within an area's radius of the area's centre), the visit's day is one of their working
days, and they have fewer visits that day than their daily cap. A collector with no service areas at all is not
limited by area ("anywhere"), but ranks after those whose area matches.

Suggestions rank every active collector for a visit; anything that does not fit is a warning with its reason.
Assigning past a warning is allowed once the assigner confirms it, and the warnings are recorded with the
assignment. The day's auto-assignment only uses collectors that fit, and balances the load.
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Prefetch

from accounts.models import CollectorArea, StaffProfile, StaffRole
from billing.services import road_distance_km
from bookings.models import Booking, CollectionType
from bookings.states import BOOKING_UPCOMING

# How well a collector's areas cover a visit, best first.
POSTAL_CODE, RADIUS, ANYWHERE, OUTSIDE = "postal_code", "radius", "anywhere", "outside"
MATCH_RANK = {POSTAL_CODE: 0, RADIUS: 0, ANYWHERE: 1, OUTSIDE: 2}
MATCH_LABELS = {
    POSTAL_CODE: "postal code in area",
    RADIUS: "within area radius",
    ANYWHERE: "no areas set",
    OUTSIDE: "outside areas",
}
# Visits that take a collector's time that day: all but cancelled ones.
NOT_A_VISIT = (Booking.Status.CANCELLED,)


@dataclass(frozen=True)
class AssignmentWarning:
    code: str  # outside_area | not_working_day | over_cap
    message: str

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


@dataclass
class Suggestion:
    """One collector for one visit: how their areas match, their load that day, and what does not fit."""

    profile: StaffProfile
    match: str
    area: CollectorArea | None
    distance_km: Decimal | None  # from the matching (or nearest) area's centre, when both points are known
    load: int  # visits that day, this one not counted
    warnings: list[AssignmentWarning] = field(default_factory=list)

    @property
    def collector(self):
        return self.profile.user

    @property
    def cap(self) -> int:
        return self.profile.daily_visit_cap

    @property
    def fits(self) -> bool:
        return not self.warnings

    @property
    def match_label(self) -> str:
        where = f" ({self.area})" if self.area else ""
        return MATCH_LABELS[self.match] + where

    def rank_key(self):
        distance = self.distance_km if self.distance_km is not None else Decimal("Infinity")
        return (
            len(self.warnings),
            MATCH_RANK[self.match],
            self.load / self.cap,
            distance,
            self.collector.full_name,
            self.collector.pk,
        )


def collector_profiles():
    """Active collectors with their user and service areas: two queries."""
    return (
        StaffProfile.objects.filter(role=StaffRole.COLLECTOR, user__is_active=True, user__is_staff=True)
        .select_related("user")
        .prefetch_related(Prefetch("service_areas", queryset=CollectorArea.objects.order_by("name", "pk")))
        .order_by("user__full_name", "user_id")
    )


def collector_loads(day: datetime.date) -> Counter:
    """Visits assigned to each collector on ``day`` (collector id → count), in one query."""
    rows = (
        Booking.objects.filter(booking_date=day, collection_staff__isnull=False)
        .exclude(status__in=NOT_A_VISIT)
        .order_by()
        .values_list("collection_staff")
        .annotate(n=Count("pk"))
    )
    return Counter(dict(rows))


def visit_place(booking: Booking) -> tuple[str, tuple | None]:
    """The visit's postal code (from the customer's address, when it still exists) and its pin: the booking's
    snapshot of the coordinates, else the address's."""
    address = booking.address
    postal_code = address.postal_code.strip() if address is not None else ""
    if booking.latitude is not None and booking.longitude is not None:
        return postal_code, (booking.latitude, booking.longitude)
    if address is not None and address.latitude is not None and address.longitude is not None:
        return postal_code, (address.latitude, address.longitude)
    return postal_code, None


def area_match(areas, postal_code: str, pin) -> tuple[str, CollectorArea | None, Decimal | None]:
    """How a collector's ``areas`` cover a visit: (match, the area, km from its centre)."""
    if not areas:
        return ANYWHERE, None, None
    nearest, nearest_km = None, None
    for area in areas:
        km = None
        if pin is not None and area.latitude is not None:
            km = road_distance_km(origin=(area.latitude, area.longitude), destination=pin, road_factor=Decimal(1))
        if postal_code and area.postal_code and area.postal_code.strip() == postal_code:
            return POSTAL_CODE, area, km
        if km is not None and km <= area.radius_km:
            return RADIUS, area, km
        if km is not None and (nearest_km is None or km < nearest_km):
            nearest, nearest_km = area, km
    return OUTSIDE, nearest, nearest_km


def _name(profile: StaffProfile) -> str:
    return profile.user.full_name or profile.user.phone


def suggestion_for(profile: StaffProfile, booking: Booking, *, load: int) -> Suggestion:
    """``profile``'s fit for ``booking`` with ``load`` visits already that day (``booking`` not counted)."""
    postal_code, pin = visit_place(booking)
    match, area, km = area_match(list(profile.service_areas.all()), postal_code, pin)
    warnings = []
    if match == OUTSIDE:
        names = ", ".join(str(a) for a in profile.service_areas.all())
        where = f"; {km} km from the centre of {area.name}" if area is not None and km is not None else ""
        warnings.append(
            AssignmentWarning("outside_area", f"{booking.code} is outside {_name(profile)}'s areas ({names}){where}.")
        )
    if not profile.works_on(booking.booking_date):
        warnings.append(
            AssignmentWarning(
                "not_working_day", f"{_name(profile)} does not work on {booking.booking_date:%A}s ({booking.code})."
            )
        )
    if load >= profile.daily_visit_cap:
        warnings.append(
            AssignmentWarning(
                "over_cap",
                f"{_name(profile)} already has {load} visits on {booking.booking_date:%d %b} "
                f"(daily cap {profile.daily_visit_cap}).",
            )
        )
    return Suggestion(profile=profile, match=match, area=area, distance_km=km, load=load, warnings=warnings)


def _load_without(loads: Counter, profile: StaffProfile, booking: Booking) -> int:
    """The collector's load that day, not counting ``booking`` itself when it is already theirs."""
    own = booking.collection_staff_id == profile.user_id and booking.status not in NOT_A_VISIT
    return loads[profile.user_id] - (1 if own else 0)


def collector_suggestions(booking: Booking) -> list[Suggestion]:
    """Every active collector for ``booking``, best first: those without warnings, then by area match (postal code
    or radius, then collectors without areas, then outside), load against the cap, and distance."""
    loads = collector_loads(booking.booking_date)
    suggestions = [
        suggestion_for(profile, booking, load=_load_without(loads, profile, booking))
        for profile in collector_profiles()
    ]
    return sorted(suggestions, key=Suggestion.rank_key)


def assignment_warnings(booking: Booking, collector) -> list[AssignmentWarning]:
    """What does not fit if ``collector`` makes ``booking``'s visit (empty: nothing to confirm)."""
    profile = collector_profiles().filter(user=collector).first()
    if profile is None:
        return []
    loads = collector_loads(booking.booking_date)
    return suggestion_for(profile, booking, load=_load_without(loads, profile, booking)).warnings


# --- The day's auto-assignment ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedVisit:
    booking: Booking
    suggestion: Suggestion | None  # None: no collector fits

    @property
    def collector(self):
        return self.suggestion.collector if self.suggestion else None


def unassigned_visits(day: datetime.date):
    """The day's home visits still without a collector (pending or confirmed), in slot order."""
    return (
        Booking.objects.filter(
            booking_date=day,
            collection_type=CollectionType.HOME,
            collection_staff__isnull=True,
            status__in=BOOKING_UPCOMING,
        )
        .select_related("address", "slot")
        .order_by(F("slot__start_time").asc(nulls_last=True), "code")
    )


def auto_assign_plan(day: datetime.date) -> list[PlannedVisit]:
    """Who would make each unassigned home visit of ``day``: only collectors who fit (in area, working that day,
    under their cap). The visits with the fewest fitting collectors are placed first; each goes to the fitting
    collector with the best area match and, among those, the lowest load against their cap (so the day is
    balanced within each area), counting the visits placed before it. Deterministic: the same rows give the same
    plan. Returned in slot order."""
    visits = list(unassigned_visits(day))
    profiles = list(collector_profiles())
    loads = collector_loads(day)
    options = {booking.pk: [suggestion_for(profile, booking, load=0) for profile in profiles] for booking in visits}
    # Area and working day do not depend on the load; the cap is checked as the plan fills up.
    options = {pk: [s for s in found if not s.warnings] for pk, found in options.items()}
    chosen: dict[int, Suggestion | None] = {}
    order = sorted(range(len(visits)), key=lambda i: (len(options[visits[i].pk]), i))
    for i in order:
        booking = visits[i]
        fitting = [s for s in options[booking.pk] if loads[s.profile.user_id] < s.cap]
        if not fitting:
            chosen[booking.pk] = None
            continue
        best = min(
            fitting,
            key=lambda s: (
                MATCH_RANK[s.match],
                loads[s.profile.user_id] / s.cap,
                loads[s.profile.user_id],
                s.distance_km if s.distance_km is not None else Decimal("Infinity"),
                s.profile.user_id,
            ),
        )
        best.load = loads[best.profile.user_id]
        loads[best.profile.user_id] += 1
        chosen[booking.pk] = best
    return [PlannedVisit(booking=booking, suggestion=chosen[booking.pk]) for booking in visits]


def plan_fingerprint(plan: list[PlannedVisit]) -> str:
    """The plan as text ("booking:collector" pairs, 0 for none): what the preview shows is what is committed."""
    return ",".join(f"{v.booking.pk}:{v.collector.pk if v.collector else 0}" for v in plan)
