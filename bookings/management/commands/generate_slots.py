import datetime

from django.core.management.base import BaseCommand, CommandError

from bookings.services import slot_generate
from diagnopet.errors import DomainError


class Command(BaseCommand):
    help = (
        "Create collection slots for the next N days from the clinic's opening hours, slot length and capacities, "
        "skipping clinic holidays. Existing slots are kept as they are, so it is safe to run daily."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=14, help="How many days ahead (default 14).")
        parser.add_argument("--start", help="First day, YYYY-MM-DD (default: tomorrow).")

    def handle(self, *args, days, start, **options):
        if days < 1 or days > 366:
            raise CommandError("--days must be between 1 and 366.")
        try:
            first = datetime.date.fromisoformat(start) if start else None
        except ValueError as exc:
            raise CommandError(f"--start '{start}' is not a date like 2026-01-31.") from exc
        try:
            created = slot_generate(start=first, days=days)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"{created} new slot(s) over {days} day(s)."))
