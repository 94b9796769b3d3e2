"""ORM statements whose SQL is compiled once, for the hot paths: building and compiling a queryset costs more
Python than reading or writing its rows, and that part is the same on every request.

- ``CompiledColumns``: a values-list read (the customer's bookings and reports), its columns compiled once;
- ``CompiledRead``: a model instance read by keys (the quote's pet, address and slot), built like ``first()``;
- ``CompiledInsert``: a ``bulk_create`` in one statement of the same text for any number of rows (a booking's
  items, its bill's tests, the category ledger).

Each falls back to the ORM itself wherever it cannot give exactly the ORM's result (and on other databases than
PostgreSQL). The rest of this docstring is ``CompiledColumns``'s; the others carry their own.

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
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models.constants import LOOKUP_SEP
from django.db.models.query import ModelIterable, get_related_populators


class _PerDatabase:
    """What a subclass's ``_compile(alias)`` builds, once per database alias (None: the ORM does the work there),
    shared by the threads of a process."""

    def __init__(self):
        self._plans: dict = {}
        self._lock = threading.Lock()

    def _plan(self, alias: str):
        if alias not in self._plans:
            with self._lock:
                if alias not in self._plans:
                    self._plans[alias] = self._compile(alias)
        return self._plans[alias]

    def _compile(self, alias: str):
        raise NotImplementedError


class CompiledColumns(_PerDatabase):
    """``queryset.values_list(*columns)`` for querysets of ``model``, with the column part compiled once."""

    def __init__(self, model, columns: tuple[str, ...]):
        super().__init__()
        self.model, self.columns = model, tuple(columns)

    def rows(self, queryset):
        """The rows (tuples of ``columns``) of ``queryset``, in its order: a list, or a values-list queryset when
        the compiled path does not apply."""
        same_model = queryset.model._meta.concrete_model is self.model._meta.concrete_model
        template = self._plan(queryset.db) if same_model and _keys_expressible(queryset) else None
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

    def _compile(self, alias: str) -> tuple[str, str] | None:
        """``SELECT <columns> FROM unnest(ARRAY(`` and ``)) … JOIN <table> … ORDER BY n``, or None when the
        column SQL is not of the plain shape this rewrites (parameters or a ``%`` in it, converters, not exactly one
        base table), and on databases other than PostgreSQL."""
        connection = connections[alias]
        if connection.vendor != "postgresql":
            return None
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


class CompiledRead(_PerDatabase):
    """``build(**values).first()``, for a queryset whose shape is fixed and whose integer filter values change
    (keys), with its SQL compiled once per database: a model instance (its ``select_related`` rows included, as
    the ORM builds them) or None.

    A hot write path reads a few rows by key before it writes (``booking_quote``: the pet with its owner, the
    address, the slot), and building and compiling each queryset is most of what such a read costs in Python. Here
    the queryset is built and compiled once with a stand-in for each value (a sentinel integer, found again in the
    compiled parameters), and each call substitutes the values, sends the same statement (prepared by the driver
    after a few runs) and builds the instance with the ORM's own ``from_db`` and related populators::

        PET = CompiledRead(lambda pet_id, user_id: Pet.objects.filter(pk=pet_id, user_id=user_id), "pet_id", "user_id")
        pet = PET.first(pet_id=7, user_id=3)

    It compiles only what it can prove: the queryset is compiled twice, with sentinels beyond any integer column's
    range and with small ones, and both must give the same SQL with every parameter a sentinel, each value's
    exactly once (so no value was transformed, e.g. into a Decimal, or turned into a dropped condition by an
    out-of-range check, and ``build`` put no constant parameter of its own). Anything else falls back to the ORM,
    with the same result: such a queryset; a value that is not an ``int``; a database other than PostgreSQL; a
    queryset with annotations, extra columns, a union, a row lock, prefetches, known related objects, its own
    database or hints, or rows other than model instances.
    """

    # Beyond any integer column's range (even bigint's: an overflow check drops such a condition), and within a
    # smallint's: a condition that compiles differently for the two is not compiled.
    _SENTINEL_BASES = (-(2**62), 101)

    def __init__(self, build, *params: str):
        super().__init__()
        self.build, self.params = build, tuple(params)
        self._model = None

    def first(self, **values):
        if values.keys() != set(self.params):
            raise TypeError(f"CompiledRead.first() takes exactly {', '.join(self.params)}; got {', '.join(values)}")
        alias = self._alias()
        plan = self._plan(alias) if alias is not None else None
        if plan is None or any(type(values[name]) is not int for name in self.params):
            return self.build(**values).first()
        params = [values[name] for name in plan.names]
        connection = connections[plan.alias]
        with connection.cursor() as cursor:
            cursor.execute(plan.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        if plan.converters:
            row = list(row)
            for position, (converters, expression) in plan.converters:
                value = row[position]
                for converter in converters:
                    value = converter(value, expression, connection)
                row[position] = value
        instance = plan.model.from_db(plan.alias, plan.init_list, row[plan.start : plan.end])
        for populator in plan.populators:
            populator.populate(row, instance)
        return instance

    def _sentinels(self, base: int) -> dict[str, int]:
        return {name: base + n for n, name in enumerate(self.params)}

    def _alias(self) -> str | None:
        """Where the read goes (the router decides per call); None when ``build`` refuses a sentinel."""
        if self._model is None:
            try:
                self._model = self.build(**self._sentinels(self._SENTINEL_BASES[0])).model
            except Exception:  # noqa: BLE001 - the ORM answers every call
                return None
        return router.db_for_read(self._model)

    def _compile(self, alias: str):
        if connections[alias].vendor != "postgresql":
            return None
        try:
            compiled = [self._compile_with(alias, self._sentinels(base)) for base in self._SENTINEL_BASES]
        except Exception:  # noqa: BLE001 - e.g. a lookup that refuses a sentinel: the ORM answers every call
            return None
        if None in compiled or len({sql for sql, _names, _compiler in compiled}) != 1:
            return None
        (sql, names, compiler), (_sql, other_names, _compiler) = compiled
        if names != other_names or sorted(names) != sorted(self.params):
            return None  # not every parameter is one of the values, or one is there twice
        klass_info, select = compiler.klass_info, compiler.select
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        return _ReadPlan(
            alias=alias,
            sql=sql,
            names=names,
            converters=tuple(compiler.get_converters([column for column, _sql, _alias in select]).items()),
            model=klass_info["model"],
            init_list=[column[0].target.attname for column in select[start:end]],
            start=start,
            end=end,
            populators=get_related_populators(klass_info, select, alias),
        )

    def _compile_with(self, alias: str, sentinels: dict[str, int]):
        """The SQL, the value's name at each parameter's place, and the compiler; None for a queryset this does
        not compile."""
        queryset = self.build(**sentinels)
        query = queryset.query
        if (
            queryset._iterable_class is not ModelIterable
            or queryset._db is not None
            or queryset._hints
            or query.annotations
            or query.combinator
            or query.extra
            or query.select_for_update  # the ORM checks it runs in a transaction
            or queryset._known_related_objects
            or queryset._prefetch_related_lookups
        ):
            return None
        queryset = queryset.using(alias)
        if not queryset.ordered:
            queryset = queryset.order_by("pk")  # as first() does
        compiler = queryset[:1].query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        by_value = {sentinel: name for name, sentinel in sentinels.items()}
        if not all(type(param) is int and param in by_value for param in params):
            return None
        return sql, tuple(by_value[param] for param in params), compiler


@dataclass(frozen=True)
class _ReadPlan:
    alias: str
    sql: str
    names: tuple  # the value at each parameter's place
    converters: tuple
    model: type
    init_list: list
    start: int
    end: int
    populators: list


class CompiledInsert(_PerDatabase):
    """``model.objects.bulk_create(objs)`` on PostgreSQL in one statement whose text is the same for any number of
    rows, built once per database: ``INSERT INTO <table> (<columns>) SELECT * FROM UNNEST(<one array per
    column>) RETURNING <pk>`` (Django's own bulk insert shape for several rows, here for one too).

    Each call only prepares the values (each field's ``pre_save`` and ``get_db_prep_save``, as ``bulk_create``
    does: ``auto_now`` stamps, foreign keys of saved objects) and sets the new keys on the objects; no signals are
    sent, as with ``bulk_create``. Building the insert compiler is most of what a small ``bulk_create`` costs in
    Python, and one statement text is prepared by the driver on each connection (once per pattern of parameter
    types). Falls back to ``bulk_create`` for objects that already have a key, fields with a placeholder of their
    own or a type PostgreSQL's arrays do not hold, models with database-computed columns other than the key,
    expressions among the values, and other databases.
    """

    def __init__(self, model):
        super().__init__()
        self.model = model

    def create(self, objs) -> list:
        objs = list(objs)
        if not objs:
            return objs
        alias = router.db_for_write(self.model)
        plan = self._plan(alias)
        if plan is None or any(obj.pk is not None for obj in objs):
            return self.model._default_manager.db_manager(alias).bulk_create(objs)
        sql, fields = plan
        connection = connections[alias]
        for obj in objs:
            obj._prepare_related_fields_for_save(operation_name="bulk_create")
        rows = [[field.pre_save(obj, True) for field in fields] for obj in objs]
        if any(hasattr(value, "resolve_expression") for row in rows for value in row):
            # An expression (F(), a subquery, a database default) is compiled into the statement: the ORM's job.
            return self.model._default_manager.db_manager(alias).bulk_create(objs)
        columns = [
            [field.get_db_prep_save(value, connection=connection) for value in column]
            for field, column in zip(fields, zip(*rows, strict=True), strict=True)
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, columns)
            keys = cursor.fetchall()
        pk = self.model._meta.pk
        for obj, (key,) in zip(objs, keys, strict=True):
            setattr(obj, pk.attname, key)
            obj._state.adding = False
            obj._state.db = alias
        return objs

    def _compile(self, alias: str):
        connection = connections[alias]
        opts = self.model._meta
        if connection.vendor != "postgresql" or opts.db_returning_fields != [opts.pk]:
            return None  # only the key comes back: nothing else to set on the objects
        fields = [field for field in opts.concrete_fields if not field.generated and field is not opts.pk]
        if any(
            hasattr(field, "get_placeholder")
            or (field.target_field if field.is_relation else field).get_internal_type() not in connection.data_types
            for field in fields
        ):
            return None
        quote = connection.ops.quote_name
        table = quote(opts.db_table)
        # Without the types' parameters, as Django does (varchar[], not varchar(50)[]: no truncation).
        arrays = ", ".join(f"(%s)::{field.db_type(connection).split('(')[0]}[]" for field in fields)
        # Names from the model's metadata, quoted by the backend; every value is a parameter.
        sql = (
            f"INSERT INTO {table} ({', '.join(quote(field.column) for field in fields)})"  # noqa: S608
            f" SELECT * FROM UNNEST({arrays}) RETURNING {table}.{quote(opts.pk.column)}"
        )
        return sql, fields
