import datetime
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from accounts.anonymisations import anonymisation_log_read
from diagnopet.errors import DomainError
from privacy.services import account_anonymize

# Log times come from the app servers' clocks, the backup time from PostgreSQL's: entries up to this much older
# than --since are re-applied too (a second anonymisation changes nothing).
CLOCK_MARGIN = datetime.timedelta(hours=1)


class Command(BaseCommand):
    help = (
        "Anonymise again the customers in the anonymisation log (ANONYMISATION_LOG) who are not anonymised in this "
        "database: after restoring a backup taken before they were. Idempotent. scripts/restore runs it with the "
        "backup's time as --since."
    )

    def add_arguments(self, parser):
        parser.add_argument("--log", help="The log file (default: settings.ANONYMISATION_LOG).")
        parser.add_argument(
            "--allow-missing-log",
            action="store_true",
            help="Go on when there is no log (a new server that never anonymised anyone); otherwise that is an error.",
        )
        parser.add_argument("--since", help="Only entries from this time on (ISO 8601, e.g. the backup's time).")
        parser.add_argument(
            "--migrate",
            action="store_true",
            help="When there is an entry to look at, run migrate first: the restored schema may be older than this "
            "code's models, which the anonymisation uses.",
        )

    def handle(self, *args, log, since, migrate, allow_missing_log, **options):
        path = settings.ANONYMISATION_LOG if log is None else log
        since_at = None
        if since:
            since_at = parse_datetime(since)
            if since_at is None or since_at.tzinfo is None:
                raise CommandError(f"--since '{since}' is not an ISO 8601 time with a time zone.")
            since_at -= CLOCK_MARGIN
        if not Path(path).exists():
            if not allow_missing_log:
                raise CommandError(
                    f"No anonymisation log at {path}: customers erased since the backup would come back. Point "
                    "ANONYMISATION_LOG at it, or pass --allow-missing-log on a server that never had one."
                )
            self.stderr.write(f"no anonymisation log at {path}: nothing to re-apply (--allow-missing-log)")
        entries = anonymisation_log_read(Path(path), since=since_at)
        if entries and migrate:
            call_command("migrate", interactive=False, verbosity=0)
        users = get_user_model().objects
        reapplied = already = absent = refused = 0
        for entry in entries:
            # The same id and creation time: the logged account, not one that got its id after a restore.
            user = users.filter(pk=entry["user_id"], created_at=entry["created_at"]).first()
            if user is None:
                absent += 1
                continue
            try:
                changed = account_anonymize(user=user, log=False)
            except DomainError as exc:  # e.g. the account is staff in this database: say so, go on with the rest
                refused += 1
                self.stderr.write(f"user {user.pk} not anonymised: {exc.message}")
                continue
            if changed:
                reapplied += 1
                self.stdout.write(f"user {user.pk} anonymised again (logged {entry['anonymised_at'].isoformat()})")
            else:
                already += 1
        self.stdout.write(
            f"anonymisation log {path}: {len(entries)} entries read, {reapplied} re-applied, "
            f"{already} already anonymised, {absent} not in this database, {refused} refused"
        )
