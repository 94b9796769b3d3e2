"""A low rating (2 or less, of the visit or of the collector) reaches every active clinic admin, once."""

import pytest
from django.urls import reverse

from accounts.models import Notification, StaffRole
from accounts.tests.factories import StaffProfileFactory

pytestmark = pytest.mark.django_db


def url(booking) -> str:
    return reverse("reviews:booking-review", args=[booking.pk])


def review_notifications():
    return Notification.objects.filter(event_key__startswith="review-low:")


@pytest.mark.parametrize(
    "ratings",
    [{"visit_rating": 2}, {"visit_rating": 1, "collector_rating": 4}, {"visit_rating": 5, "collector_rating": 2}],
)
def test_a_low_rating_notifies_each_clinic_admin_once(customer_client, completed, clinic_admins, ratings):
    StaffProfileFactory(role=StaffRole.ANALYST)  # other staff are not told
    StaffProfileFactory(role=StaffRole.ADMIN, user__is_active=False)  # nor a clinic admin who left

    response = customer_client.post(url(completed), ratings, format="json")

    assert response.status_code == 201
    notes = review_notifications()
    assert sorted(note.user_id for note in notes) == sorted(admin.pk for admin in clinic_admins)
    assert all(completed.code in note.title and note.data["booking"] == completed.pk for note in notes)


def test_editing_a_low_review_does_not_notify_again(customer_client, completed, clinic_admins):
    customer_client.post(url(completed), {"visit_rating": 2}, format="json")

    customer_client.patch(url(completed), {"visit_rating": 1, "comment": "Worse on reflection."}, format="json")
    customer_client.patch(url(completed), {"collector_rating": 1}, format="json")

    assert review_notifications().count() == len(clinic_admins)


def test_a_rating_of_3_or_more_notifies_nobody(customer_client, completed, clinic_admins):
    customer_client.post(url(completed), {"visit_rating": 3, "collector_rating": 3}, format="json")

    assert not review_notifications().exists()


def test_a_review_lowered_later_notifies_once(customer_client, completed, clinic_admins):
    customer_client.post(url(completed), {"visit_rating": 4}, format="json")
    assert not review_notifications().exists()

    customer_client.patch(url(completed), {"visit_rating": 2}, format="json")
    customer_client.patch(url(completed), {"visit_rating": 1}, format="json")

    assert review_notifications().count() == len(clinic_admins)
