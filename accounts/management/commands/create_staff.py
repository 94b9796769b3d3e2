import secrets

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import StaffRole, User
from accounts.phone import normalize_phone
from accounts.roles import staff_create
from diagnopet.errors import DomainError


class Command(BaseCommand):
    help = (
        "Create a staff user with a role, or bring an existing one (same phone) up to date. Safe to run twice. "
        "Without --password a new user gets a random password, printed once; an existing user's is kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("--phone", required=True, help="Login phone number (normalised to E.164).")
        parser.add_argument("--name", required=True, help="Full name.")
        parser.add_argument("--role", required=True, choices=StaffRole.values, help="Staff role.")
        parser.add_argument("--email", default=None, help="Email address (also accepted at login).")
        parser.add_argument("--area", default="", help="Assigned area, for collector routing.")
        parser.add_argument(
            "--password",
            default=None,
            help="Password to set. Prefer leaving it out: it shows in shell history and process lists.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Check and show the result without saving it.")

    def handle(self, *args, **options):
        try:
            phone = normalize_phone(options["phone"])
        except ValidationError as exc:
            raise CommandError(f"Invalid --phone {options['phone']!r}: enter a valid phone number.") from exc
        existed = User.objects.filter(phone=phone).exists()
        password = options["password"]
        generated = password is None and not existed
        if generated:
            password = secrets.token_urlsafe(12)

        try:
            with transaction.atomic():
                user = staff_create(
                    phone=phone,
                    full_name=options["name"],
                    role=options["role"],
                    password=password,
                    email=options["email"],
                    assigned_area=options["area"],
                )
                if options["dry_run"]:
                    transaction.set_rollback(True)
        except DomainError as exc:
            raise CommandError(exc.message) from exc

        role = StaffRole(options["role"]).label
        prefix = "[dry run] " if options["dry_run"] else ""
        if existed:
            self.stdout.write(self.style.SUCCESS(f"{prefix}Staff user {user} is up to date as {role}."))
        else:
            self.stdout.write(self.style.SUCCESS(f"{prefix}Created staff user {user} as {role}."))
        if generated and not options["dry_run"]:
            self.stdout.write(f"Password (shown only this once): {password}")
