from django.core.management.base import BaseCommand
from tqdm import tqdm

from bookings.services.operations import bookings_expire_pending, pending_bookings_past_hold


class Command(BaseCommand):
    help = (
        "Cancel pending bookings without a payment whose collection slot has already started, or that were made "
        "more than BOOKING_PENDING_HOLD_MINUTES ago, without being confirmed: their slot place and coupon use are "
        "given back, the draft bill is voided and the customer is told. Safe to re-run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only count what would be cancelled.")

    def handle(self, *args, dry_run, **options):
        if dry_run:
            count = pending_bookings_past_hold().count()
            self.stdout.write(f"{count} pending booking(s) past their slot or hold time would be cancelled.")
            return
        count = bookings_expire_pending(progress=lambda rows: tqdm(rows, desc="expiring", disable=not rows))
        self.stdout.write(self.style.SUCCESS(f"{count} pending booking(s) cancelled."))
