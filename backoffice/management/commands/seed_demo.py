from django.core.management.base import BaseCommand

from backoffice.demo import demo_logins, seed_demo


class Command(BaseCommand):
    # The work is done by backoffice.demo, which may use every app.
    help = (
        "Fill the database with demo data: the clinic, catalog, a week of slots, staff of every role, customers "
        "with pets, promotions and bookings in every state. Safe to run twice. Demo passwords: never on production."
    )

    def handle(self, *args, **options):
        seed_demo(log=self.stdout.write)
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Logins (demo only):"))
        for who, phone, password in demo_logins():
            self.stdout.write(f"  {phone}  {password:<16}  {who}")
