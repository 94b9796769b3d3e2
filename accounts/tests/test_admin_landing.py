"""Each role lands where its day starts after logging into the back-office; an explicit ``?next=`` still wins."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import StaffRole
from accounts.tests.staff import PASSWORD, clinic_admin, staff_of

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"


def _login(user, next_url: str | None = None):
    client = Client()
    query = f"?next={next_url}" if next_url else ""
    data = {"username": user.phone, "password": PASSWORD, "otp_token": ""}
    if next_url is None:
        data["next"] = reverse("admin:index")  # what the login form posts when no page was asked for
    return client, client.post(LOGIN + query, data)


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        (StaffRole.COLLECTOR, "admin:bookings_booking_today"),
        (StaffRole.LAB_TECH, "admin:bookings_bookingitem_worklist"),
        (StaffRole.ANALYST, "admin:billing_billingrecord_report"),
    ],
)
def test_each_role_lands_on_its_own_page(role, landing):
    client, response = _login(staff_of(role))

    assert response.status_code == 302
    assert response.url == reverse(landing)
    assert client.get(response.url).status_code == 200


def test_the_clinic_admin_lands_on_the_dashboard():
    client, response = _login(clinic_admin())

    assert (response.status_code, response.url) == (302, reverse("admin:index"))
    assert 'id="staff-dashboard"' in client.get(response.url).content.decode()


def test_a_page_asked_for_wins_over_the_landing_page():
    wanted = reverse("admin:bookings_booking_changelist")
    _, response = _login(staff_of(StaffRole.LAB_TECH), next_url=wanted)

    assert response.url == wanted


def test_a_failed_login_lands_nowhere():
    user = staff_of(StaffRole.COLLECTOR)
    response = Client().post(LOGIN, {"username": user.phone, "password": "wrong-password", "next": "/admin/"})

    assert response.status_code == 200
