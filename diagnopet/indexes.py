"""The admin search's trigram indexes, declared once for every database the project runs on."""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.functions import Upper


class TrigramIndex(GinIndex):
    """A GIN index with ``gin_trgm_ops`` on ``UPPER(field)``: what the admin's ``icontains`` search of one field
    uses on PostgreSQL (``diagnopet.admin_base.LargeTableAdmin``).

    On another database (the SQLite quick start) the same name indexes the plain ``UPPER(field)``: SQLite has no GIN
    and no operator classes, and rebuilds a table with every index of the model's state whenever a migration adds or
    alters one of its columns, so an index it cannot create would stop every such migration.
    """

    def __init__(self, *, field: str, name: str):
        self.field = field
        super().__init__(OpClass(Upper(field), name="gin_trgm_ops"), name=name)

    def deconstruct(self):
        return f"{self.__class__.__module__}.{self.__class__.__name__}", (), {"field": self.field, "name": self.name}

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor == "postgresql":
            return super().create_sql(model, schema_editor, using=using, **kwargs)
        return models.Index(Upper(self.field), name=self.name).create_sql(model, schema_editor, **kwargs)
