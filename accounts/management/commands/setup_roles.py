from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import StaffRole
from accounts.roles import roles_setup


def _group_permission_ids() -> dict[str, set[int]]:
    """Permission ids of every role group, in one query."""
    rows = Group.permissions.through.objects.filter(group__name__in=StaffRole.values).values_list(
        "group__name", "permission_id"
    )
    current: dict[str, set[int]] = {}
    for name, permission_id in rows:
        current.setdefault(name, set()).add(permission_id)
    return current


class Command(BaseCommand):
    help = "Create or update the staff role groups (admin, collector, lab_tech, analyst) and their permissions."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Show what would change without saving it.")

    def handle(self, *args, dry_run: bool = False, **options):
        with transaction.atomic():
            existing = set(Group.objects.filter(name__in=StaffRole.values).values_list("name", flat=True))
            before = _group_permission_ids()
            groups = roles_setup()
            after = _group_permission_ids()
            if dry_run:
                transaction.set_rollback(True)

        for role, group in groups.items():
            old, new = before.get(role, set()), after.get(role, set())
            if role not in existing:
                change = "created"
            elif old == new:
                change = "unchanged"
            else:
                change = f"updated: +{len(new - old)} −{len(old - new)}"
            self.stdout.write(f"  {group.name}: {len(new)} permissions ({change})")
        verb = "Would set up" if dry_run else "Set up"
        self.stdout.write(self.style.SUCCESS(f"{verb} {len(groups)} staff role groups."))
