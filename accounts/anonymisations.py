"""The anonymisation log: one JSON line per anonymised customer, appended outside the database.

A restore puts the database (and MEDIA_ROOT) back as they were when the backup was taken, so customers anonymised
since then would come back with their name, phone, addresses and prescriptions. The database cannot remember what
it is being rolled back over, so ``user_anonymize`` also appends to ``settings.ANONYMISATION_LOG`` (flushed to disk
before its transaction commits: a committed anonymisation is always in the log) and scripts/restore runs
``manage.py anonymisations_reapply`` afterwards. A line holds no personal data: the user's id, the account's creation
time (so that an id handed out again after a restore is not mistaken for the logged account) and the time.
"""

import datetime
import json
import os
from pathlib import Path

from django.conf import settings


def anonymisation_log_append(*, user, at: datetime.datetime) -> None:
    path = Path(settings.ANONYMISATION_LOG)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    line = json.dumps({"user_id": user.pk, "created_at": user.created_at.isoformat(), "anonymised_at": at.isoformat()})
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, (line + "\n").encode())
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def anonymisation_log_read(path: Path, *, since: datetime.datetime | None = None) -> list[dict]:
    """The log's entries (``created_at`` and ``anonymised_at`` as datetimes), those anonymised at or after
    ``since`` only when given; a missing file is an empty log. A torn last line (a crash mid-write) is skipped."""
    if not path.exists():
        return []
    entries = []
    for line in path.read_text().splitlines():
        try:
            entry = json.loads(line)
            entry["created_at"] = datetime.datetime.fromisoformat(entry["created_at"])
            entry["anonymised_at"] = datetime.datetime.fromisoformat(entry["anonymised_at"])
        except (ValueError, KeyError, TypeError):
            continue
        if since is None or entry["anonymised_at"] >= since:
            entries.append(entry)
    return entries
