"""The back-office pages of bookings (one module for now; split by page in the next commit)."""

from bookings.admin.bookings import BookingAdmin

__all__ = ["BookingAdmin"]
