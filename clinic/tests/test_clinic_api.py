import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache

import clinic.signals  # noqa: F401  (connects the cache-invalidation receivers, as ClinicConfig.ready() does)
from clinic.models import ClinicInfo
from clinic.tests.factories import ClinicInfoFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/clinic/"


@pytest.fixture(autouse=True)
def _empty_cache():
    # Rolled-back rows send no signals: without this, one test could read another's cached responses.
    cache.clear()
    yield
    cache.clear()


def test_clinic_info_is_public(api_client):
    ClinicInfoFactory()

    response = api_client.get(URL)

    assert response.status_code == 200
    assert response.json() == {
        "name": "DiagnoPet Veterinary Diagnostics",
        "whatsapp_number": "+919876500000",
        "whatsapp_link": "https://wa.me/919876500000",
        "phone": "+919876500001",
        "email": "lab@diagnopet.example",
        "address": "12, 80 Feet Road, Indiranagar, Bengaluru 560038",
        "google_maps_link": "https://maps.google.com/?q=12.971600,77.640000",
        "latitude": "12.971600",
        "longitude": "77.640000",
        "opening_time": "08:00:00",
        "closing_time": "18:00:00",
        "cancellation_cutoff_hours": 2,
    }


def test_customers_see_it_too(customer_client):
    ClinicInfoFactory()

    assert customer_client.get(URL).json()["name"] == "DiagnoPet Veterinary Diagnostics"


def test_no_clinic_row_answers_404_with_a_clear_message(api_client):
    response = api_client.get(URL)

    assert response.status_code == 404
    assert response.json() == {
        "detail": "The clinic's details have not been set up yet.",
        "code": "clinic_not_configured",
    }
    assert "ETag" not in response


def test_it_is_read_only(customer_client):
    ClinicInfoFactory()

    assert customer_client.patch(URL, {"name": "Mine now"}, format="json").status_code == 405
    assert ClinicInfo.objects.get().name == "DiagnoPet Veterinary Diagnostics"


def test_a_repeated_request_is_served_from_the_cache(api_client, django_assert_num_queries):
    ClinicInfoFactory()
    first = api_client.get(URL)

    with django_assert_num_queries(0):
        again = api_client.get(URL)

    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert again["Cache-Control"] == "public, max-age=60"


def test_if_none_match_answers_304(api_client):
    ClinicInfoFactory()
    etag = api_client.get(URL)["ETag"]

    response = api_client.get(URL, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


def test_editing_the_clinic_refreshes_the_cached_answer(api_client):
    clinic = ClinicInfoFactory()
    etag = api_client.get(URL)["ETag"]

    clinic.closing_time = datetime.time(20, 0)
    clinic.latitude = Decimal("12.980000")
    clinic.save()

    response = api_client.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert (response.json()["closing_time"], response.json()["latitude"]) == ("20:00:00", "12.980000")

    clinic.delete()
    assert api_client.get(URL).status_code == 404
