"""The back-office's 403 and 404 pages say why and where to go; the API keeps its JSON answers."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import StaffRole
from accounts.roles import roles_setup, staff_set_role
from accounts.tests.factories import StaffProfileFactory

pytestmark = pytest.mark.django_db


def _staff(role: str) -> Client:
    roles_setup()
    user = StaffProfileFactory(role=role, user__full_name="Dr. Meera Rao").user
    staff_set_role(user=user, role=role)
    client = Client()
    client.force_login(user)
    return client


def test_an_analyst_outside_their_role_gets_the_styled_403_with_their_start_page():
    analyst = _staff(StaffRole.ANALYST)

    response = analyst.get(reverse("admin:promotions_coupon_add"))

    assert response.status_code == 403
    html = response.content.decode()
    assert html.count("Not part of your role</h1>") == 1
    assert "<strong>Analyst</strong> role" in html
    assert f'href="{reverse("admin:billing_billingrecord_report")}"' in html
    assert "DiagnoPet back-office" in html  # inside the admin's frame
    assert "403 Forbidden" not in html


def test_a_missing_back_office_page_is_the_styled_404_with_the_start_page():
    collector = _staff(StaffRole.COLLECTOR)

    response = collector.get("/admin/no-such-page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert html.count("Page not found</h1>") == 1
    assert f'href="{reverse("admin:bookings_booking_today")}"' in html


def test_outside_the_admin_a_visitor_gets_a_plain_404_linking_the_sign_in(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert html.count("<h1>Page not found</h1>") == 1
    assert f'href="{reverse("admin:login")}"' in html


def test_the_api_keeps_its_json_errors():
    analyst = _staff(StaffRole.ANALYST)

    missing = analyst.get("/api/v1/no-such-thing/")

    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not found.", "code": "not_found"}


def test_the_header_greets_by_full_name_and_has_no_view_site_link():
    clinic_admin = _staff(StaffRole.ADMIN)

    html = clinic_admin.get(reverse("admin:index")).content.decode()

    assert "Welcome, <strong>Dr. Meera Rao</strong>." in html
    assert "View site" not in html
