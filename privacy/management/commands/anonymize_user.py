from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.phone import normalize_phone
from diagnopet.errors import DomainError
from privacy.services import account_anonymize


class Command(BaseCommand):
    help = (
        "Scrub a customer's personal data (name, phone, email, addresses, pet details, prescriptions, messages, review "
        "comments) "
        "while keeping bookings, bills, payments and reports. Irreversible; a second run changes nothing."
    )

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--user-id", type=int)
        target.add_argument("--phone")
        parser.add_argument("--yes", action="store_true", help="Do it (without it, only say what would happen).")

    def handle(self, *args, user_id, phone, yes, **options):
        users = get_user_model().objects
        if phone:
            try:
                user = users.filter(phone=normalize_phone(phone)).first()
            except ValidationError as exc:
                raise CommandError(f"'{phone}' is not a valid phone number.") from exc
        else:
            user = users.filter(pk=user_id).first()
        if user is None:
            raise CommandError("No such user.")
        if not yes:
            self.stdout.write(f"Would anonymise user {user.pk} ({user}). Add --yes to do it.")
            return
        try:
            changed = account_anonymize(user=user)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if changed:
            self.stdout.write(self.style.SUCCESS(f"User {user.pk} anonymised; financial history kept."))
        else:
            self.stdout.write(f"User {user.pk} was already anonymised; nothing changed.")
