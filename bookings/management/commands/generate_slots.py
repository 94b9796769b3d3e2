import datetime

from django.core.management.base import BaseCommand, CommandError

from bookings.services import slot_generate, slot_regenerate
from diagnopet.errors import DomainError


class Command(BaseCommand):
    help = (
        "Create collection slots for the next N days from the clinic's opening hours, slot length and capacities, "
        "and date exceptions, with the buffer between windows; a day that already has slots is kept as it is, so it is "
        "safe to run daily. --regenerate applies changed hours: future slots nobody booked are made again, booked "
        "ones are never touched (and listed)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=14, help="How many days ahead (default 14).")
        parser.add_argument("--start", help="First day, YYYY-MM-DD (default: tomorrow).")
        parser.add_argument(
            "--regenerate", action="store_true", help="Remake future slots without bookings from the current hours."
        )

    def handle(self, *args, days, start, regenerate, **options):
        if days < 1 or days > 366:
            raise CommandError("--days must be between 1 and 366.")
        try:
            first = datetime.date.fromisoformat(start) if start else None
        except ValueError as exc:
            raise CommandError(f"--start '{start}' is not a date like 2026-01-31.") from exc
        try:
            if regenerate:
                result = slot_regenerate(start=first, days=days)
            else:
                created = slot_generate(start=first, days=days)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if not regenerate:
            self.stdout.write(self.style.SUCCESS(f"{created} new slot(s) over {days} day(s)."))
            return
        for slot in result.kept:
            closed = " (closed to new bookings)" if slot in result.closed else ""
            self.stdout.write(f"kept {slot}: {slot.booked} home, {slot.lab_booked} lab booked{closed}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.created} slot(s) created, {result.removed} removed, {len(result.kept)} kept (booked)."
            )
        )
