from django.core.management.base import BaseCommand, CommandError

from accounts.selectors import user_get_by_login
from accounts.services import user_unlock
from accounts.two_factor import two_factor_reset


class Command(BaseCommand):
    help = (
        "Recovery for a staff user who lost their authenticator app: remove their devices and lift a login lock. "
        "They log in with their password and set up a new app at once (required roles are sent there first). "
        "Check who is asking before running it: it is the only way past a second factor."
    )

    def add_arguments(self, parser):
        parser.add_argument("login", help="The user's phone number or email address.")

    def handle(self, *args, **options):
        user = user_get_by_login(options["login"])
        if user is None:
            raise CommandError(f"No user with the phone number or email {options['login']!r}.")
        removed = two_factor_reset(user=user)
        user_unlock(user=user)
        self.stdout.write(
            self.style.SUCCESS(f"Removed {removed} authenticator device(s) of {user.phone}; the account is unlocked.")
        )
