import factory

from accounts.models import StaffRole
from accounts.tests.factories import StaffProfileFactory
from bookings.models import Booking
from bookings.tests.factories import BookingFactory
from reviews.models import Review


def collector_user():
    return StaffProfileFactory(role=StaffRole.COLLECTOR).user


class CompletedBookingFactory(BookingFactory):
    """A completed home visit with its collector."""

    status = Booking.Status.COMPLETED
    collection_staff = factory.LazyFunction(collector_user)


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Review

    booking = factory.SubFactory(CompletedBookingFactory)
    collector = factory.SelfAttribute("booking.collection_staff")
    visit_rating = 5
    collector_rating = 5
    comment = "Gentle with our dog and on time."
