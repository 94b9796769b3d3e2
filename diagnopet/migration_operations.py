"""Migration operations for what only PostgreSQL has (trigram GIN indexes) or can change in place, so that the same
migrations also run on the SQLite quick start, which simply goes without. The migration state (what
``makemigrations`` compares with the models) is recorded on every database; only the SQL is PostgreSQL's."""

from django.db import migrations


class _OnPostgreSQL:
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class AddIndexOnPostgreSQL(_OnPostgreSQL, migrations.AddIndex):
    """``AddIndex`` whose index is built on PostgreSQL only (a ``GinIndex`` with ``gin_trgm_ops``)."""


class RunSQLOnPostgreSQL(_OnPostgreSQL, migrations.RunSQL):
    """``RunSQL`` run on PostgreSQL only."""


class AlterFieldOnPostgreSQL(_OnPostgreSQL, migrations.AlterField):
    """``AlterField`` whose SQL runs on PostgreSQL only, for a change the SQLite quick start can go without (a longer
    ``max_length``, which SQLite does not enforce; a column's own index dropped for a composite one): SQLite alters a
    column by rebuilding its table with every index of the model's state, the trigram ones included, which it cannot
    create."""
