"""Phone numbers typed the local way are taken in every admin form that has one, and stored as E.164 (the clinic's
region, PHONE_DEFAULT_REGION = IN); a number that is not one gets a message on its field."""

import pytest
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import UserFactory
from clinic.tests.factories import ClinicInfoFactory
from clinic.tests.test_admin_clinic import clinic_form

pytestmark = pytest.mark.django_db


def test_clinic_info_takes_local_numbers_and_stores_e164(admin_client):
    clinic = ClinicInfoFactory()
    url = reverse("admin:clinic_clinicinfo_change", args=[clinic.pk])

    response = admin_client.post(url, clinic_form(clinic, phone="98450 12345", whatsapp_number="098450-12346"))

    assert response.status_code == 302, response.context["adminform"].form.errors
    clinic.refresh_from_db()
    assert (clinic.phone, clinic.whatsapp_number) == ("+919845012345", "+919845012346")


def test_clinic_info_names_a_wrong_number_on_its_field(admin_client):
    clinic = ClinicInfoFactory()
    url = reverse("admin:clinic_clinicinfo_change", args=[clinic.pk])

    response = admin_client.post(url, clinic_form(clinic, whatsapp_number="12345"))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "whatsapp_number": ["Enter a valid phone number, e.g. 98450 12345 or +91 98450 12345."]
    }


def test_clinic_phone_may_stay_empty(admin_client):
    clinic = ClinicInfoFactory(phone="")
    url = reverse("admin:clinic_clinicinfo_change", args=[clinic.pk])

    response = admin_client.post(url, clinic_form(clinic, phone=""))

    assert response.status_code == 302, response.context["adminform"].form.errors
    clinic.refresh_from_db()
    assert clinic.phone == ""


def test_a_user_added_with_a_local_number_is_stored_e164(admin_client):
    data = {
        "phone": "098450-12345",
        "full_name": "Ananya Sharma",
        "email": "",
        "usable_password": "false",
        "_save": "Save",
    }

    response = admin_client.post(reverse("admin:accounts_user_add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert User.objects.filter(phone="+919845012345", full_name="Ananya Sharma").exists()


def test_a_user_number_held_by_another_in_another_format_is_refused_on_the_field(admin_client):
    UserFactory(phone="+919845012345")
    data = {"phone": "98450 12345", "full_name": "Someone", "email": "", "usable_password": "false", "_save": "Save"}

    response = admin_client.post(reverse("admin:accounts_user_add"), data)

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["phone"]
