"""Trigram indexes for the audit log's admin search (diagnopet/admin_auditlog.py): the object's name and the
changes, matched with ``icontains`` one field at a time (diagnopet.admin_base.LargeTableAdmin). LogEntry is
django-auditlog's model, so the indexes are plain SQL here rather than in its ``Meta``."""

import django.contrib.postgres.operations
from django.db import migrations

from diagnopet.migration_operations import AddIndexOnPostgreSQL, RunSQLOnPostgreSQL


class Migration(migrations.Migration):
    dependencies = [
        ("auditlog", "0017_add_actor_email"),
        ("diagnopet", "0001_initial"),
    ]

    operations = [
        django.contrib.postgres.operations.TrigramExtension(),
        RunSQLOnPostgreSQL(
            'CREATE INDEX "auditlog_logentry_repr_trgm" ON "auditlog_logentry" '
            'USING gin ((UPPER("object_repr")) gin_trgm_ops)',
            'DROP INDEX "auditlog_logentry_repr_trgm"',
        ),
        RunSQLOnPostgreSQL(
            'CREATE INDEX "auditlog_logentry_changes_trgm" ON "auditlog_logentry" '
            'USING gin ((UPPER("changes"::text)) gin_trgm_ops)',
            'DROP INDEX "auditlog_logentry_changes_trgm"',
        ),
    ]
