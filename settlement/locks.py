"""Row locks for settlement — the only module here that calls select_for_update.

A hand-over or payout for a collector is recorded under the lock of that collector's user row, taken alone (no
other lock in the same transaction), so two clinic admins recording at once queue and each sees what the other
recorded: cash handed over never exceeds the cash the collector holds.
"""

from accounts.models import User


def lock_collector(*, collector_id: int) -> User:
    return User.objects.select_for_update(of=("self",)).get(pk=collector_id)
