"""Row locks live in each app's ``locks.py`` (with its lock order written down), never scattered in services."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("accounts", "pets", "catalog", "clinic", "promotions", "billing", "bookings", "backoffice", "diagnopet")
LOCKING = re.compile(r"select_for_update|pg_advisory")


def test_only_locks_modules_take_row_locks():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if path.name != "locks.py" and "tests" not in path.parts and "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if LOCKING.search(line)
    ]

    assert offenders == []
