"""The API's error contract at its edges: JSON error objects, strict query parameters, documented statuses."""

import pytest
from django.urls import reverse

from accounts.models import StaffRole
from accounts.tests.factories import StaffProfileFactory
from catalog.tests.factories import LabTestFactory
from conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path", ["/api/v1/pets/0.5/", "/api/v1/bookings/abc/", "/api/v1/no-such-thing", "/api/v1/reports/1e3/download"]
)
def test_unknown_api_paths_answer_a_json_404(customer_client, path):
    response = customer_client.get(path)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_non_integer_visit_id_is_404_not_500():
    collector = StaffProfileFactory(role=StaffRole.COLLECTOR).user
    response = client_for(collector).post("/api/v1/staff/collections/null,null/collected", {}, format="json")
    assert response.status_code == 404


def test_admin_404_is_still_a_page(admin_client):
    assert admin_client.get("/admin/no-such-page/").status_code == 404


@pytest.mark.parametrize("value", ["abc", "0", "-1", "1.5", ""])
def test_bad_page_size_is_400(customer_client, value):
    response = customer_client.get(reverse("bookings:booking-list"), {"page_size": value})
    if value == "":
        assert response.status_code == 400
    else:
        assert response.status_code == 400, value
        assert "page_size" in response.json()


@pytest.mark.parametrize(
    ("value", "status"), [("true", 200), ("false", 200), ("1", 200), ("maybe", 400), ("-3.5e306", 400)]
)
def test_boolean_filters_are_strict(api_client, value, status):
    LabTestFactory(is_package=True)
    response = api_client.get(reverse("catalog:test-list"), {"is_package": value})
    assert response.status_code == status


def test_a_nul_in_search_is_an_error_object(customer_client):
    response = customer_client.get(reverse("bookings:booking-list"), {"search": "a\x00b", "status": "x\x00"})
    assert response.status_code == 400
    assert isinstance(response.json(), dict)


def test_a_body_in_an_unread_media_type_is_415(customer_client):
    response = customer_client.post(reverse("bookings:booking-quote"), "pet=1", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
