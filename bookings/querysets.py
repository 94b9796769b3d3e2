"""Read vocabulary for bookings and reports (no writes)."""

from django.db.models import Prefetch

from bookings.models import Booking, BookingItem, TestReport


def bookings_for_customer(user):
    """A customer's bookings with everything the API shows, in a fixed number of queries."""
    return (
        Booking.objects.filter(user=user)
        .select_related("pet", "slot", "coupon")
        # Items and their tests: one query for all bookings of the page.
        .prefetch_related(Prefetch("items", queryset=BookingItem.objects.select_related("test").order_by("sequence")))
    )


def reports_for_customer(user):
    """Reports a customer may see: delivered, current versions, of their own bookings."""
    return TestReport.objects.filter(
        booking__user=user, status=TestReport.Status.DELIVERED, is_current=True
    ).select_related("test", "pet", "booking")
