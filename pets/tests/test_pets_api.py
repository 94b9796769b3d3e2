import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from conftest import client_for
from pets.models import Pet
from pets.tests.factories import PetFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/pets/"


def detail(pet) -> str:
    return f"/api/v1/pets/{pet.pk}/"


def payload(**overrides) -> dict:
    data = {
        "name": "Bruno",
        "species": "dog",
        "breed": "Beagle",
        "sex": "male",
        "date_of_birth": "2020-05-01",
        "weight_kg": "12.40",
        "neutered": True,
        "microchip_id": "000123456789012",
        "medical_history": "Allergic to chicken.",
    }
    data.update(overrides)
    return data


def test_create_returns_the_pet_owned_by_the_caller(customer, customer_client):
    response = customer_client.post(LIST, payload(), format="json")

    assert response.status_code == 201, response.data
    pet = Pet.objects.get(pk=response.data["id"])
    assert pet.user == customer
    assert response.data == {
        "id": pet.pk,
        "name": "Bruno",
        "species": "dog",
        "breed": "Beagle",
        "sex": "male",
        "date_of_birth": "2020-05-01",
        "age_years": None,
        "weight_kg": "12.40",
        "neutered": True,
        "microchip_id": "000123456789012",
        "medical_history": "Allergic to chicken.",
        "is_deceased": False,
        "is_active": True,
    }


def test_microchip_keeps_leading_zeros_through_a_round_trip(customer_client):
    pet_id = customer_client.post(LIST, payload(microchip_id="0000042"), format="json").data["id"]

    assert Pet.objects.get(pk=pet_id).microchip_id == "0000042"
    assert customer_client.get(f"{LIST}{pet_id}/").data["microchip_id"] == "0000042"


def test_age_can_be_given_instead_of_a_birth_date(customer_client):
    response = customer_client.post(
        LIST, payload(date_of_birth=None, age_years="3.5", species="cat", sex="unknown"), format="json"
    )

    assert response.status_code == 201, response.data
    assert response.data["date_of_birth"] is None
    assert response.data["age_years"] == "3.5"


def test_user_and_is_active_sent_by_the_client_are_ignored(customer, customer_client):
    other = UserFactory()

    response = customer_client.post(LIST, payload(user=other.pk, is_active=False), format="json")

    assert response.status_code == 201
    pet = Pet.objects.get(pk=response.data["id"])
    assert (pet.user, pet.is_active) == (customer, True)

    response = customer_client.patch(detail(pet), {"user": other.pk, "is_active": False, "name": "Max"}, format="json")

    assert response.status_code == 200
    pet.refresh_from_db()
    assert (pet.user, pet.is_active, pet.name) == (customer, True, "Max")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"weight_kg": "0"}, "weight_kg"),
        ({"weight_kg": "-3.00"}, "weight_kg"),
        ({"age_years": "-1"}, "age_years"),
        ({"species": "dragon"}, "species"),
        ({"sex": "both"}, "sex"),
        ({"name": ""}, "name"),
        ({"date_of_birth": "yesterday"}, "date_of_birth"),
        ({"weight_kg": "heavy"}, "weight_kg"),
    ],
)
def test_bad_input_is_refused_with_the_field_named(customer_client, overrides, field):
    response = customer_client.post(LIST, payload(**overrides), format="json")

    assert response.status_code == 400
    assert field in response.data
    assert not Pet.objects.exists()


@pytest.mark.parametrize(
    ("value", "kind"), [(0.0, "a number"), (12, "a number"), (True, "true or false"), (["a"], "a list")]
)
def test_a_string_field_refuses_anything_but_text(customer_client, value, kind):
    response = customer_client.post(LIST, payload(medical_history=value), format="json")

    assert response.status_code == 400
    assert response.data["medical_history"] == [f"Send text (a JSON string), not {kind}."]
    assert not Pet.objects.exists()


def test_max_length_counts_the_text_as_sent_and_the_stored_text_is_trimmed(customer_client):
    # breed: at most 100 characters. 98 letters inside 4 spaces are 102 as sent.
    too_long = customer_client.post(LIST, payload(breed=f"  {'b' * 98}  "), format="json")
    assert too_long.status_code == 400
    assert too_long.data["breed"] == ["Ensure this field has no more than 100 characters."]

    response = customer_client.post(LIST, payload(name="  Rex  ", breed=f" {'b' * 98} "), format="json")
    assert response.status_code == 201
    assert Pet.objects.get().name == "Rex"
    assert Pet.objects.get().breed == "b" * 98


def test_birth_date_today_is_accepted_and_tomorrow_is_not(customer_client):
    today = timezone.localdate()

    assert customer_client.post(LIST, payload(date_of_birth=today.isoformat()), format="json").status_code == 201
    response = customer_client.post(
        LIST, payload(date_of_birth=(today + datetime.timedelta(days=1)).isoformat()), format="json"
    )
    assert response.status_code == 400
    assert response.data["code"] == "date_of_birth_in_future"


def test_required_fields_are_required(customer_client):
    response = customer_client.post(LIST, {}, format="json")

    assert response.status_code == 400
    assert set(response.data) == {"name", "species"}


def test_list_shows_only_the_callers_active_pets(customer, customer_client):
    mine = PetFactory(user=customer, name="Alpha")
    PetFactory(user=customer, name="Gone", is_active=False)
    PetFactory(name="Someone else's")

    response = customer_client.get(LIST)

    assert response.status_code == 200
    assert [p["id"] for p in response.data["results"]] == [mine.pk]
    assert response.data["count"] == 1


def test_list_filters_by_species(customer, customer_client):
    cat = PetFactory(user=customer, species=Pet.Species.CAT)
    PetFactory(user=customer, species=Pet.Species.DOG)

    response = customer_client.get(LIST, {"species": "cat"})

    assert [p["id"] for p in response.data["results"]] == [cat.pk]
    assert customer_client.get(LIST, {"species": "dragon"}).status_code == 400


def test_anonymous_is_refused(api_client):
    assert api_client.get(LIST).status_code == 401
    assert api_client.post(LIST, payload(), format="json").status_code == 401


def test_patch_changes_only_what_is_sent(customer, customer_client):
    pet = PetFactory(user=customer, name="Rex", weight_kg=Decimal("20.00"))

    response = customer_client.patch(detail(pet), {"weight_kg": "21.75", "is_deceased": True}, format="json")

    assert response.status_code == 200, response.data
    pet.refresh_from_db()
    assert (pet.name, pet.weight_kg, pet.is_deceased) == ("Rex", Decimal("21.75"), True)


def test_put_replaces_the_details(customer, customer_client):
    pet = PetFactory(user=customer, name="Rex", species=Pet.Species.DOG)

    response = customer_client.put(detail(pet), payload(name="Tom", species="cat", breed="Persian"), format="json")

    assert response.status_code == 200, response.data
    pet.refresh_from_db()
    assert (pet.name, pet.species, pet.breed) == ("Tom", "cat", "Persian")


def test_patch_with_bad_values_changes_nothing(customer, customer_client):
    pet = PetFactory(user=customer, weight_kg=Decimal("20.00"))
    future = (timezone.localdate() + datetime.timedelta(days=10)).isoformat()

    assert customer_client.patch(detail(pet), {"date_of_birth": future}, format="json").status_code == 400
    assert customer_client.patch(detail(pet), {"weight_kg": "0"}, format="json").status_code == 400

    pet.refresh_from_db()
    assert (pet.date_of_birth, pet.weight_kg) == (None, Decimal("20.00"))


def test_delete_deactivates_and_keeps_the_row(customer, customer_client):
    pet = PetFactory(user=customer)

    response = customer_client.delete(detail(pet))

    assert response.status_code == 204
    pet.refresh_from_db()
    assert pet.is_active is False
    # A deactivated pet is gone from the owner's view: every method answers 404.
    assert customer_client.get(detail(pet)).status_code == 404
    assert customer_client.patch(detail(pet), {"name": "Back"}, format="json").status_code == 404
    assert customer_client.delete(detail(pet)).status_code == 404
    assert customer_client.get(LIST).data["count"] == 0


@pytest.mark.parametrize(
    ("method", "body"),
    [
        ("get", None),
        ("patch", {"name": "Stolen", "weight_kg": "1.00"}),
        ("put", payload(name="Stolen")),
        ("delete", None),
    ],
)
def test_another_users_pet_answers_404_and_stays_unchanged(customer_client, method, body):
    theirs = PetFactory(name="Theirs", weight_kg=Decimal("24.50"))
    before = Pet.objects.filter(pk=theirs.pk).values().get()

    response = getattr(customer_client, method)(detail(theirs), body, format="json")

    assert response.status_code == 404
    assert "Theirs" not in response.content.decode()
    assert Pet.objects.filter(pk=theirs.pk).values().get() == before


def test_page_size_is_capped_at_100(customer, customer_client):
    PetFactory.create_batch(101, user=customer)

    response = customer_client.get(LIST, {"page_size": 100000})

    assert response.data["count"] == 101
    assert len(response.data["results"]) == 100


@pytest.mark.parametrize("pets", [1, 40])
def test_list_query_count_does_not_grow_with_pets(customer, django_assert_max_num_queries, pets):
    PetFactory.create_batch(pets, user=customer)
    client = client_for(customer)

    # The user behind the token, the count, the page.
    with django_assert_max_num_queries(3):
        response = client.get(LIST, {"page_size": 50})

    assert len(response.data["results"]) == pets
