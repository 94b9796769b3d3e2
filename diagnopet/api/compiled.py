"""A values-list read whose SQL for the columns is compiled once: ``CompiledColumns``.

Building and compiling a ``values_list()`` of a few dozen columns over four joins is most of what the ORM costs
on a hot read (``names_to_path``/``setup_joins`` for every column, then the compiler): about 40 % of the CPU of
``GET /api/v1/bookings/{id}/`` (cProfile, 2026-12-03). That part is the same on every request; only the filters,
the order and the page change. So the column list and its joins are compiled once per model and column list, as
``SELECT <columns> FROM <table> <joins>``, and each request compiles only the cheap part, its queryset's primary
keys (``SELECT id FROM … WHERE … ORDER BY … LIMIT …``, no joins but its filters'), spliced in (PostgreSQL)::

    SELECT <columns> FROM unnest(ARRAY(<the keys' query>)) WITH ORDINALITY AS page(key, n)
    JOIN <table> ON <table>.id = page.key <joins> ORDER BY page.n

One statement, as before; ``ARRAY(subquery)`` keeps the subquery's order, which ``WITH ORDINALITY`` numbers.
Read with ``values_list()`` as usual instead: a queryset this cannot express exactly (distinct, grouped or
annotated, a union, another model), columns across a to-many relation or with database converters (none here:
psycopg returns the Python values; the compiled path returns rows as the driver gives them), and any database
other than PostgreSQL.
"""

import threading

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models.constants import LOOKUP_SEP


class CompiledColumns:
    """``queryset.values_list(*columns)`` for querysets of ``model``, with the column part compiled once."""

    def __init__(self, model, columns: tuple[str, ...]):
        self.model, self.columns = model, tuple(columns)
        self._templates: dict[str, tuple[str, str] | None] = {}
        self._lock = threading.Lock()

    def rows(self, queryset):
        """The rows (tuples of ``columns``) of ``queryset``, in its order: a list, or a values-list queryset when
        the compiled path does not apply."""
        same_model = queryset.model._meta.concrete_model is self.model._meta.concrete_model
        template = self._template(queryset.db) if same_model and _keys_expressible(queryset) else None
        if template is None:
            return queryset.values_list(*self.columns)
        try:
            keys_sql, params = queryset.values_list("pk").query.get_compiler(using=queryset.db).as_sql()
        except EmptyResultSet:  # e.g. pk__in=[]: nothing to read
            return []
        head, tail = template
        with connections[queryset.db].cursor() as cursor:
            cursor.execute(f"{head}{keys_sql}{tail}", params)
            return cursor.fetchall()

    def _template(self, alias: str) -> tuple[str, str] | None:
        connection = connections[alias]
        if connection.vendor != "postgresql":
            return None
        if alias not in self._templates:
            with self._lock:
                if alias not in self._templates:
                    self._templates[alias] = self._compile(alias)
        return self._templates[alias]

    def _compile(self, alias: str) -> tuple[str, str] | None:
        """``SELECT <columns> FROM unnest(ARRAY(`` and ``)) … JOIN <table> … ORDER BY n``, or None when the
        column SQL is not of the plain shape this rewrites (parameters or a ``%`` in it, converters, not exactly one
        base table)."""
        connection = connections[alias]
        if not all(_single_valued(self.model, column) for column in self.columns):
            # A column across a to-many relation: values_list() would reuse the filters' join, a template cannot.
            return None
        queryset = self.model._base_manager.using(alias).order_by().values_list(*self.columns)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        if params or "%" in sql or compiler.get_converters([column for column, _sql, _alias in compiler.select]):
            return None
        quote = connection.ops.quote_name
        table = quote(self.model._meta.db_table)
        base = f" FROM {table}"
        if sql.count(base) != 1 or not (sql.endswith(base) or f"{base} " in sql):
            return None
        select, joins = sql.split(base)
        page = quote("dp_page")
        key = f"{page}.{quote('key')}"
        head = f"{select} FROM unnest(ARRAY("
        tail = (
            f")) WITH ORDINALITY AS {page}({quote('key')}, {quote('n')})"
            f" INNER JOIN {table} ON ({table}.{quote(self.model._meta.pk.column)} = {key}){joins}"
            f" ORDER BY {page}.{quote('n')}"
        )
        return head, tail


def _single_valued(model, path: str) -> bool:
    """Whether the column ``path`` (``"pet__name"``) crosses only forward foreign keys and one-to-ones."""
    *hops, _column = path.split(LOOKUP_SEP)
    for name in hops:
        field = model._meta.get_field(name)
        if not field.is_relation or field.many_to_many or field.one_to_many:
            return False
        model = field.related_model
    return True


def _keys_expressible(queryset) -> bool:
    """Whether ``queryset.values_list("pk")`` lists exactly its rows' keys, in its order, one per row."""
    query = queryset.query
    return not (
        query.distinct
        or query.combinator
        or query.annotations
        or query.group_by is not None
        or query.extra
        or query.extra_tables
        or query.select_for_update
    )
