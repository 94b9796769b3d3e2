"""Test codes typed in the admin are stored as printed, and a code another test holds in any case is named on the
code field, not as a constraint."""

import pytest
from django.urls import reverse

from catalog.models import LabTest
from catalog.tests.admin_forms import labtest_form
from catalog.tests.factories import LabTestFactory

pytestmark = pytest.mark.django_db


def test_a_typed_test_code_is_stripped_and_upper_cased(admin_client):
    test = LabTestFactory(code="HEM-CBC")

    response = admin_client.post(
        reverse("admin:catalog_labtest_change", args=[test.pk]), labtest_form(test, code=" hem-cbc2 ")
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    test.refresh_from_db()
    assert test.code == "HEM-CBC2"


def test_a_test_code_held_by_another_test_is_a_field_message(admin_client):
    LabTestFactory(code="HEM-CBC")
    other = LabTestFactory(code="BIO-LFT")

    response = admin_client.post(
        reverse("admin:catalog_labtest_change", args=[other.pk]), labtest_form(other, code="hem-cbc")
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"code": ["A test with this code already exists."]}
    assert LabTest.objects.filter(code__iexact="hem-cbc").count() == 1
