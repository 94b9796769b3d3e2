import csv
import datetime

from django.core.management.base import BaseCommand, CommandError

from billing.selectors import FIGURES, billing_summary
from diagnopet.errors import DomainError


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"'{value}' is not a date like 2026-01-31.") from exc


class Command(BaseCommand):
    help = (
        "Print billing figures per day or month over a date range: bookings, base, discount, distance charge, "
        "final, paid and outstanding (void bills excluded), and the gross payments, refunds and net received in each "
        "period (void bills included), as a table or CSV."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", choices=["day", "month"], default="day")
        parser.add_argument("--from", dest="date_from", required=True, help="First day, YYYY-MM-DD.")
        parser.add_argument("--to", dest="date_to", required=True, help="Last day, YYYY-MM-DD.")
        parser.add_argument("--format", choices=["table", "csv"], default="table")

    def handle(self, *args, period, date_from, date_to, format, **options):
        try:
            summary = billing_summary(period=period, date_from=_date(date_from), date_to=_date(date_to))
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        columns = ["period", "bookings", *FIGURES]
        rows = [[row[c] for c in columns] for row in summary.rows]
        total = ["TOTAL", summary.totals["bookings"], *(summary.totals[f] for f in FIGURES)]
        if format == "csv":
            writer = csv.writer(self.stdout, lineterminator="\n")
            writer.writerow(columns)
            writer.writerows(rows)
            writer.writerow(total)
            return
        table = [columns, *[[str(v) for v in r] for r in rows], [str(v) for v in total]]
        widths = [max(len(r[i]) for r in table) for i in range(len(columns))]
        for n, r in enumerate(table):
            line = "  ".join(v.rjust(w) if i else v.ljust(w) for i, (v, w) in enumerate(zip(r, widths, strict=True)))
            self.stdout.write(self.style.SUCCESS(line) if n in (0, len(table) - 1) else line)
