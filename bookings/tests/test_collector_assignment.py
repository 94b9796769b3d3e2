"""Assigning collectors: suggestions by area and load, warnings that need confirming (and are recorded), and the
day's auto-assignment whose preview is exactly what it commits."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from accounts.models import StaffRole
from accounts.roles import roles_setup, staff_set_role
from accounts.tests.factories import AddressFactory, CollectorAreaFactory, StaffProfileFactory
from bookings.models import Booking, CollectionSlot, CollectorAssignment
from bookings.services import booking_assign_collector
from bookings.tests.factories import BookingFactory, CollectionSlotFactory
from diagnopet.errors import Conflict

pytestmark = pytest.mark.django_db

BOOKINGS = reverse("admin:bookings_booking_changelist")
AUTO = reverse("admin:bookings_booking_auto_assign")
# A weekday far enough ahead: Monday of the week after next.
MONDAY = timezone.localdate() + datetime.timedelta(days=14 - timezone.localdate().weekday())
CENTRE = (Decimal("12.971600"), Decimal("77.640000"))  # 0.01° of latitude ≈ 1.11 km


@pytest.fixture(autouse=True)
def _roles(db):
    roles_setup()


def collector(name: str, *, days=(0, 1, 2, 3, 4, 5), cap=8, postal=None, centre=None, radius="3.00"):
    profile = StaffProfileFactory(
        role=StaffRole.COLLECTOR, user__full_name=name, working_days=list(days), daily_visit_cap=cap
    )
    staff_set_role(user=profile.user, role=StaffRole.COLLECTOR)
    if postal:
        CollectorAreaFactory(profile=profile, name=f"{name}'s postal area", postal_code=postal)
    if centre:
        CollectorAreaFactory(
            profile=profile,
            name=f"{name}'s circle",
            postal_code="",
            latitude=centre[0],
            longitude=centre[1],
            radius_km=Decimal(radius),
        )
    return profile.user


def home_visit(*, postal="560038", north_km=0, day=MONDAY, start=9, **kwargs) -> Booking:
    """A pending home visit whose pin is ``north_km`` north of CENTRE, in ``postal``."""
    lat = CENTRE[0] + Decimal(north_km) * Decimal("0.009")
    address = AddressFactory(postal_code=postal, latitude=lat, longitude=CENTRE[1])
    slot = CollectionSlot.objects.filter(date=day, start_time=datetime.time(start)).first() or CollectionSlotFactory(
        date=day, start_time=datetime.time(start), end_time=datetime.time(start + 1)
    )
    return BookingFactory(
        user=address.user,
        address=address,
        latitude=lat,
        longitude=CENTRE[1],
        booking_date=day,
        slot=slot,
        **kwargs,
    )


def load(person, n: int, day=MONDAY) -> None:
    for _ in range(n):
        BookingFactory(booking_date=day, collection_staff=person, status=Booking.Status.CONFIRMED)


def run_action(client, action, objects, **data):
    response = client.post(BOOKINGS, {"action": action, ACTION_CHECKBOX_NAME: [o.pk for o in objects], **data})
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    client.cookies.pop("messages", None)
    return response, messages


# --- Suggestions --------------------------------------------------------------------------------------------


def test_suggestions_rank_area_match_then_load_and_warn_outside_area(admin_client):
    booking = home_visit(postal="560038", north_km=10)
    busy_in_area = collector("Asha Busy", postal="560038")
    light_in_area = collector("Bala Light", postal="560038")
    radius_match = collector("Chitra Radius", centre=(CENTRE[0] + Decimal("0.09"), CENTRE[1]))  # ≈ 0 km away
    far_away = collector("Dev Far", postal="560001", centre=CENTRE, radius="2.00")  # ≈ 10 km from its centre
    no_areas = collector("Esha Anywhere")
    load(busy_in_area, 5)
    load(light_in_area, 1)

    page, _ = run_action(admin_client, "assign_collector", [booking])

    ranked = page.context["ranked"]
    assert [r.collector for r in ranked] == [radius_match, light_in_area, busy_in_area, no_areas, far_away]
    by_name = {r.collector: r.suggestions[0] for r in ranked}
    assert (by_name[light_in_area].match, by_name[light_in_area].load) == ("postal_code", 1)
    assert (by_name[radius_match].match, by_name[busy_in_area].load) == ("radius", 5)
    assert by_name[no_areas].match == "anywhere"
    assert not by_name[no_areas].warnings
    [warning] = by_name[far_away].warnings
    assert warning.code == "outside_area"
    assert booking.code in warning.message
    assert "km from the centre" in warning.message
    html = page.content.decode()
    assert "outside Dev Far" in html
    assert "1 / 8" in html


def test_assigning_outside_the_area_needs_confirming_and_is_recorded(admin_client):
    booking = home_visit(postal="560038")
    outsider = collector("Dev Far", postal="560001")

    refused, _ = run_action(admin_client, "assign_collector", [booking], apply="1", collector=outsider.pk)
    assert refused.status_code == 200
    assert "outside Dev Far" in str(refused.context["form"].non_field_errors())
    booking.refresh_from_db()
    assert booking.collection_staff is None
    assert not CollectorAssignment.objects.exists()

    done, messages = run_action(
        admin_client, "assign_collector", [booking], apply="1", collector=outsider.pk, accept_warnings="on"
    )

    assert done.status_code == 302, messages
    booking.refresh_from_db()
    assert (booking.collection_staff, booking.status) == (outsider, Booking.Status.CONFIRMED)
    record = CollectorAssignment.objects.get(booking=booking)
    assert (record.collector, record.automatic) == (outsider, False)
    assert [w["code"] for w in record.warnings] == ["outside_area"]


def test_non_working_day_and_cap_warn_in_the_service(db):
    sunday = MONDAY + datetime.timedelta(days=6)
    weekday_only = collector("Fatima Weekdays", postal="560038", days=(0, 1, 2, 3, 4), cap=2)
    on_sunday = home_visit(day=sunday)
    with pytest.raises(Conflict) as refused:
        booking_assign_collector(booking=on_sunday, collector=weekday_only, by=None)
    assert refused.value.code == "assignment_warning"
    assert "Sundays" in refused.value.message

    load(weekday_only, 2)
    third = home_visit()
    with pytest.raises(Conflict, match="already has 2 visits"):
        booking_assign_collector(booking=third, collector=weekday_only, by=None)

    booking_assign_collector(booking=third, collector=weekday_only, by=None, accept_warnings=True)
    assert [w["code"] for w in CollectorAssignment.objects.get(booking=third).warnings] == ["over_cap"]


def test_fitting_assignment_records_no_warning(db):
    person = collector("Gita Fits", postal="560038")
    booking = booking_assign_collector(booking=home_visit(), collector=person, by=None)
    assert booking.collection_staff == person
    assert CollectorAssignment.objects.get(booking=booking).warnings == []


# --- Auto-assign --------------------------------------------------------------------------------------------


def _preview(client, day=MONDAY):
    response = client.get(AUTO, {"day": day.isoformat()})
    assert response.status_code == 200
    return response


def test_auto_assign_commits_exactly_the_preview_balanced_by_area(admin_client):
    north = collector("Hari North", postal="560001")
    north_too = collector("Indu North", postal="560001")
    south = collector("Jai South", postal="560099", cap=1)
    collector("Kiran Resting", postal="560001", days=(6,))  # does not work on Mondays
    load(north, 1)
    north_visits = [home_visit(postal="560001", start=9 + i % 3) for i in range(4)]
    south_visits = [home_visit(postal="560099", start=9), home_visit(postal="560099", start=10)]
    nowhere = home_visit(postal="999999", start=11)
    assigned_already = home_visit(postal="560001", collection_staff=north_too, status=Booking.Status.CONFIRMED)

    preview = _preview(admin_client)
    plan = {v.booking.pk: v.collector for v in preview.context["plan"]}

    assert assigned_already.pk not in plan
    assert {plan[b.pk] for b in north_visits} == {north, north_too}
    # Balanced: north had 1 and north_too 1 (the assigned visit); 4 more make 3 and 3.
    assert sorted(list(plan.values()).count(p) for p in (north, north_too)) == [2, 2]
    assert sorted([plan[b.pk] for b in south_visits], key=lambda u: u is None) == [south, None]  # cap 1
    assert plan[nowhere.pk] is None

    done = admin_client.post(AUTO, {"day": MONDAY.isoformat(), "plan": preview.context["form"]["plan"].value()})

    assert done.status_code == 302
    committed = dict(Booking.objects.filter(pk__in=plan).values_list("pk", "collection_staff"))
    assert committed == {pk: (person.pk if person else None) for pk, person in plan.items()}
    assert CollectorAssignment.objects.filter(automatic=True).count() == sum(1 for p in plan.values() if p)


def test_auto_assign_refuses_a_stale_preview_and_shows_the_new_plan(admin_client):
    person = collector("Lata Only", postal="560001")
    first = home_visit(postal="560001")
    preview = _preview(admin_client)
    fingerprint = preview.context["form"]["plan"].value()

    late = home_visit(postal="560001", start=10)  # booked after the preview

    again = admin_client.post(AUTO, {"day": MONDAY.isoformat(), "plan": fingerprint})

    assert again.status_code == 200
    assert "changed since the preview" in again.content.decode()
    assert {v.booking.pk for v in again.context["plan"]} == {first.pk, late.pk}
    assert not Booking.objects.filter(collection_staff=person).exists()


def test_auto_assign_is_for_dispatchers_only(db, client):
    person = collector("Mala Collector", postal="560001")
    client.force_login(person)
    assert client.get(AUTO).status_code == 403


def test_auto_assign_preview_queries_do_not_grow_with_visits(admin_client, django_assert_max_num_queries):
    for i in range(3):
        collector(f"Collector {i}", postal="560001")
    home_visit(postal="560001")
    _preview(admin_client)
    with django_assert_max_num_queries(20) as few:
        _preview(admin_client)
    for i in range(20):
        home_visit(postal="560001", start=9 + i % 5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        _preview(admin_client)
