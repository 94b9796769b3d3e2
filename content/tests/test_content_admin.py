"""Site content in the back-office: the clinic admin edits it; testimonials only from consented reviews."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import StaffRole
from accounts.tests.staff import logged_in, staff_of
from content.models import Announcement, Faq, FaqTopic, Testimonial
from content.tests.factories import AnnouncementFactory, FaqFactory, TestimonialFactory
from reviews.tests.factories import ReviewFactory

pytestmark = pytest.mark.django_db


def _url(model, view, *args):
    return reverse(f"admin:content_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def clinic_admin_client():
    return logged_in(staff_of(StaffRole.ADMIN))


def test_clinic_admin_adds_a_topic_with_its_questions(clinic_admin_client):
    response = clinic_admin_client.post(
        _url(FaqTopic, "add"),
        {
            "name": "Home collection",
            "display_order": "1",
            "is_published": "on",
            "faqs-TOTAL_FORMS": "1",
            "faqs-INITIAL_FORMS": "0",
            "faqs-0-display_order": "1",
            "faqs-0-question": "Is there a charge?",
            "faqs-0-answer": "Free within 3 km.",
            "faqs-0-is_published": "on",
        },
    )

    assert response.status_code == 302, response.context and response.context["errors"]
    assert Faq.objects.get().topic.name == "Home collection"


def test_an_announcement_must_end_after_it_starts(clinic_admin_client):
    start = timezone.localtime() + datetime.timedelta(days=1)
    response = clinic_admin_client.post(
        _url(Announcement, "add"),
        {
            "title": "Closed for Diwali",
            "kind": "closure",
            "starts_at_0": start.strftime("%Y-%m-%d"),
            "starts_at_1": "09:00",
            "ends_at_0": (start - datetime.timedelta(days=2)).strftime("%Y-%m-%d"),
            "ends_at_1": "09:00",
            "is_published": "on",
        },
    )

    assert response.status_code == 200
    assert not Announcement.objects.exists()


def test_a_testimonial_needs_a_consented_review_with_a_comment(clinic_admin_client):
    refused = ReviewFactory(testimonial_consent=False)
    silent = ReviewFactory(testimonial_consent=True, comment="")
    consented = ReviewFactory(testimonial_consent=True)

    for review in (refused, silent):
        response = clinic_admin_client.post(
            _url(Testimonial, "add"), {"review": review.pk, "display_order": "0", "is_published": "on"}
        )
        assert response.status_code == 200
        assert "review" in response.context["adminform"].form.errors
    accepted = clinic_admin_client.post(
        _url(Testimonial, "add"), {"review": consented.pk, "display_order": "0", "is_published": "on"}
    )

    assert accepted.status_code == 302
    assert Testimonial.objects.get().review == consented


def test_the_review_picker_offers_consented_reviews_only(clinic_admin_client):
    ReviewFactory(testimonial_consent=False, comment="Never show me")
    offered = ReviewFactory(testimonial_consent=True, comment="Show me")

    response = clinic_admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "content", "model_name": "testimonial", "field_name": "review", "term": ""},
    )

    assert response.status_code == 200, response.content
    assert [row["id"] for row in response.json()["results"]] == [str(offered.pk)]


@pytest.mark.parametrize("role", [StaffRole.COLLECTOR, StaffRole.LAB_TECH, StaffRole.ANALYST])
def test_other_roles_do_not_edit_content(role):
    client = logged_in(staff_of(role))
    FaqFactory()
    AnnouncementFactory()
    TestimonialFactory()

    for model in (FaqTopic, Faq, Announcement, Testimonial):
        assert client.get(_url(model, "changelist")).status_code == 403
        assert client.get(_url(model, "add")).status_code == 403


def test_clinic_admin_pages_render(clinic_admin_client):
    made = {FaqTopic: FaqFactory().topic, Announcement: AnnouncementFactory(), Testimonial: TestimonialFactory()}
    made[Faq] = Faq.objects.get()

    for model, obj in made.items():
        assert clinic_admin_client.get(_url(model, "changelist")).status_code == 200
        assert clinic_admin_client.get(_url(model, "change", obj.pk)).status_code == 200
    for running in ("now", "upcoming", "ended"):
        listing = clinic_admin_client.get(_url(Announcement, "changelist"), {"running": running})
        assert [a.pk for a in listing.context["cl"].result_list] == (
            [made[Announcement].pk] if running == "now" else []
        )
