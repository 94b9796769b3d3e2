"""The public site content: FAQs by topic, current announcements, consented testimonials; cached like the catalog."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import client_for
from content.models import Announcement, Faq, Testimonial
from content.tests.factories import AnnouncementFactory, FaqFactory, FaqTopicFactory, TestimonialFactory
from pets.models import Pet
from reviews.tests.factories import ReviewFactory

pytestmark = pytest.mark.django_db

FAQS = reverse("content:faq-list")
ANNOUNCEMENTS = reverse("content:announcement-list")
TESTIMONIALS = reverse("content:testimonial-list")


def test_faqs_are_grouped_by_topic_in_order_published_only(api_client):
    reports = FaqTopicFactory(name="Reports", display_order=2)
    home = FaqTopicFactory(name="Home collection", display_order=1)
    FaqTopicFactory(name="Hidden topic", display_order=0, is_published=False)
    FaqFactory(topic=reports, question="When are reports ready?", display_order=1)
    FaqFactory(topic=home, question="Do you come on Sundays?", display_order=2)
    FaqFactory(topic=home, question="Is there a charge?", display_order=1)
    FaqFactory(topic=home, question="Draft question?", is_published=False)
    FaqTopicFactory(name="Empty topic")  # nothing published in it: not listed

    response = api_client.get(FAQS)

    assert response.status_code == 200
    topics = response.json()["results"]
    assert [t["name"] for t in topics] == ["Home collection", "Reports"]
    assert [f["question"] for f in topics[0]["faqs"]] == ["Is there a charge?", "Do you come on Sundays?"]
    assert set(topics[0]["faqs"][0]) == {"id", "question", "answer"}


def test_only_current_published_announcements_are_served(api_client):
    now = timezone.now()
    current = AnnouncementFactory(title="Closed on Diwali", kind=Announcement.Kind.CLOSURE)
    AnnouncementFactory(title="Upcoming", starts_at=now + datetime.timedelta(hours=1))
    AnnouncementFactory(title="Over", starts_at=now - datetime.timedelta(days=2), ends_at=now - datetime.timedelta(1))
    AnnouncementFactory(title="Unpublished", is_published=False)

    response = api_client.get(ANNOUNCEMENTS)

    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["id"] == current.pk
    assert row["kind"] == "closure"


def test_testimonials_show_only_consented_reviews_first_name_and_species(api_client):
    shown = TestimonialFactory(
        review__booking__user__full_name="Asha Menon Rao", review__booking__pet__species=Pet.Species.CAT
    )
    withdrawn = TestimonialFactory()
    withdrawn.review.testimonial_consent = False  # consent withdrawn after staff chose it
    withdrawn.review.save()
    TestimonialFactory(is_published=False)
    closed = TestimonialFactory()
    closed.review.booking.user.is_active = False  # a closed account
    closed.review.booking.user.save()
    ReviewFactory(testimonial_consent=True)  # consented, but not chosen by staff

    response = api_client.get(TESTIMONIALS)

    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row == {
        "id": shown.pk,
        "first_name": "Asha",
        "pet_species": "cat",
        "rating": shown.review.visit_rating,
        "comment": shown.review.comment,
    }
    text = response.content.decode()
    for personal in (
        "Menon",
        shown.review.booking.user.phone,
        shown.review.booking.pet.name,
        shown.review.booking.code,
    ):
        assert personal not in text


def test_a_testimonial_the_customer_edits_after_staff_chose_it_waits_for_staff_again(api_client):
    # Staff chose the words and the rating; a later edit is the customer's alone and must not go public unseen.
    testimonial = TestimonialFactory()
    customer = client_for(testimonial.review.booking.user)
    review_url = reverse("reviews:booking-review", args=[testimonial.review.booking_id])

    edited = customer.patch(review_url, {"comment": "Buy cheap pills at http://spam.example", "visit_rating": 1})

    assert edited.status_code == 200
    assert api_client.get(TESTIMONIALS).json()["results"] == []
    testimonial.save()  # staff read it and saved the testimonial again: shown, as edited
    (row,) = api_client.get(TESTIMONIALS).json()["results"]
    assert (row["comment"], row["rating"]) == ("Buy cheap pills at http://spam.example", 1)


def test_content_is_public_and_read_only(api_client, customer):
    for url in (FAQS, ANNOUNCEMENTS, TESTIMONIALS):
        assert api_client.get(url).status_code == 200
        assert client_for(customer).get(url).status_code == 200
        assert api_client.post(url, {}, format="json").status_code == 405


@pytest.mark.parametrize("rows", [1, 25])
def test_query_count_does_not_grow_with_rows(api_client, django_assert_max_num_queries, rows):
    for index in range(rows):
        FaqFactory(topic=FaqTopicFactory(name=f"T{index}"))
        FaqFactory(topic=FaqTopicFactory(name=f"U{index}"))
        AnnouncementFactory()
        TestimonialFactory()

    # The count, the page, and for FAQs the questions of the page's topics.
    with django_assert_max_num_queries(3):
        faqs = api_client.get(FAQS, {"page_size": 100})
    with django_assert_max_num_queries(2):
        announcements = api_client.get(ANNOUNCEMENTS, {"page_size": 100})
    with django_assert_max_num_queries(2):
        testimonials = api_client.get(TESTIMONIALS, {"page_size": 100})

    assert len(faqs.json()["results"]) == 2 * rows
    assert len(announcements.json()["results"]) == rows
    assert len(testimonials.json()["results"]) == rows


@pytest.mark.parametrize("url", [FAQS, ANNOUNCEMENTS, TESTIMONIALS])
def test_a_repeated_read_makes_no_query_and_etag_gives_304(api_client, django_assert_num_queries, url):
    FaqFactory()
    AnnouncementFactory()
    TestimonialFactory()
    first = api_client.get(url)
    assert first["Cache-Control"] == "public, max-age=60"

    with django_assert_num_queries(0):
        again = api_client.get(url)
        not_modified = api_client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert api_client.get(url, HTTP_IF_NONE_MATCH='"stale"').status_code == 200


def _edit_faq():
    faq = Faq.objects.get()
    faq.answer = "A new answer."
    faq.save()


def _end_announcement():
    Announcement.objects.get().delete()


def _withdraw_consent():
    review = Testimonial.objects.get().review
    review.testimonial_consent = False
    review.save()


def _rename_customer():
    user = Testimonial.objects.get().review.booking.user
    user.full_name = "Zed Other"
    user.save(update_fields=["full_name", "updated_at"])


def _change_species():
    pet = Testimonial.objects.get().review.booking.pet
    pet.species = Pet.Species.RABBIT
    pet.save()


@pytest.mark.parametrize(
    ("url", "change"),
    [
        (FAQS, _edit_faq),
        (ANNOUNCEMENTS, _end_announcement),
        (TESTIMONIALS, _withdraw_consent),
        (TESTIMONIALS, _rename_customer),
        (TESTIMONIALS, _change_species),
    ],
    ids=["faq", "announcement", "consent", "name", "species"],
)
def test_a_change_invalidates_the_cached_answer_and_its_etag(
    api_client, url, change, django_capture_on_commit_callbacks
):
    FaqFactory()
    AnnouncementFactory()
    TestimonialFactory()
    before = api_client.get(url)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        change()

    assert callbacks, "the version is replaced again after commit"
    after = api_client.get(url, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert after.content != before.content


def test_a_login_does_not_invalidate_content(api_client, django_assert_num_queries):
    testimonial = TestimonialFactory()
    api_client.get(TESTIMONIALS)
    user = testimonial.review.booking.user
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])

    with django_assert_num_queries(0):
        assert api_client.get(TESTIMONIALS).status_code == 200
