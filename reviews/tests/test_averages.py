"""Averages for the clinic (per collector, per month) and for a collector (their own), in the back-office."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import StaffRole
from accounts.tests.staff import logged_in, staff_of
from reviews.models import Review
from reviews.tests.factories import ReviewFactory, collector_user

pytestmark = pytest.mark.django_db

SUMMARY = reverse("admin:reviews_review_summary")
MINE = reverse("admin:reviews_collectorrating_changelist")
CHANGELIST = reverse("admin:reviews_review_changelist")


def review(collector, visit, rating, months_ago=0):
    made = ReviewFactory(
        booking__collection_staff=collector, collector=collector, visit_rating=visit, collector_rating=rating
    )
    if months_ago:
        Review.objects.filter(pk=made.pk).update(created_at=timezone.now() - datetime.timedelta(days=31 * months_ago))
    return made


def test_no_reviews(admin_client):
    response = admin_client.get(SUMMARY)

    assert response.status_code == 200
    assert response.context["overall"] == {
        "reviews": 0,
        "visit_average": None,
        "collector_reviews": 0,
        "collector_average": None,
    }
    assert response.context["by_collector"] == []
    assert response.context["by_month"] == []
    assert b"No reviews yet." in response.content


def test_one_review(admin_client):
    collector = collector_user()
    review(collector, 4, 2)

    response = admin_client.get(SUMMARY)

    (row,) = response.context["by_collector"]
    assert row["collector_id"] == collector.pk
    assert (row["reviews"], row["visit_average"], row["collector_average"]) == (1, 4, 2)
    (month,) = response.context["by_month"]
    assert (month["reviews"], month["visit_average"]) == (1, 4)


def test_many_reviews_per_collector_and_per_month(admin_client):
    ana, ben = collector_user(), collector_user()
    review(ana, 5, 5)
    review(ana, 4, 3)
    review(ana, 3, None, months_ago=2)  # rated the visit only
    review(ben, 1, 1)
    ReviewFactory(  # a lab visit: no collector
        booking__collection_type="lab", booking__collection_staff=None, booking__address=None,
        booking__address_text="", collector=None, collector_rating=None, visit_rating=2,
    )  # fmt: skip

    response = admin_client.get(SUMMARY)

    rows = {row["collector_id"]: row for row in response.context["by_collector"]}
    assert set(rows) == {ana.pk, ben.pk}
    assert rows[ana.pk]["reviews"] == 3
    assert rows[ana.pk]["visit_average"] == pytest.approx(4.0)
    assert rows[ana.pk]["collector_reviews"] == 2
    assert rows[ana.pk]["collector_average"] == pytest.approx(4.0)  # (5 + 3) / 2: the unrated one is not a zero
    assert (rows[ben.pk]["reviews"], rows[ben.pk]["collector_average"]) == (1, 1)
    overall = response.context["overall"]
    assert overall["reviews"] == 5
    assert overall["visit_average"] == pytest.approx(3.0)  # (5 + 4 + 3 + 1 + 2) / 5
    assert overall["collector_average"] == pytest.approx(3.0)  # (5 + 3 + 1) / 3
    months = response.context["by_month"]
    assert [m["reviews"] for m in months] == [4, 1]  # newest month first
    assert months[1]["visit_average"] == 3


@pytest.mark.parametrize("url", [SUMMARY, CHANGELIST, MINE])
def test_the_pages_make_as_many_queries_at_1_and_many_reviews(admin_client, django_assert_max_num_queries, url):
    collector = collector_user()
    review(collector, 5, 5)
    admin_client.get(url)  # warm-up: session, content types
    with CaptureQueriesContext(connection) as one:
        admin_client.get(url)
    for index in range(30):
        review(collector_user() if index % 3 else collector, 1 + index % 5, 1 + index % 4, months_ago=index % 4)
    with CaptureQueriesContext(connection) as many, django_assert_max_num_queries(15):
        response = admin_client.get(url)

    assert response.status_code == 200
    assert len(many) == len(one)


def test_a_collector_sees_their_own_average_and_not_who_rated():
    me = staff_of(StaffRole.COLLECTOR)
    mine = [review(me, 2, 4), review(me, 5, 5), review(me, 3, None)]
    review(collector_user(), 1, 1)  # someone else's
    client = logged_in(me)

    response = client.get(MINE)

    assert response.status_code == 200
    assert response.context["overall"]["collector_reviews"] == 2
    assert response.context["overall"]["collector_average"] == pytest.approx(4.5)
    page = response.content.decode()
    assert "4.50 / 5" in page
    for made in mine:
        assert made.booking.user.full_name not in page
        assert made.booking.code not in page
        assert made.comment not in page
    # The reviews themselves stay closed to them.
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(SUMMARY).status_code == 403
    assert client.get(reverse("admin:reviews_collectorrating_change", args=[mine[0].pk])).status_code == 403


def test_a_collector_without_ratings_is_told_so():
    response = logged_in(staff_of(StaffRole.COLLECTOR)).get(MINE)

    assert response.status_code == 200
    assert b"No customer has rated your visits yet." in response.content


@pytest.mark.parametrize("role", [StaffRole.LAB_TECH])
def test_other_staff_without_the_permission_cannot_open_the_pages(role):
    client = logged_in(staff_of(role))

    assert client.get(SUMMARY).status_code == 403
    assert client.get(MINE).status_code == 403


@pytest.mark.parametrize("role", [StaffRole.ADMIN, StaffRole.ANALYST])
def test_clinic_admins_and_analysts_read_reviews_but_never_change_them(role):
    made = review(collector_user(), 2, 2)
    client = logged_in(staff_of(role))

    assert client.get(SUMMARY).status_code == 200
    listing = client.get(CHANGELIST, {"collector_rating": "2"})
    assert [r.pk for r in listing.context["cl"].result_list] == [made.pk]
    change = client.get(reverse("admin:reviews_review_change", args=[made.pk]))
    assert change.status_code == 200
    assert not change.context["has_change_permission"]
    assert client.post(reverse("admin:reviews_review_delete", args=[made.pk]), {"post": "yes"}).status_code == 403
