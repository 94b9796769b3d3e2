"""Numbers in query strings are ASCII digits: ``str.isdigit()`` also accepts "²" and "①", which ``int()`` refuses
(that was a 500), and "٣", which ``int()`` reads as 3."""

import pytest

from catalog.tests.factories import LabTestFactory

pytestmark = pytest.mark.django_db

TESTS = "/api/v1/catalog/tests/"


@pytest.mark.parametrize("value", ["²", "①", "٣", "9" * 5000, "0", "-1", "1.5"])
def test_a_page_size_that_is_not_ascii_digits_is_a_400(api_client, value):
    LabTestFactory()

    response = api_client.get(TESTS, {"page_size": value})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_page_size"


@pytest.mark.parametrize("value", ["²", "①", "٣", "9" * 5000])
def test_a_page_that_is_not_ascii_digits_is_the_invalid_page_404(api_client, value):
    LabTestFactory()

    response = api_client.get(TESTS, {"page": value})

    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page.", "code": "not_found"}


def test_valid_page_and_page_size_still_work(api_client):
    LabTestFactory.create_batch(3)

    response = api_client.get(TESTS, {"page": "2", "page_size": "2"})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


@pytest.mark.parametrize("value", ["²", "①", "٣", "9" * 5000])
def test_a_category_that_is_not_ascii_digits_is_read_as_a_slug(api_client, value):
    test = LabTestFactory()

    response = api_client.get(TESTS, {"category": value})

    assert response.status_code == 200
    assert response.json()["count"] == 0
    assert api_client.get(TESTS, {"category": str(test.category_id)}).json()["count"] == 1
