"""Booking rules a customer meets through the API (species, withdrawn categories, deceased pets) and what the
customer is told about a booking (placed, confirmed, rescheduled), on the channels they chose, once per event."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification, StaffRole
from accounts.roles import roles_setup, staff_set_role
from accounts.tests.factories import StaffProfileFactory
from bookings.models import Booking
from bookings.services import (
    booking_assign_collector,
    booking_confirm,
    booking_create,
    notify_booking_rescheduled,
)
from bookings.tests.conftest import booking_payload
from bookings.tests.factories import CollectionSlotFactory
from catalog.tests.factories import LabTestFactory
from pets.tests.factories import PetFactory

pytestmark = pytest.mark.django_db

QUOTE = reverse("bookings:booking-quote")
BOOKINGS = reverse("bookings:booking-list")


def written() -> tuple[int, int]:
    return Booking.objects.count(), Notification.objects.count()


# --- Species ---------------------------------------------------------------------------------------------------


@pytest.fixture
def cat(customer):
    return PetFactory(user=customer, name="Mishti", species="cat")


def test_a_dog_only_test_is_refused_for_a_cat(customer_client, booking_setup, cat):
    dog_only = LabTestFactory(code="DOG-HW", name="Heartworm Antigen", species=["dog"])
    payload = booking_payload(booking_setup, pet=cat.id, tests=[booking_setup["tests"][0].id, dog_only.id])

    for url in (QUOTE, BOOKINGS):
        before = written()
        response = customer_client.post(url, payload, format="json")
        assert response.status_code == 400, response.json()
        body = response.json()
        assert body["code"] == "test_not_for_species"
        assert "Heartworm Antigen" in body["detail"]
        assert "Cat" in body["detail"]
        assert body["tests[1]"] == [body["detail"]]  # the second test of the request
        assert written() == before


def test_a_test_for_every_species_is_booked_for_a_cat(customer_client, booking_setup, cat):
    any_species = LabTestFactory(code="GEN-ANY", species=[])
    for_cats = LabTestFactory(code="CAT-FIV", species=["cat"])
    payload = booking_payload(booking_setup, pet=cat.id, tests=[any_species.id, for_cats.id])

    assert customer_client.post(QUOTE, payload, format="json").status_code == 200
    response = customer_client.post(BOOKINGS, payload, format="json")
    assert response.status_code == 201, response.json()
    assert [item["test"] for item in response.json()["items"]] == [any_species.id, for_cats.id]


# --- Categories switched off ------------------------------------------------------------------------------------


def test_a_test_in_a_category_switched_off_is_refused_even_by_its_known_id(customer_client, booking_setup):
    payload = booking_payload(booking_setup)
    assert customer_client.post(QUOTE, payload, format="json").status_code == 200  # warms the cached test prices
    category = booking_setup["tests"][1].category
    category.is_active = False
    category.save()

    for url in (QUOTE, BOOKINGS):
        before = written()
        response = customer_client.post(url, payload, format="json")
        assert response.status_code == 400, response.json()
        assert response.json()["code"] == "test_unavailable"
        assert booking_setup["tests"][1].name in response.json()["detail"]
        assert written() == before

    category.is_active = True
    category.save()
    assert customer_client.post(BOOKINGS, payload, format="json").status_code == 201


def test_an_unknown_test_id_is_still_invalid_tests(customer_client, booking_setup):
    response = customer_client.post(QUOTE, booking_payload(booking_setup, tests=[987654]), format="json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid_tests")


# --- Deceased pets ----------------------------------------------------------------------------------------------


def test_a_deceased_pet_cannot_be_booked(customer_client, booking_setup):
    pet = booking_setup["pet"]
    pet.is_deceased = True
    pet.save(update_fields=["is_deceased"])

    for url in (QUOTE, BOOKINGS):
        before = written()
        response = customer_client.post(url, booking_payload(booking_setup), format="json")
        assert response.status_code == 400, response.json()
        body = response.json()
        assert (body["code"], bool(body["pet"])) == ("pet_deceased", True)
        assert pet.name in body["detail"]
        assert written() == before


# --- Notifications ----------------------------------------------------------------------------------------------


@pytest.fixture
def every_channel(customer):
    customer.email = "owner@example.com"
    customer.notification_channels = ["sms", "whatsapp", "email"]
    customer.save(update_fields=["email", "notification_channels"])
    return customer


def test_booking_placed_is_sent_once_on_each_chosen_channel(
    customer_client, booking_setup, every_channel, sms_outbox, whatsapp_outbox, django_capture_on_commit_callbacks
):
    payload = booking_payload(booking_setup)
    with django_capture_on_commit_callbacks(execute=True):
        first = customer_client.post(BOOKINGS, payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    with django_capture_on_commit_callbacks(execute=True):
        replay = customer_client.post(BOOKINGS, payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert (first.status_code, replay.status_code) == (201, 200)
    code = first.json()["code"]
    notification = every_channel.notifications.get()
    assert (notification.kind, notification.title) == ("booking_placed", f"Booking {code} placed")
    assert {d.channel: d.status for d in notification.deliveries.all()} == {
        "sms": "sent",
        "whatsapp": "sent",
        "email": "sent",
    }
    assert [m.phone for m in sms_outbox] == [every_channel.phone]
    assert [m.phone for m in whatsapp_outbox] == [every_channel.phone]
    assert [m.to for m in mail.outbox] == [["owner@example.com"]]
    assert code in sms_outbox[0].message
    assert code in mail.outbox[0].subject


def test_a_refused_booking_sends_nothing(
    customer_client, booking_setup, sms_outbox, django_capture_on_commit_callbacks
):
    booking_setup["pet"].is_deceased = True
    booking_setup["pet"].save(update_fields=["is_deceased"])
    with django_capture_on_commit_callbacks(execute=True):
        assert customer_client.post(BOOKINGS, booking_payload(booking_setup), format="json").status_code == 400
    assert (Notification.objects.count(), sms_outbox) == (0, [])


def _book(setup) -> Booking:
    pet = setup["pet"]
    return booking_create(
        user=pet.user,
        pet_id=pet.id,
        test_ids=[setup["tests"][0].id],
        collection_type="home",
        slot_id=setup["slot"].id,
        address_id=setup["address"].id,
    )


def _collector():
    profile = StaffProfileFactory(role=StaffRole.COLLECTOR, user__full_name="Ravi Collector")
    staff_set_role(user=profile.user, role=StaffRole.COLLECTOR)
    return profile.user


def test_assigning_a_collector_in_the_admin_sends_confirmed_once(
    admin_client, booking_setup, sms_outbox, django_capture_on_commit_callbacks
):
    roles_setup()
    booking = _book(booking_setup)
    first, second = _collector(), _collector()
    changelist = reverse("admin:bookings_booking_changelist")

    def assign(collector):
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                changelist,
                {
                    "action": "assign_collector",
                    "_selected_action": [booking.pk],
                    "apply": "1",
                    "collector": collector.pk,
                },
            )
        assert response.status_code == 302

    sms_outbox.clear()  # the "booking placed" text
    assign(first)
    assign(first)  # the same assignment again (a double click): nothing more
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    confirmed = booking.user.notifications.filter(kind="booking_confirmed")
    assert confirmed.count() == 1
    assert "Ravi Collector" in confirmed.get().body
    assert [m.message.split(".")[0] for m in sms_outbox] == [f"Booking {booking.code} confirmed"]

    assign(second)  # a change of collector: told as such, not as a second confirmation
    kinds = sorted(booking.user.notifications.exclude(kind="booking_placed").values_list("kind", flat=True))
    assert kinds == ["booking_confirmed", "collector_assigned"]
    assert len(sms_outbox) == 2


def test_confirmed_is_sent_once_whichever_way_the_booking_was_confirmed(booking_setup, admin_user):
    booking = booking_confirm(booking=_book(booking_setup), by=admin_user)
    booking_assign_collector(booking=booking, collector=_collector(), by=admin_user)
    kinds = sorted(booking.user.notifications.values_list("kind", flat=True))
    assert kinds == ["booking_confirmed", "booking_placed", "collector_assigned"]


def test_rescheduled_is_sent_once_per_move(booking_setup, sms_outbox, django_capture_on_commit_callbacks):
    booking = _book(booking_setup)
    sms_outbox.clear()
    later = CollectionSlotFactory(
        date=timezone.localdate() + datetime.timedelta(days=3),
        start_time=datetime.time(11),
        end_time=datetime.time(12),
    )

    def move(slot):
        booking.slot, booking.booking_date = slot, slot.date
        booking.save(update_fields=["slot", "booking_date", "updated_at"])
        with django_capture_on_commit_callbacks(execute=True):
            first = notify_booking_rescheduled(booking)
            again = notify_booking_rescheduled(booking)  # the same move told twice: one notification
        assert first == again
        return first

    moved = move(later)
    assert moved.kind == "booking_rescheduled"
    assert f"{later.date:%d %b}, 11:00–12:00" in moved.body
    assert moved.data == {"booking": booking.pk, "slot": later.pk}
    back = move(booking_setup["slot"])  # moving back is a new move
    assert back != moved
    assert booking.user.notifications.filter(kind="booking_rescheduled").count() == 2
    assert len(sms_outbox) == 2
