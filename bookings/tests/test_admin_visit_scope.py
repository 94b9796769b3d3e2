"""What a collector sees of customers in the back-office: the pets and addresses of the visits assigned to them
(SPEC §4), like their bookings — never another collector's visit's, nor those of customers they never visit.

Lab technicians and clinic admins keep every pet (the lab works on every booking's samples)."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from accounts.models import StaffRole
from accounts.roles import roles_setup, staff_set_role
from accounts.tests.factories import AddressFactory, StaffProfileFactory
from bookings.tests.factories import BookingFactory
from pets.tests.factories import PetFactory

pytestmark = pytest.mark.django_db

PETS = reverse("admin:pets_pet_changelist")
ADDRESSES = reverse("admin:accounts_address_changelist")


@pytest.fixture(autouse=True)
def _roles(db):
    roles_setup()


def make_staff(role: str):
    profile = StaffProfileFactory(role=role)
    staff_set_role(user=profile.user, role=role)
    return profile.user


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def visits():
    """A collector's visit, another collector's visit, and a customer nobody visits."""
    collector, other = make_staff(StaffRole.COLLECTOR), make_staff(StaffRole.COLLECTOR)
    mine = BookingFactory(collection_staff=collector, address__line1="1 Mine Lane", pet__name="Minepet")
    theirs = BookingFactory(collection_staff=other, address__line1="2 Theirs Road", pet__name="Theirpet")
    unvisited_pet = PetFactory(name="Loner")
    unvisited_address = AddressFactory(line1="3 Nobody Street")
    return {
        "collector": collector,
        "mine": mine,
        "theirs": theirs,
        "unvisited_pet": unvisited_pet,
        "unvisited_address": unvisited_address,
    }


def _change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def _history_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_history", args=[obj.pk])


def _assert_not_found(response):
    # Django's answer for an object outside the admin's queryset: back to the index, "… doesn't exist".
    assert response.status_code == 302
    assert response.url == reverse("admin:index")
    assert any("doesn’t exist" in str(m) for m in get_messages(response.wsgi_request))


def test_collector_lists_only_the_pets_of_their_visits(visits):
    client = login(visits["collector"])

    response = client.get(PETS)

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [visits["mine"].pet]
    assert not client.get(PETS, {"q": "Theirpet"}).context["cl"].result_list
    assert not client.get(PETS, {"q": "Loner"}).context["cl"].result_list


def test_collector_lists_only_the_addresses_of_their_visits(visits):
    client = login(visits["collector"])

    response = client.get(ADDRESSES)

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [visits["mine"].address]
    assert not client.get(ADDRESSES, {"q": "Theirs"}).context["cl"].result_list
    assert not client.get(ADDRESSES, {"q": "Nobody"}).context["cl"].result_list


@pytest.mark.parametrize("field", ["pet", "address"])
def test_collector_opens_their_visits_pet_and_address_but_another_visits_is_not_found(visits, field):
    client = login(visits["collector"])
    mine, theirs = getattr(visits["mine"], field), getattr(visits["theirs"], field)

    assert client.get(_change_url(mine)).status_code == 200
    assert client.get(_history_url(mine)).status_code == 200
    _assert_not_found(client.get(_change_url(theirs)))
    _assert_not_found(client.get(_history_url(theirs)))


def test_collector_does_not_open_an_unvisited_customers_pet_or_address(visits):
    client = login(visits["collector"])

    _assert_not_found(client.get(_change_url(visits["unvisited_pet"])))
    _assert_not_found(client.get(_change_url(visits["unvisited_address"])))


@pytest.mark.parametrize("role", [StaffRole.LAB_TECH, StaffRole.ADMIN])
def test_lab_tech_and_clinic_admin_still_see_every_pet(visits, role):
    client = login(make_staff(role))

    response = client.get(PETS)

    assert response.status_code == 200
    assert response.context["cl"].result_count == 3
    assert client.get(_change_url(visits["theirs"].pet)).status_code == 200


def test_clinic_admin_still_sees_every_address(visits):
    client = login(make_staff(StaffRole.ADMIN))

    assert client.get(ADDRESSES).context["cl"].result_count == 3
    assert client.get(_change_url(visits["theirs"].address)).status_code == 200
