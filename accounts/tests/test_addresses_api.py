from decimal import Decimal

import pytest

from accounts.models import Address
from accounts.tests.factories import AddressFactory, UserFactory
from conftest import client_for

ADDRESSES = "/api/v1/addresses/"

pytestmark = pytest.mark.django_db


def detail(address) -> str:
    return f"{ADDRESSES}{address.pk}/"


def payload(**overrides):
    data = {
        "label": "Home",
        "line1": "12, 4th Cross",
        "line2": "HAL 2nd Stage",
        "landmark": "Near the park",
        "city": "Bengaluru",
        "state": "Karnataka",
        "postal_code": "560038",
        "latitude": "12.971600",
        "longitude": "77.640000",
    }
    return {**data, **overrides}


def defaults_of(user) -> list[int]:
    return list(Address.objects.filter(user=user, is_default=True).values_list("pk", flat=True))


def test_create_address(customer, customer_client):
    other = UserFactory()

    response = customer_client.post(ADDRESSES, payload(user=other.pk, id=999), format="json")

    assert response.status_code == 201, response.data
    address = Address.objects.get()
    assert address.user == customer
    assert response.data == {
        "id": address.pk,
        "label": "Home",
        "line1": "12, 4th Cross",
        "line2": "HAL 2nd Stage",
        "landmark": "Near the park",
        "city": "Bengaluru",
        "state": "Karnataka",
        "postal_code": "560038",
        "latitude": "12.971600",
        "longitude": "77.640000",
        "is_default": True,  # the first address is the default
    }


def test_create_refuses_missing_fields_and_bad_coordinates(customer_client):
    missing = customer_client.post(ADDRESSES, {"label": "Home"}, format="json")
    out_of_range = customer_client.post(ADDRESSES, payload(latitude="91"), format="json")
    half = customer_client.post(ADDRESSES, payload(longitude=None), format="json")

    assert missing.status_code == 400
    assert set(missing.data) >= {"line1", "city", "postal_code"}
    assert out_of_range.status_code == 400
    assert out_of_range.data["latitude"]
    assert half.status_code == 400
    assert half.data["code"] == "coordinates_incomplete"
    assert not Address.objects.exists()


def test_long_gps_readings_are_rounded(customer_client):
    response = customer_client.post(ADDRESSES, payload(latitude=12.97159876, longitude="77.6400004"), format="json")

    assert response.status_code == 201, response.data
    address = Address.objects.get()
    assert (address.latitude, address.longitude) == (Decimal("12.971599"), Decimal("77.640000"))


def test_a_new_default_replaces_the_old_one(customer, customer_client):
    first = customer_client.post(ADDRESSES, payload(label="Home"), format="json").data
    second = customer_client.post(ADDRESSES, payload(label="Work"), format="json").data
    assert (first["is_default"], second["is_default"]) == (True, False)

    third = customer_client.post(ADDRESSES, payload(label="Parents", is_default=True), format="json").data

    assert third["is_default"]
    assert defaults_of(customer) == [third["id"]]


def test_patch_moves_the_default(customer, customer_client):
    home = AddressFactory(user=customer, is_default=True)
    work = AddressFactory(user=customer)

    response = customer_client.patch(detail(work), {"is_default": True}, format="json")

    assert response.status_code == 200, response.data
    assert response.data["is_default"]
    assert defaults_of(customer) == [work.pk]
    home.refresh_from_db()
    assert not home.is_default


def test_the_default_cannot_be_unset_only_moved(customer, customer_client):
    home = AddressFactory(user=customer, is_default=True)

    response = customer_client.patch(detail(home), {"is_default": False}, format="json")

    assert response.status_code == 400
    assert response.data["code"] == "default_required"
    assert defaults_of(customer) == [home.pk]


def test_put_replaces_the_address(customer, customer_client):
    home = AddressFactory(user=customer, is_default=True, landmark="Old landmark")

    response = customer_client.put(detail(home), payload(label="New home", landmark=""), format="json")

    assert response.status_code == 200, response.data
    home.refresh_from_db()
    assert (home.label, home.landmark, home.is_default) == ("New home", "", True)


def test_deleting_the_default_promotes_the_oldest_remaining(customer, customer_client):
    home = AddressFactory(user=customer, is_default=True)
    work = AddressFactory(user=customer)
    AddressFactory(user=customer)

    response = customer_client.delete(detail(home))

    assert response.status_code == 204
    assert not Address.objects.filter(pk=home.pk).exists()
    assert defaults_of(customer) == [work.pk]


def test_list_shows_only_own_addresses_default_first(customer, customer_client):
    older = AddressFactory(user=customer)
    default = AddressFactory(user=customer, is_default=True)
    AddressFactory()  # someone else's

    response = customer_client.get(ADDRESSES)

    assert response.status_code == 200
    assert [row["id"] for row in response.data["results"]] == [default.pk, older.pk]


@pytest.mark.parametrize("method", ["get", "patch", "put", "delete"])
def test_another_users_address_is_not_found(customer_client, method):
    theirs = AddressFactory(label="Theirs", is_default=True)

    # A GET sends no body (the test client would put the payload in the query string, which is refused).
    body = None if method == "get" else payload(label="Mine now")
    response = getattr(customer_client, method)(detail(theirs), body, format="json")

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.label == "Theirs"


def test_addresses_need_authentication(api_client):
    assert api_client.get(ADDRESSES).status_code == 401


@pytest.mark.parametrize("rows", [1, 30])
def test_address_list_query_count(django_assert_max_num_queries, rows):
    user = UserFactory()
    AddressFactory.create_batch(rows, user=user)
    client = client_for(user)

    # The user (JWT), the page count, the page.
    with django_assert_max_num_queries(3):
        response = client.get(ADDRESSES, {"page_size": 100})

    assert response.status_code == 200
    assert len(response.data["results"]) == rows
