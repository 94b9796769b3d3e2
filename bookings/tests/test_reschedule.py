"""Rescheduling: the customer API until the cutoff, staff from the admin at any time, one transaction for both slots,
and free re-collections that wait for the customer to choose their slot."""

import datetime
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification, StaffRole
from accounts.roles import roles_setup, staff_set_role
from accounts.tests.factories import StaffProfileFactory, UserFactory
from billing.models import Payment
from billing.services import payment_record
from bookings.models import Booking, BookingItem, CollectionDay, CollectionSlot
from bookings.services import (
    booking_confirm,
    booking_mark_collected,
    item_receive,
    item_reject,
)
from bookings.tests.conftest import booking_payload
from bookings.tests.factories import CollectionSlotFactory
from conftest import client_for
from diagnopet.tests.system_settings_factories import SystemSettingsFactory

pytestmark = pytest.mark.django_db

BOOKINGS = reverse("bookings:booking-list")


def reschedule_url(booking_id: int) -> str:
    return reverse("bookings:booking-reschedule", args=[booking_id])


def later_slot(days: int = 3, hour: int = 11, **fields) -> CollectionSlot:
    return CollectionSlotFactory(
        date=timezone.localdate() + datetime.timedelta(days=days),
        start_time=datetime.time(hour),
        end_time=datetime.time(hour + 1),
        **fields,
    )


@pytest.fixture
def booked(customer_client, booking_setup):
    """A home booking made through the API, in the setup's slot (two days ahead, 09:00)."""
    response = customer_client.post(BOOKINGS, booking_payload(booking_setup), format="json")
    assert response.status_code == 201, response.json()
    return Booking.objects.get(pk=response.json()["id"])


def test_reschedule_releases_the_old_place_and_takes_the_new_one(customer, customer_client, booked):
    old_slot = booked.slot
    new_slot = later_slot()
    charge, total = booked.distance_charge, booked.total_amount

    response = customer_client.post(reschedule_url(booked.pk), {"slot": new_slot.pk}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["slot"]["id"], body["booking_date"], body["status"]) == (
        new_slot.pk,
        new_slot.date.isoformat(),
        "pending",
    )
    old_slot.refresh_from_db()
    new_slot.refresh_from_db()
    assert (old_slot.booked, new_slot.booked) == (0, 1)
    booked.refresh_from_db()
    assert (booked.slot_id, booked.booking_date) == (new_slot.pk, new_slot.date)
    assert (booked.distance_charge, booked.total_amount) == (charge, total)  # the price does not move
    note = Notification.objects.get(user=customer, title=f"Booking {booked.code} rescheduled")
    assert f"{new_slot.start_time:%H:%M}" in note.body
    assert f"was {old_slot.date:%a %d %b}" in note.body


def test_every_move_is_kept_in_the_bookings_history(customer, customer_client, booked):
    first, second = later_slot(hour=11), later_slot(days=4, hour=14)
    path = [booked.slot_id, first.pk, second.pk]
    for slot in (first, second):
        assert customer_client.post(reschedule_url(booked.pk), {"slot": slot.pk}, format="json").status_code == 200

    moves = [
        entry.changes_dict["slot"]
        for entry in LogEntry.objects.get_for_object(booked).order_by("timestamp", "pk")
        if "slot" in entry.changes_dict and entry.action == LogEntry.Action.UPDATE
    ]
    assert moves == [[str(path[0]), str(path[1])], [str(path[1]), str(path[2])]]
    assert {entry.actor for entry in LogEntry.objects.get_for_object(booked).filter(action=1)} == {customer}


def test_past_the_cutoff_the_customer_is_refused(customer_client, booked):
    # The slot starts in 2 days at 09:00; a cutoff of 3 days has passed.
    booked_slot = booked.slot
    SystemSettingsFactory(cancellation_cutoff_hours=72)
    new_slot = later_slot(days=5)

    response = customer_client.post(reschedule_url(booked.pk), {"slot": new_slot.pk}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "reschedule_cutoff_passed"
    booked_slot.refresh_from_db()
    new_slot.refresh_from_db()
    assert (booked_slot.booked, new_slot.booked) == (1, 0)


def test_another_customers_booking_is_404(booked):
    stranger = client_for(UserFactory())
    response = stranger.post(reschedule_url(booked.pk), {"slot": later_slot().pk}, format="json")
    assert response.status_code == 404
    booked.refresh_from_db()
    assert booked.slot.booked == 1


def test_a_full_slot_is_refused_and_nothing_moves(customer_client, booked):
    full = later_slot(capacity=2)
    CollectionSlot.objects.filter(pk=full.pk).update(booked=2)

    response = customer_client.post(reschedule_url(booked.pk), {"slot": full.pk}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "slot_full"
    booked.refresh_from_db()
    assert booked.slot.booked == 1
    assert CollectionSlot.objects.get(pk=full.pk).booked == 2


def test_a_full_day_is_refused_like_a_full_slot(customer_client, booked):
    roomy = later_slot(capacity=4)
    CollectionDay.objects.create(date=roomy.date, capacity=3, booked=3)
    response = customer_client.post(reschedule_url(booked.pk), {"slot": roomy.pk}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "slot_full")
    assert CollectionSlot.objects.get(pk=roomy.pk).booked == 0  # the window's place went back with the refusal


def test_bad_slots_are_refused_with_their_codes(customer_client, booked):
    inactive = later_slot(is_active=False)
    started = CollectionSlotFactory(
        date=timezone.localdate() - datetime.timedelta(days=1), start_time=datetime.time(9), end_time=datetime.time(10)
    )
    for slot_id, code in [
        (inactive.pk, "invalid_slot"),
        (999_999, "invalid_slot"),
        (started.pk, "slot_in_past"),
        (booked.slot_id, "same_slot"),
    ]:
        response = customer_client.post(reschedule_url(booked.pk), {"slot": slot_id}, format="json")
        assert (response.status_code, response.json()["code"]) == (400, code)
    assert customer_client.post(reschedule_url(booked.pk), {}, format="json").status_code == 400


def test_a_lab_booking_needs_a_lab_place(customer_client, booking_setup):
    payload = booking_payload(booking_setup, collection_type="lab", address=None)
    booking_id = customer_client.post(BOOKINGS, payload, format="json").json()["id"]
    no_lab_room = later_slot(capacity=4, lab_capacity=1)
    CollectionSlot.objects.filter(pk=no_lab_room.pk).update(lab_booked=1)

    response = customer_client.post(reschedule_url(booking_id), {"slot": no_lab_room.pk}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "slot_full")

    lab_room = later_slot(hour=15, capacity=0, lab_capacity=2)  # no home visits at all, but lab places
    assert customer_client.post(reschedule_url(booking_id), {"slot": lab_room.pk}, format="json").status_code == 200
    assert CollectionSlot.objects.get(pk=lab_room.pk).lab_booked == 1
    assert CollectionSlot.objects.get(pk=booking_setup["slot"].pk).lab_booked == 0


def collect(booking):
    staff = UserFactory(is_staff=True)
    booking_mark_collected(booking=booking_confirm(booking=booking, by=staff), by=staff)


def test_a_collected_booking_cannot_be_rescheduled(customer_client, booked):
    collect(booked)
    response = customer_client.post(reschedule_url(booked.pk), {"slot": later_slot().pk}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")


def staff_client(client, role: str):
    roles_setup()
    user = StaffProfileFactory(role=role).user
    staff_set_role(user=user, role=role)
    client.force_login(user)
    return client


def test_staff_reschedule_from_the_admin_past_the_cutoff(client, booked):
    SystemSettingsFactory(cancellation_cutoff_hours=72)  # the customer could no longer move it
    new_slot = later_slot(days=6)
    staff_client(client, StaffRole.ADMIN)
    url = reverse("admin:bookings_booking_act", args=[booked.pk, "reschedule"])

    page = client.post(url, {"action": "reschedule", "_selected_action": [booked.pk]})
    assert page.status_code == 200
    assert b"Reschedule bookings" in page.content
    done = client.post(
        url, {"action": "reschedule", "_selected_action": [booked.pk], "apply": "1", "slot": new_slot.pk}
    )

    assert done.status_code == 302
    booked.refresh_from_db()
    assert booked.slot_id == new_slot.pk
    assert CollectionSlot.objects.get(pk=new_slot.pk).booked == 1


def test_collectors_do_not_get_the_reschedule_action(client, booked):
    staff_client(client, StaffRole.COLLECTOR)
    url = reverse("admin:bookings_booking_act", args=[booked.pk, "reschedule"])
    assert client.post(url, {"action": "reschedule", "_selected_action": [booked.pk]}).status_code in (403, 404)


# --- Free re-collections ---------------------------------------------------------------------------------------


@pytest.fixture
def rejected(booked):
    """The booked samples were collected, one reached the lab and was rejected."""
    lab = UserFactory(is_staff=True)
    collect(booked)
    item = booked.items.order_by("sequence").first()
    item_receive(item=item, by=lab)
    return item_reject(item=BookingItem.objects.get(pk=item.pk), by=lab, reason="haemolysed")


def test_recollection_scheduled_end_to_end(customer, customer_client, admin_client, booked, rejected):
    assert (rejected.status, rejected.slot, rejected.total_amount) == ("awaiting_schedule", None, Decimal("0.00"))
    shown = customer_client.get(reverse("bookings:booking-detail", args=[rejected.pk])).json()
    assert (shown["status"], shown["slot"]) == ("awaiting_schedule", None)
    dashboard = admin_client.get(reverse("admin:index"))
    assert rejected.code in dashboard.content.decode()
    assert "Re-collections awaiting a slot" in dashboard.content.decode()

    # Past the cutoff of the original's slot would not matter: a re-collection has none.
    slot = later_slot(days=1, hour=10)
    response = customer_client.post(reschedule_url(rejected.pk), {"slot": slot.pk}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["slot"]["id"], body["total"]) == ("confirmed", slot.pk, "0.00")
    assert CollectionSlot.objects.get(pk=slot.pk).booked == 1
    rejected.refresh_from_db()
    assert rejected.confirmed_at is not None
    assert Notification.objects.filter(user=customer, title=f"Booking {rejected.code} scheduled").exists()
    assert rejected.code not in admin_client.get(reverse("admin:index")).content.decode()


def test_an_awaiting_recollection_cannot_be_confirmed_without_a_slot(admin_client, rejected):
    url = reverse("admin:bookings_booking_act", args=[rejected.pk, "confirm"])
    admin_client.post(url, {"action": "confirm", "_selected_action": [rejected.pk]})
    rejected.refresh_from_db()
    assert rejected.status == "awaiting_schedule"


def test_an_awaiting_recollection_can_be_cancelled(customer_client, rejected):
    url = reverse("bookings:booking-cancel", args=[rejected.pk])
    response = customer_client.post(url, {"reason": "Pet is fine now"}, format="json")
    assert (response.status_code, response.json()["status"]) == (200, "cancelled")


def test_a_cancelled_recollection_gives_back_what_its_test_cost(customer_client, booked, rejected):
    """The customer will not have the sample taken again: the rejected test's price comes back from the original
    booking's bill (paid in cash at the door: a refund to hand back at the desk), and is not due again."""
    bill = booked.billing_record
    bill.refresh_from_db()
    payment_record(record=bill, amount=bill.final_amount, method="cash")
    item = booked.items.get(status=BookingItem.Status.REJECTED)

    url = reverse("bookings:booking-cancel", args=[rejected.pk])
    response = customer_client.post(url, {"reason": "Pet is fine now"}, format="json")

    assert response.status_code == 200, response.json()
    refund = Payment.objects.get(billing_record=bill, kind=Payment.Kind.REFUND)
    assert (refund.amount, refund.status, refund.method) == (item.unit_price * item.quantity, "pending", "cash")
    bill.refresh_from_db()
    assert bill.amount_paid == bill.final_amount - refund.amount
    shown = customer_client.get(reverse("bookings:booking-detail", args=[booked.pk])).json()
    assert (shown["payment_status"], shown["amount_due"]) == ("partially_refunded", "0.00")


def test_a_cancelled_recollection_of_an_unpaid_booking_refunds_nothing(customer_client, booked, rejected):
    url = reverse("bookings:booking-cancel", args=[rejected.pk])
    assert customer_client.post(url, {}, format="json").status_code == 200
    assert not Payment.objects.filter(billing_record__booking=booked).exists()


def test_awaiting_recollections_are_not_todays_visits(admin_client, rejected):
    today = reverse("admin:bookings_booking_today")
    assert rejected.code not in admin_client.get(today, {"day": rejected.booking_date.isoformat()}).content.decode()
