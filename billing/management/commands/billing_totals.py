from django.core.management.base import BaseCommand, CommandError

from billing.services import category_totals_drift, category_totals_rebuild


class Command(BaseCommand):
    help = (
        "Refresh the billing report's split by test category now (Celery beat also does it every 10 minutes): by "
        "default, or with --rebuild, recompute it from the bills' items; --check lists where the stored figures "
        "differ from the items now. The figures are a snapshot: bills changed since the last rebuild (at most 10 "
        "minutes ago while beat runs) are differences too, so --check is for after a rebuild, not for a monitor. "
        "Safe to run while bookings are made."
    )

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group()
        action.add_argument(
            "--check",
            action="store_true",
            help="List differences with the items; exit 1 if any (bills changed since the last rebuild count too).",
        )
        action.add_argument("--rebuild", action="store_true", help="Recompute the totals from the items (default).")

    def handle(self, *args, check, rebuild, **options):
        if check:
            drift = category_totals_drift()
            for row in drift[:50]:
                self.stdout.write(
                    f"{row['day']} category {row['category']}: items/amount {row['expected']} from the bills, "
                    f"{row['stored']} stored"
                )
            if drift:
                raise CommandError(f"{len(drift)} day/category total(s) differ; run with --rebuild to refresh.")
            self.stdout.write(self.style.SUCCESS("The category totals match the bills."))
            return
        rows = category_totals_rebuild()
        self.stdout.write(self.style.SUCCESS(f"Category totals rebuilt: {rows} day/category row(s)."))
