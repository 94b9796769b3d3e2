import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from billing.gateway import payments_reconcile
from diagnopet.errors import DomainError


def _since(value: str) -> datetime.datetime:
    moment = parse_datetime(value)
    if moment is None and (day := parse_date(value)) is not None:
        moment = datetime.datetime.combine(day, datetime.time.min)
    if moment is None:
        raise CommandError(f"'{value}' is not a date (2026-01-31) or an ISO date and time.")
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


class Command(BaseCommand):
    help = (
        "Ask each configured payment provider (Razorpay, Stripe) for the payments and refunds made since a moment "
        "and record what the webhooks missed; send refunds still waiting for their provider; apply provider events "
        "still waiting. Idempotent: what is recorded is found, never doubled."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", required=True, help="YYYY-MM-DD (the clinic's midnight) or ISO date-time.")

    def handle(self, *args, since, **options):
        try:
            counts = payments_reconcile(since=_since(since), report=self.stdout.write)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        summary = ", ".join(f"{name.replace('_', ' ')}: {n}" for name, n in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Reconciled. {summary}."))
