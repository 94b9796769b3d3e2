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
BOOKER_PHONE = "+919100000003"  # customer index 3 of the seed: makes the bookings of the create benchmarks
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
    env.setdefault("SECRET_KEY", BENCH_SECRET_KEY)
    env["DEBUG"] = "0"
    env["DJANGO_SETTINGS_MODULE"] = "diagnopet.settings"
    # The benchmark measures the application, not the rate limiter: one client sends thousands of requests.
    for name in ("THROTTLE_ANON", "THROTTLE_USER", "THROTTLE_AUTH", "THROTTLE_PUBLIC"):
        env[name] = "100000000/min"
    # Nor the booking limits: the create benchmark's booker books thousands of visits for a few pets.
    env["BOOKING_MAX_OPEN_PER_CUSTOMER_PER_DAY"] = env["BOOKING_MAX_OPEN_PER_PET_PER_DAY"] = "0"
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
