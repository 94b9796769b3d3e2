from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.services import ANALYTES_CSV, RANGES_CSV, analytes_import_csv


class Command(BaseCommand):
    help = (
        "Create or update the analytes each test measures and their reference ranges per species and age band, from "
        "two CSV files (by default the starter set in catalog/data/), matched by test and analyte code. Every row is "
        "checked first: with any error in either file nothing is imported. Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--analytes", default=str(ANALYTES_CSV), help="Analytes CSV (test,code,name,unit,…).")
        parser.add_argument("--ranges", default=str(RANGES_CSV), help="Reference ranges CSV (test,analyte,species,…).")
        parser.add_argument("--no-ranges", action="store_true", help="Import the analytes only.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the files and show what would change, without writing."
        )

    def handle(self, *args, analytes: str, ranges: str, no_ranges: bool, dry_run: bool, **options):
        paths = [Path(analytes)] + ([] if no_ranges else [Path(ranges)])
        for path in paths:
            if not path.is_file():
                raise CommandError(f"No such file: {path}")
        result = analytes_import_csv(
            analytes_file=paths[0], ranges_file=None if no_ranges else paths[1], dry_run=dry_run
        )
        if result.errors:
            for error in result.errors:
                self.stderr.write(f"  {error}")
            raise CommandError(f"{len(result.errors)} error(s); nothing was imported.")
        summary = "; ".join(
            f"{label}: " + ", ".join(f"{count} {kind}" for kind, count in totals.items())
            for label, totals in (("analytes", result.analytes), ("ranges", result.ranges))
            if totals
        )
        if dry_run:
            self.stdout.write(self.style.WARNING(f"Dry run, nothing written: {summary}."))
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {summary}."))
