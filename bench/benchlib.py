"""Shared helpers of the benchmark scripts: Django set-up against the benchmark database, and its constants.

The benchmark is not an installed app: the scripts put the repository on ``sys.path`` and call ``django.setup()``
themselves, with ``DATABASE_URL`` pointing at the benchmark database (``dp_bench`` unless told otherwise).
"""

import os
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/dp_bench"
DEFAULT_CACHE_URL = "redis://127.0.0.1:6379/3"
BENCH_SECRET_KEY = "bench-only-secret-key-not-for-production-use-0123456789"  # noqa: S105

# Logins the seed creates and the runner uses (benchmark data only, never production).
PASSWORD = "Bench-Pass-2026!"  # noqa: S105
KNOWN_CUSTOMER_PHONE = "+919000000001"  # customer index 1: exactly 50 bookings, two pets
ANALYST_PHONE = "+918100000001"
ADMIN_PHONE = "+918100000002"
BOOKER_PHONE = "+919100000003"  # customer index 3 of the seed: the quote benchmark's customer
# The create benchmarks' customers: seed indexes 1000 to 1999, each with a pet and a located home address. Bookings
# come from many customers, as they do in a clinic: one customer booking a hundred visits a second would queue on
# their own row lock (booking_create counts the owner's open bookings of the day under it) and pile up thousands of
# open bookings on a few days.
BOOKER_FIRST, BOOKER_COUNT = 1000, 1000
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/4"
KNOWN_CUSTOMER_BOOKINGS = 50


def use_project_venv() -> None:
    """Re-run the calling script with the repository's virtualenv (``.venv``) when started with another Python,
    so that ``bench/seed`` and ``bench/run`` work as plain commands."""
    venv = REPO_DIR / ".venv"
    python = venv / "bin" / "python"
    if python.exists() and Path(sys.prefix).resolve() != venv.resolve():
        os.execv(str(python), [str(python), *sys.argv])  # noqa: S606


def bench_environ(**extra: str) -> dict[str, str]:
    """The environment of every benchmark process: production-like settings, benchmark database and cache."""
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    env.setdefault("CACHE_URL", DEFAULT_CACHE_URL)
    # A broker, as deployed: tasks enqueued after commit (a booking's deliveries) wait for a worker instead of
    # running inside the request. No worker runs during a benchmark; bench/run empties the queue at the end.
    env.setdefault("CELERY_BROKER_URL", DEFAULT_BROKER_URL)
    env.setdefault("SECRET_KEY", BENCH_SECRET_KEY)
    env["DEBUG"] = "0"
    env["DJANGO_SETTINGS_MODULE"] = "diagnopet.settings"
    # The benchmark measures the application, not the rate limiter: one client sends thousands of requests.
    for name in ("THROTTLE_ANON", "THROTTLE_USER", "THROTTLE_AUTH", "THROTTLE_PUBLIC"):
        env[name] = "100000000/min"
    # The booking limits are on (a booking counts its customer's and pet's open bookings of the day, as in
    # production) but high: over repeated runs a customer's random visits meet on a day more often than two.
    env["BOOKING_MAX_OPEN_PER_CUSTOMER_PER_DAY"] = env["BOOKING_MAX_OPEN_PER_PET_PER_DAY"] = "1000"
    env["LOG_LEVEL"] = env.get("LOG_LEVEL", "WARNING")
    env.update(extra)
    return env


def django_setup() -> None:
    """Configure Django in this process for the benchmark database."""
    os.environ.update(bench_environ())
    if str(REPO_DIR) not in sys.path:
        sys.path.insert(0, str(REPO_DIR))
    import django

    django.setup()


def bookers() -> list[dict]:
    """The create benchmarks' customers (``BOOKER_FIRST``…) who have a dog or a cat: for each, an access token
    (``Bearer …``, valid 15 minutes), the pet and the home address. Needs ``django_setup()``."""
    import datetime

    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import Address, User
    from pets.models import Pet

    phones = [f"+919{j + 100_000_000:09d}" for j in range(BOOKER_FIRST, BOOKER_FIRST + BOOKER_COUNT)]
    users = User.objects.filter(phone__in=phones, is_active=True).order_by("id")
    # Dogs and cats: the create benchmark books the catalog's first three tests, which are for them.
    pets = Pet.objects.filter(user__in=users, is_active=True, species__in=("dog", "cat")).order_by("-id")
    pets = dict(pets.values_list("user_id", "id"))
    addresses = dict(Address.objects.filter(user__in=users).order_by("-id").values_list("user_id", "id"))
    found = []
    for user in users:
        if user.pk in pets and user.pk in addresses:
            token = AccessToken.for_user(user)
            token.set_exp(lifetime=datetime.timedelta(minutes=15))
            found.append({"bearer": f"Bearer {token}", "pet": pets[user.pk], "address": addresses[user.pk]})
    if not found:
        raise SystemExit("No bench customers to book with: run bench/seed first.")
    return found
