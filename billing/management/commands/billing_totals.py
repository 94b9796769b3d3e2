from django.core.management.base import BaseCommand, CommandError

from billing.services import category_totals_compact, category_totals_drift, category_totals_rebuild


class Command(BaseCommand):
    help = (
        "Keep the ledger behind the billing report's split by test category: by default fold its rows into one per "
        "day and category (also done every 10 minutes by Celery beat); --check compares it with the bills' items; "
        "--rebuild recomputes it from them. Safe to run while bookings are made."
    )

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--check", action="store_true", help="List differences with the items; exit 1 if any.")
        action.add_argument("--rebuild", action="store_true", help="Recompute the ledger from the items.")

    def handle(self, *args, check, rebuild, **options):
        if check:
            drift = category_totals_drift()
            for row in drift[:50]:
                self.stdout.write(
                    f"{row['day']} category {row['category']}: items/amount {row['expected']} from the bills, "
                    f"{row['ledger']} in the ledger"
                )
            if drift:
                raise CommandError(f"{len(drift)} day/category total(s) differ; run with --rebuild to repair.")
            self.stdout.write(self.style.SUCCESS("The category totals match the bills."))
        elif rebuild:
            rows = category_totals_rebuild()
            self.stdout.write(self.style.SUCCESS(f"Category totals rebuilt: {rows} day/category row(s)."))
        else:
            removed = category_totals_compact()
            self.stdout.write(self.style.SUCCESS(f"Category totals compacted: {removed} row(s) folded away."))
