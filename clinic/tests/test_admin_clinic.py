"""Clinic info in the back-office: one object, edited in place, with its audit history."""

import pytest
from auditlog.models import LogEntry
from django.test import Client
from django.urls import reverse

from accounts.models import StaffRole
from accounts.roles import roles_setup, staff_set_role
from accounts.tests.factories import StaffProfileFactory
from clinic.models import ClinicInfo
from clinic.tests.factories import ClinicInfoFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:clinic_clinicinfo_changelist")
ADD = reverse("admin:clinic_clinicinfo_add")


def staff_client(role: str) -> Client:
    roles_setup()
    user = StaffProfileFactory(role=role).user
    staff_set_role(user=user, role=role)
    client = Client()
    client.force_login(user)
    return client


def clinic_form(clinic: ClinicInfo, **changes) -> dict:
    """The clinic's admin change form as a browser posts it, with ``changes``."""
    data = {
        "name": clinic.name,
        "whatsapp_number": clinic.whatsapp_number,
        "phone": clinic.phone,
        "email": clinic.email,
        "address": clinic.address,
        "google_maps_link": clinic.google_maps_link,
        "latitude": str(clinic.latitude),
        "longitude": str(clinic.longitude),
        "road_factor": str(clinic.road_factor),
        "gstin": clinic.gstin,
        "hsn_sac_code": clinic.hsn_sac_code,
        "tax_rate": str(clinic.tax_rate),
        "opening_time": clinic.opening_time.strftime("%H:%M:%S"),
        "closing_time": clinic.closing_time.strftime("%H:%M:%S"),
        "slot_minutes": clinic.slot_minutes,
        "home_slot_capacity": clinic.home_slot_capacity,
        "lab_slot_capacity": clinic.lab_slot_capacity or "",
        "slot_buffer_minutes": clinic.slot_buffer_minutes,
        "home_daily_capacity": clinic.home_daily_capacity or "",
        "lab_daily_capacity": clinic.lab_daily_capacity or "",
        # The weekly hours inline, empty.
        "opening_hours-TOTAL_FORMS": "0",
        "opening_hours-INITIAL_FORMS": "0",
        "_save": "Save",
    }
    return data | changes


def test_changelist_opens_the_one_row(admin_client):
    clinic = ClinicInfoFactory()

    response = admin_client.get(CHANGELIST)

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:clinic_clinicinfo_change", args=[clinic.pk])


def test_changelist_opens_the_add_page_while_there_is_no_row(admin_client):
    response = admin_client.get(CHANGELIST)

    assert response.status_code == 302
    assert response["Location"] == ADD
    assert admin_client.get(ADD).status_code == 200


def test_no_second_row_and_no_delete(admin_client):
    clinic = ClinicInfoFactory()

    assert admin_client.get(ADD).status_code == 403
    assert admin_client.post(ADD, clinic_form(clinic, name="Second clinic")).status_code == 403
    assert admin_client.get(reverse("admin:clinic_clinicinfo_delete", args=[clinic.pk])).status_code == 403
    assert list(ClinicInfo.objects.values_list("name", flat=True)) == [clinic.name]


def test_edit_in_place_records_who_and_what(admin_client, admin_user):
    clinic = ClinicInfoFactory()
    url = reverse("admin:clinic_clinicinfo_change", args=[clinic.pk])

    old_name = clinic.name
    response = admin_client.post(url, clinic_form(clinic, name="DiagnoPet Labs"))

    assert response.status_code == 302, response.context["adminform"].form.errors
    clinic.refresh_from_db()
    assert clinic.name == "DiagnoPet Labs"
    assert clinic.updated_by == admin_user
    entry = LogEntry.objects.get_for_object(clinic).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.actor == admin_user
    assert entry.changes_dict["name"] == [old_name, "DiagnoPet Labs"]
    history = admin_client.get(reverse("admin:clinic_clinicinfo_auditlog", args=[clinic.pk]))
    assert entry in list(history.context["log_entries"])


@pytest.mark.parametrize("role", [StaffRole.ANALYST, StaffRole.LAB_TECH, StaffRole.COLLECTOR])
def test_only_clinic_admins_see_clinic_info(role):
    clinic = ClinicInfoFactory()
    client = staff_client(role)

    assert client.get(CHANGELIST).status_code == 403
    assert client.get(reverse("admin:clinic_clinicinfo_change", args=[clinic.pk])).status_code == 403


def test_admin_role_edits_clinic_info():
    clinic = ClinicInfoFactory()
    client = staff_client(StaffRole.ADMIN)

    response = client.get(CHANGELIST, follow=True)

    assert response.redirect_chain[-1][0] == reverse("admin:clinic_clinicinfo_change", args=[clinic.pk])
    assert response.status_code == 200


def hours_rows(*rows) -> dict:
    """The weekly hours inline as posted: (weekday, opens, closes) rows."""
    data = {"opening_hours-TOTAL_FORMS": str(len(rows)), "opening_hours-INITIAL_FORMS": "0"}
    for n, (weekday, opens, closes) in enumerate(rows):
        data |= {
            f"opening_hours-{n}-weekday": weekday,
            f"opening_hours-{n}-opens_at": opens,
            f"opening_hours-{n}-closes_at": closes,
        }
    return data


def test_weekly_hours_are_edited_on_the_clinic_page_and_regeneration_is_offered(admin_client):
    clinic = ClinicInfoFactory()
    url = reverse("admin:clinic_clinicinfo_change", args=[clinic.pk])

    response = admin_client.post(
        url, clinic_form(clinic, **hours_rows((0, "08:00", "12:00"), (0, "14:00", "18:00"))), follow=True
    )

    assert response.status_code == 200
    assert [str(h) for h in clinic.opening_hours.all()] == ["Monday 08:00–12:00", "Monday 14:00–18:00"]
    assert reverse("admin:bookings_collectionslot_regenerate") in response.content.decode()


def test_overlapping_weekly_hours_are_refused_in_the_admin(admin_client):
    clinic = ClinicInfoFactory()
    url = reverse("admin:clinic_clinicinfo_change", args=[clinic.pk])
    response = admin_client.post(url, clinic_form(clinic, **hours_rows((2, "08:00", "12:00"), (2, "11:00", "13:00"))))
    assert response.status_code == 200
    assert "overlap" in response.content.decode()
    assert not clinic.opening_hours.exists()


def test_a_half_day_exception_needs_both_times(admin_client):
    add = reverse("admin:clinic_clinicholiday_add")
    half = admin_client.post(add, {"date": "2030-01-02", "name": "Half day", "opens_at": "08:00", "closes_at": "12:00"})
    assert half.status_code == 302
    broken = admin_client.post(add, {"date": "2030-01-03", "name": "Broken", "opens_at": "08:00", "closes_at": ""})
    assert broken.status_code == 200
    assert "Give both" in broken.content.decode()
