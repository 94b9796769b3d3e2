"""The back-office shows a pet's trend charts to staff who may see results, and each report's previous values."""

import datetime
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.models import StaffRole
from accounts.roles import roles_setup, staff_set_role
from accounts.tests.factories import StaffProfileFactory, StaffUserFactory
from bookings.services import report_verify
from bookings.tests.factories import BookingFactory
from bookings.tests.publishing_helpers import submitted_report
from catalog.tests.factories import LabTestFactory
from pets.tests.factories import PetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _roles(db):
    roles_setup()


def staff(role) -> Client:
    user = StaffProfileFactory(role=role).user
    staff_set_role(user=user, role=role)
    client = Client()
    client.force_login(user)
    return client


def history(pet, months, test):
    reports = []
    for month in months:
        report = submitted_report(
            booking=BookingFactory(user=pet.user, pet=pet),
            test=test,
            values=[Decimal(30 + month), Decimal(12), Decimal(1)],
            sampled_at=timezone.now() - datetime.timedelta(days=30 * month),
        )
        reports.append(report_verify(report=report, by=StaffUserFactory()))
    return reports


def test_pet_page_shows_trend_charts_to_the_lab_not_to_collectors():
    pet, test = PetFactory(), LabTestFactory()
    history(pet, [3, 2, 1], test)
    lab = staff(StaffRole.LAB_TECH)
    page = lab.get(reverse("admin:pets_pet_change", args=[pet.id])).content.decode()
    chart = reverse("admin:pets_pet_trend", args=[pet.id, "HCT"])
    assert chart in page
    response = lab.get(chart)
    assert response.status_code == 200
    assert Image.open(io.BytesIO(response.content)).format == "PNG"
    assert lab.get(reverse("admin:pets_pet_trend", args=[pet.id, "NOPE"])).status_code == 404

    collector = staff(StaffRole.COLLECTOR)
    assert collector.get(chart).status_code in (403, 404)
    analyst = staff(StaffRole.ANALYST)
    assert analyst.get(chart).status_code in (302, 403)


def test_report_page_shows_the_previous_values_of_each_analyte():
    pet, test = PetFactory(), LabTestFactory()
    *older, current = history(pet, [5, 4, 3, 2, 1], test)
    lab = staff(StaffRole.LAB_TECH)
    url = reverse("admin:bookings_testreport_change", args=[current.id])
    page = lab.get(url).content.decode()
    assert "Previous values" in page
    # The three latest before this one (2, 3, 4 months ago: 32, 33, 34), newest first; not the fifth.
    assert "32.0 (" in page
    assert "34.0 (" in page
    assert "35.0 (" not in page
    assert page.index("32.0 (") < page.index("33.0 (") < page.index("34.0 (")
