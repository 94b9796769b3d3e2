from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Notification
from accounts.tests.factories import NotificationFactory, UserFactory
from conftest import client_for

NOTIFICATIONS = "/api/v1/notifications/"
READ_ALL = "/api/v1/notifications/read-all"

pytestmark = pytest.mark.django_db


def read_url(notification) -> str:
    return f"{NOTIFICATIONS}{notification.pk}/read"


def test_list_shows_own_notifications_newest_first(customer, customer_client):
    older = NotificationFactory(user=customer, data={"booking": 12})
    newer = NotificationFactory(user=customer, kind=Notification.Kind.REPORT_DELIVERED, title="Report ready")
    Notification.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(hours=1))
    NotificationFactory()  # someone else's

    response = customer_client.get(NOTIFICATIONS)

    assert response.status_code == 200
    assert response.data["count"] == 2
    rows = response.data["results"]
    assert [row["id"] for row in rows] == [newer.pk, older.pk]
    assert set(rows[0]) == {"id", "kind", "title", "body", "data", "read_at", "created_at"}
    assert rows[0]["kind"] == "report_delivered"
    assert rows[1]["data"] == {"booking": 12}
    assert rows[1]["read_at"] is None


def test_list_is_paginated(customer, customer_client):
    NotificationFactory.create_batch(25, user=customer)

    first = customer_client.get(NOTIFICATIONS)
    small = customer_client.get(NOTIFICATIONS, {"page_size": 10, "page": 3})

    assert (first.data["count"], len(first.data["results"])) == (25, 20)
    assert first.data["next"]
    assert len(small.data["results"]) == 5


def test_mark_one_read(customer, customer_client):
    notification = NotificationFactory(user=customer)
    other = NotificationFactory(user=customer)

    response = customer_client.post(read_url(notification))

    assert response.status_code == 200
    assert response.data["id"] == notification.pk
    assert response.data["read_at"] is not None
    notification.refresh_from_db()
    first_read = notification.read_at
    assert first_read is not None
    other.refresh_from_db()
    assert other.read_at is None
    # Reading again keeps the first read time.
    assert customer_client.post(read_url(notification)).status_code == 200
    notification.refresh_from_db()
    assert notification.read_at == first_read


def test_another_users_notification_is_not_found(customer_client):
    theirs = NotificationFactory()

    assert customer_client.post(read_url(theirs)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_read_all_marks_only_own_unread(customer, customer_client):
    NotificationFactory.create_batch(3, user=customer)
    already = NotificationFactory(user=customer, read_at=timezone.now() - timedelta(days=1))
    theirs = NotificationFactory()

    response = customer_client.post(READ_ALL)

    assert response.status_code == 200
    assert response.data == {"count": 3}
    assert not Notification.objects.filter(user=customer, read_at__isnull=True).exists()
    already_read_at = already.read_at
    already.refresh_from_db()
    assert already.read_at == already_read_at
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert customer_client.post(READ_ALL).data == {"count": 0}


def test_notifications_need_authentication(api_client):
    notification = NotificationFactory()

    assert api_client.get(NOTIFICATIONS).status_code == 401
    assert api_client.post(read_url(notification)).status_code == 401
    assert api_client.post(READ_ALL).status_code == 401


@pytest.mark.parametrize("rows", [1, 30])
def test_notification_list_query_count(django_assert_max_num_queries, rows):
    user = UserFactory()
    NotificationFactory.create_batch(rows, user=user)
    client = client_for(user)

    # The user (JWT), the page count, the page.
    with django_assert_max_num_queries(3):
        response = client.get(NOTIFICATIONS, {"page_size": 100})

    assert response.status_code == 200
    assert len(response.data["results"]) == rows
