"""The demo's site content: FAQs by topic, a current announcement, and a completed visit's review that its customer
let the clinic show, shown as a testimonial. Safe to run twice (rows are found by their names or booking)."""

import datetime
from collections.abc import Callable

from django.utils import timezone

from bookings.models import Booking, CollectionType
from content.models import Announcement, Faq, FaqTopic, Testimonial
from reviews.models import Review
from reviews.services import review_create

Log = Callable[[str], None]

FAQS = {
    "Home collection": [
        (
            "Is there a charge for home collection?",
            "Home collection is free within 3 km of the lab; beyond that a small distance charge is added, shown "
            "before you book.",
        ),
        (
            "Does my pet need to fast?",
            "Some tests need 8–12 hours of fasting; each test says so in the catalog, and we remind you the evening "
            "before the visit.",
        ),
    ],
    "Reports": [
        (
            "When will the report be ready?",
            "Most reports are ready within 24 hours of collection; each test shows its turnaround time.",
        ),
        (
            "Can I share the report with my vet?",
            "Yes: download the PDF from the app and send it, or show it at the clinic.",
        ),
    ],
}
ANNOUNCEMENT = {
    "title": "Pet Health Month: free home collection",
    "body": "No home-collection charge on orders of ₹1,500 or more, all month.",
    "kind": Announcement.Kind.OFFER,
}
ANNOUNCEMENT_DAYS = 30
REVIEW = {
    "visit_rating": 5,
    "collector_rating": 5,
    "comment": "The collector was gentle with our cat and the report came the next morning. Very easy.",
    "testimonial_consent": True,
}


def _nothing(message: str) -> None:
    """The default log: say nothing."""


def seed_faqs(log: Log = _nothing) -> None:
    for topic_order, (name, questions) in enumerate(FAQS.items(), start=1):
        topic, _ = FaqTopic.objects.get_or_create(name=name, defaults={"display_order": topic_order})
        for order, (question, answer) in enumerate(questions, start=1):
            Faq.objects.get_or_create(
                topic=topic, question=question, defaults={"answer": answer, "display_order": order}
            )
    log(f"FAQs: {Faq.objects.count()} in {FaqTopic.objects.count()} topics")


def seed_announcement(log: Log = _nothing) -> None:
    """One announcement running now; a later run that finds it ended runs it again from today."""
    now = timezone.now()
    window = {
        "starts_at": now - datetime.timedelta(days=1),
        "ends_at": now + datetime.timedelta(days=ANNOUNCEMENT_DAYS),
    }
    announcement, created = Announcement.objects.get_or_create(
        title=ANNOUNCEMENT["title"], defaults={**ANNOUNCEMENT, **window}
    )
    if not created and not Announcement.objects.current().filter(pk=announcement.pk).exists():
        Announcement.objects.filter(pk=announcement.pk).update(**window)
        announcement.refresh_from_db()
    log(f"Announcement: {announcement.title} (until {timezone.localdate(announcement.ends_at):%d %b %Y})")


def seed_testimonial(*, bookings: list[Booking], log: Log = _nothing) -> None:
    """The first completed home visit is rated through ``reviews.services`` (with consent) and shown."""
    booking = next(
        (b for b in bookings if b.status == Booking.Status.COMPLETED and b.collection_type == CollectionType.HOME),
        None,
    )
    if booking is None:
        return
    review = Review.objects.filter(booking=booking).first()
    if review is None:
        review = review_create(user=booking.user, booking_id=booking.pk, **REVIEW)
        log(f"Review of {booking.code}: {review.visit_rating}/5, may be shown")
    if review.testimonial_consent and review.comment:
        Testimonial.objects.get_or_create(review=review)


def seed_content(*, bookings: list[Booking], log: Log = _nothing) -> None:
    seed_faqs(log)
    seed_announcement(log)
    seed_testimonial(bookings=bookings, log=log)
