"""Test codes typed in the admin are stored as printed, and a code another test holds in any case is named on the
code field, not as a constraint."""

import json

import pytest
from django.urls import reverse

from catalog.models import LabTest
from catalog.tests.factories import LabTestFactory

pytestmark = pytest.mark.django_db


def _labtest_form(test, **changes) -> dict:
    """The test's change form as a browser posts it (empty values left out), with ``changes``."""
    data = {
        "code": test.code,
        "name": test.name,
        "category": test.category_id,
        "species": json.dumps(test.species),
        "is_active": "on" if test.is_active else "",
        "price": str(test.price),
        "sample_type": test.sample_type,
        "tube_type": test.tube_type,
        "collection_instructions": test.collection_instructions,
        "tat_hours": "" if test.tat_hours is None else str(test.tat_hours),
        "component_links-TOTAL_FORMS": "0",
        "component_links-INITIAL_FORMS": "0",
        "_save": "Save",
    }
    return {key: value for key, value in (data | changes).items() if value != ""}


def test_a_typed_test_code_is_stripped_and_upper_cased(admin_client):
    test = LabTestFactory(code="HEM-CBC")

    response = admin_client.post(
        reverse("admin:catalog_labtest_change", args=[test.pk]), _labtest_form(test, code=" hem-cbc2 ")
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    test.refresh_from_db()
    assert test.code == "HEM-CBC2"


def test_a_test_code_held_by_another_test_is_a_field_message(admin_client):
    LabTestFactory(code="HEM-CBC")
    other = LabTestFactory(code="BIO-LFT")

    response = admin_client.post(
        reverse("admin:catalog_labtest_change", args=[other.pk]), _labtest_form(other, code="hem-cbc")
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"code": ["A test with this code already exists."]}
    assert LabTest.objects.filter(code__iexact="hem-cbc").count() == 1
