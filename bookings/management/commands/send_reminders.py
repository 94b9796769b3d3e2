import datetime

from django.core.management.base import BaseCommand, CommandError

from bookings.services.operations import reminders_send


class Command(BaseCommand):
    help = (
        "Remind customers of tomorrow's collection visits (with fasting and preparation instructions) and notify "
        "lab staff of overdue reports. Each message is sent once per booking and day, so re-running is safe."
    )

    def add_arguments(self, parser):
        parser.add_argument("--today", help="Run as if today were this date, YYYY-MM-DD (default: today).")

    def handle(self, *args, today, **options):
        try:
            day = datetime.date.fromisoformat(today) if today else None
        except ValueError as exc:
            raise CommandError(f"--today '{today}' is not a date like 2026-01-31.") from exc
        result = reminders_send(today=day)
        self.stdout.write(
            self.style.SUCCESS(
                f"{result['visit_reminders']} visit reminder(s); {result['overdue_items']} overdue item(s), "
                f"{result['staff_notified']} staff member(s) notified."
            )
        )
