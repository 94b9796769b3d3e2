from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.services import CSV_COLUMNS, catalog_import_csv


class Command(BaseCommand):
    help = (
        "Create or update lab tests from a catalog CSV (the format of catalog/data/vet_tests.csv), matched by code. "
        "Every row is checked first: with any error nothing is imported. Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help=f"CSV file with the columns: {', '.join(CSV_COLUMNS)}.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and show what would change, without writing."
        )

    def handle(self, *args, file: str, dry_run: bool, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        result = catalog_import_csv(file=path, dry_run=dry_run)
        if result.errors:
            for error in result.errors:
                self.stderr.write(f"  {error}")
            raise CommandError(f"{len(result.errors)} error(s) in {path}; nothing was imported.")

        verb = "Would create" if dry_run else "Created"
        for label, names in (("categories", result.categories_created), ("tags", result.tags_created)):
            if names:
                self.stdout.write(f"{verb} {len(names)} {label}: {', '.join(names)}")
        if dry_run:
            for label, codes in (("create", result.created_codes), ("update", result.updated_codes)):
                if codes:
                    self.stdout.write(f"Would {label}: {', '.join(codes)}")
        summary = f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged"
        if dry_run:
            self.stdout.write(self.style.WARNING(f"Dry run, nothing written: {summary}."))
        else:
            self.stdout.write(self.style.SUCCESS(f"Catalog imported from {path}: {summary}."))
