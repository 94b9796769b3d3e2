"""Reviews: a customer rates a completed visit once, may change it for a week, and low ratings reach the clinic
admins."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Notification, StaffRole, User
from accounts.notifications import notification_create
from bookings.models import Booking, CollectionType
from bookings.querysets import customer_bookings
from diagnopet.errors import Conflict, NotFound, ValidationFailed
from reviews.models import Review

UNSET = object()


def _customer_booking(*, user, booking_id: int) -> Booking:
    booking = customer_bookings(user).filter(pk=booking_id).first()
    if booking is None:
        raise NotFound("Booking not found.")
    return booking


def _visit_collector_id(booking: Booking) -> int | None:
    """Who collected the samples at the customer's home; None for a lab visit."""
    return booking.collection_staff_id if booking.collection_type == CollectionType.HOME else None


def _collector_rating_checked(collector_id: int | None, collector_rating: int | None) -> int | None:
    """The collector can be rated on a home visit that had one; anything else is refused rather than dropped."""
    if collector_rating is None:
        return None
    if collector_id is None:
        raise ValidationFailed(
            "Only a home visit with a sample collector has a collector to rate.",
            code="collector_rating_not_applicable",
            field="collector_rating",
        )
    return collector_rating


def _low_rating_notify(review: Review) -> None:
    """Tell every active clinic admin about a low rating, once per review (the event key: a later edit that is
    still low sends nothing more)."""
    if not review.is_low:
        return
    booking = review.booking
    ratings = f"visit {review.visit_rating}/5"
    if review.collector_rating is not None:
        ratings += f", collector {review.collector_rating}/5"
    admins = User.objects.filter(is_active=True, is_staff=True, staff_profile__role=StaffRole.ADMIN).order_by("pk")
    for admin in admins:
        notification_create(
            user=admin,
            kind=Notification.Kind.GENERAL,
            title=f"Low rating for booking {booking.code}",
            body=f"A customer rated booking {booking.code} {ratings}.",
            data={"booking": booking.pk, "review": review.pk},
            event_key=f"review-low:{review.pk}",
        )


@transaction.atomic(durable=True)
def review_create(
    *,
    user,
    booking_id: int,
    visit_rating: int,
    collector_rating: int | None = None,
    comment: str = "",
    testimonial_consent: bool = False,
) -> Review:
    """Rate a completed booking of ``user``'s: once (409 ``review_exists``), only when completed (409
    ``booking_not_completed``); another's booking is not found."""
    booking = _customer_booking(user=user, booking_id=booking_id)
    if booking.status != Booking.Status.COMPLETED:
        raise Conflict("The visit can be rated once the booking is completed.", code="booking_not_completed")
    collector_id = _visit_collector_id(booking)
    review = Review(
        booking=booking,
        collector_id=collector_id,
        visit_rating=visit_rating,
        collector_rating=_collector_rating_checked(collector_id, collector_rating),
        comment=comment,
        testimonial_consent=testimonial_consent,
    )
    try:
        # Its own savepoint: a concurrent first review (the one-per-booking unique key) must not break the transaction.
        with transaction.atomic():
            review.save()
    except IntegrityError as exc:
        if Review.objects.filter(booking=booking).exists():
            raise Conflict("This booking has already been rated.", code="review_exists") from exc
        raise
    _low_rating_notify(review)
    return review


def review_for_customer(*, user, booking_id: int) -> Review:
    """The review of ``user``'s booking; not found when the booking is another's or has none."""
    review = Review.objects.filter(booking_id=booking_id, booking__user_id=user.pk).select_related("booking").first()
    if review is None:
        raise NotFound("This booking has no review.", code="review_not_found")
    return review


@transaction.atomic(durable=True)
def review_update(
    *,
    user,
    booking_id: int,
    visit_rating=UNSET,
    collector_rating=UNSET,
    comment=UNSET,
    testimonial_consent=UNSET,
) -> Review:
    """Change what was given, within ``REVIEW_EDIT_WINDOW`` of the review (then 409 ``review_locked``). Fields left
    out keep their value."""
    review = review_for_customer(user=user, booking_id=booking_id)
    if timezone.now() > review.editable_until:
        raise Conflict("A review can be changed for 7 days after it was given.", code="review_locked")
    changes = {
        "visit_rating": visit_rating,
        "collector_rating": collector_rating,
        "comment": comment,
        "testimonial_consent": testimonial_consent,
    }
    changes = {name: value for name, value in changes.items() if value is not UNSET}
    if "collector_rating" in changes:
        changes["collector_rating"] = _collector_rating_checked(review.collector_id, changes["collector_rating"])
    for name, value in changes.items():
        setattr(review, name, value)
    if changes:
        review.save(update_fields=[*changes, "updated_at"])
    _low_rating_notify(review)
    return review


@transaction.atomic
def review_comments_remove(*, user) -> int:
    """Take a closing or anonymised customer's words out of their reviews: the comments and the consent to show them
    as testimonials. The ratings stay (they make the collectors' averages and name nobody). Returns how many."""
    return (
        Review.objects.filter(booking__user=user)
        .exclude(comment="", testimonial_consent=False)
        .update(comment="", testimonial_consent=False, updated_at=timezone.now())
    )
