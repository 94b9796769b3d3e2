"""A faster ``to_representation`` for read-only serializers on hot list pages (the customer's bookings).

DRF builds every field of every row through generic machinery: a generator over the fields, ``get_attribute`` with
its exception handling, ``PKOnlyObject`` for each foreign key, a ``quantize`` for each decimal. Profiling
``GET /api/v1/bookings/`` showed that as the largest cost after the database. ``PlannedRepresentation`` works out
once per serializer instance how to read and show each field (a *plan*), then applies it to each row, taking
shortcuts only where the result is provably DRF's own:

- a model column read with ``attrgetter`` instead of ``get_attribute`` (nested sources and anything else keep DRF's);
- a foreign key shown as its ``<name>_id`` column (what ``PrimaryKeyRelatedField`` shows);
- a ``str`` for a text or choice field, an ``int`` for an integer field, shown as it is;
- a ``Decimal`` that already has the field's number of places shown with ``format(value, "f")`` (what DRF's
  quantize-then-format gives for it);
- everything else (dates, times, nested serializers, method fields) through the field's own ``to_representation``.

The output is the same dict DRF builds; ``bookings/tests/test_representation.py`` compares the two through the API.

``ValuesPlan`` goes one step further for the hottest reads (a customer's bookings and reports): it works out from
the same serializer which columns its output needs, reads them with ``values_list()`` — no model instances, no
``select_related`` machinery, no prefetch objects — and builds the same dicts from the tuples, nested serializers
from the joined columns and a nested list (a booking's items) from one more query for the whole page.
"""

import datetime
import threading
from decimal import Decimal
from operator import attrgetter
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, ValidationError
from django.db import models
from django.http import Http404
from django.utils.timezone import get_current_timezone
from rest_framework import permissions, serializers
from rest_framework.fields import ISO_8601
from rest_framework.response import Response
from rest_framework.settings import api_settings


def _identity(value):
    return value


def _reader(field, model):
    """How to read the field's value from an instance."""
    if isinstance(field, serializers.SerializerMethodField):
        return _identity  # DRF passes the instance itself to the method
    if model is None or len(field.source_attrs) != 1:
        return field.get_attribute
    try:
        model_field = model._meta.get_field(field.source)
    except FieldDoesNotExist:
        return field.get_attribute
    if isinstance(field, serializers.PrimaryKeyRelatedField) and model_field.is_relation and model_field.concrete:
        if field.pk_field is None and field.use_pk_only_optimization():
            return attrgetter(model_field.attname)
        return field.get_attribute
    # A column or forward foreign key, or a reverse foreign key's manager (a nested list serializer calls .all()).
    # Not many-to-many (DRF reads those differently) nor a reverse one-to-one (missing: DRF shows None).
    if (model_field.concrete and not model_field.many_to_many) or model_field.one_to_many:
        return attrgetter(field.source)
    return field.get_attribute


def _shower(field):
    """How to show a value that is not None."""
    if isinstance(field, serializers.SerializerMethodField):
        return getattr(field.parent, field.method_name)
    if isinstance(field, serializers.PrimaryKeyRelatedField) and field.pk_field is None:
        return _identity  # the reader already gives the key
    text = isinstance(field, serializers.CharField) or (
        isinstance(field, serializers.ChoiceField)
        and not isinstance(field, serializers.MultipleChoiceField)
        and all(type(key) is str for key in field.choices)  # else DRF maps "1" back to the key 1
    )
    if text:
        show = field.to_representation
        return lambda value: value if type(value) is str else show(value)
    if type(field) is serializers.IntegerField:
        return lambda value: value if type(value) is int else int(value)
    if _iso_datetime_field(field):
        return _datetime_shower(field)
    if _plain_decimal_field(field):
        exponent, show = -field.decimal_places, field.to_representation
        return lambda value: (
            format(value, "f")
            if type(value) is Decimal and value.is_finite() and value.as_tuple().exponent == exponent
            else show(value)
        )
    return field.to_representation


def _iso_datetime_field(field) -> bool:
    """DRF's own datetime output: ISO 8601 in the current time zone (USE_TZ, no time zone of the field's own)."""
    return (
        type(field).to_representation is serializers.DateTimeField.to_representation
        and settings.USE_TZ
        and not hasattr(field, "timezone")
        and getattr(field, "format", api_settings.DATETIME_FORMAT) == ISO_8601
    )


def _plain_decimal_field(field) -> bool:
    """DRF's own decimal output as text with the field's places (not localized, not normalized)."""
    return (
        type(field).to_representation is serializers.DecimalField.to_representation
        and getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
        and not field.localize
        and not field.normalize_output
        and field.decimal_places is not None
    )


def _datetime_shower(field):
    """DRF's ``DateTimeField.to_representation`` for an aware datetime (``_iso_datetime`` in the current time
    zone); anything else (naive) goes through DRF's."""
    in_zone, show = _iso_datetime(field), field.to_representation

    def shown(value):
        if type(value) is datetime.datetime and value.utcoffset() is not None:
            return in_zone(value, get_current_timezone())
        return show(value)

    return shown


class PlannedRepresentation:
    """Mixin for a read-only ``Serializer``: the same output as DRF, without its per-field overhead.

    A serializer whose output depends on the instance alone — none of its fields or methods reads ``self.context``
    (the request) — may set ``context_free = True``: its plan is then made once per class, from one instance made
    for the purpose, instead of once per request. That also spares DRF's ``get_fields`` (a deep copy of the
    declared fields and the model's field mapping, for the serializer and each nested one) on every request.
    """

    # The comparison test switches it off to get DRF's own output.
    planned = True
    context_free = False

    def to_representation(self, instance):
        if not PlannedRepresentation.planned:
            return super().to_representation(instance)
        plan = self.__dict__.get("_plan")
        if plan is None:
            plan = self._plan = self._class_plan() if self.context_free else self._make_plan()
        data = {}
        for name, read, show in plan:
            try:
                value = read(instance)
            except serializers.SkipField:
                continue
            data[name] = None if value is None else show(value)
        return data

    def _make_plan(self) -> list[tuple]:
        model = getattr(getattr(self, "Meta", None), "model", None)
        return [(field.field_name, _reader(field, model), _shower(field)) for field in self._readable_fields]

    @classmethod
    def _class_plan(cls) -> list[tuple]:
        plan = cls.__dict__.get("_shared_plan")  # this class's own, not a parent's
        if plan is None:
            plan = cls()._make_plan()
            cls._shared_plan = plan
        return plan


# --- Values rows ------------------------------------------------------------------------------------------------


def reads(*paths: str):
    """Declare what a serializer's ``get_<field>`` method reads from its instance, as attribute paths
    (``"discount_amount"``, ``"coupon_id"``, ``"coupon.code"``, ``"pk"``), so that ``ValuesPlan`` can select those
    columns and call the method with an object that has exactly them. DRF ignores it."""

    def decorator(method):
        method.reads = paths
        return method

    return decorator


class ValuesPlan:
    """Show ``serializer_class``'s output for the rows of a queryset read with ``values_list()``.

    Made once (on first use) from the serializer's declared fields, which must not depend on the context (methods
    may read it: ``request`` for absolute links). What it can show, each exactly as DRF does:

    - a model column (``source`` of one name), shown as ``PlannedRepresentation`` shows it; text, integer and
      boolean columns as the database gives them (what DRF's fields give back for those values);
    - a column reached through non-null foreign keys (``source="pet.name"``): one join;
    - a foreign key as its key (``PrimaryKeyRelatedField``);
    - a nested serializer on a forward foreign key (``null`` when the key is): its columns are joined in;
    - a nested list (``many=True``) on a reverse foreign key, at the top level only: one query for all rows, in
      the order of the queryset given in ``many`` (``{"items": BookingItem.objects.order_by("sequence")}``);
    - a ``SerializerMethodField`` whose method declares what it reads (``@reads(...)``): it is called with an
      object that has those attributes.

    Anything else is refused when the plan is made (``ImproperlyConfigured``), never guessed. The plan becomes one
    generated function per serializer that builds a row's dict in a single expression (``source`` shows it), the
    way ``dataclasses`` and ``namedtuple`` generate theirs: on a page of 20 bookings with 60 items that is a fifth
    of the time of a loop over per-field steps. ``bookings/tests/test_representation.py`` compares the output with
    DRF's own through the API.
    """

    # The comparison tests switch it off to get DRF's own output.
    enabled = True

    def __init__(self, serializer_class, *, many: dict | None = None, leading: tuple[str, ...] = ()):
        self.serializer_class = serializer_class
        self._many_querysets = dict(many or {})
        self._leading = leading
        self._lock = threading.Lock()
        self._built = False

    # Planning (once) -------------------------------------------------------------------------------------

    def _build(self) -> None:
        if self._built:
            return
        with self._lock:
            if self._built:
                return
            self._columns: dict[str, int] = {}
            self._children: list[tuple] = []
            self._method_classes: dict[type, None] = {}
            self._constants: list = []
            for lookup in self._leading:
                self._column(lookup)
            serializer = self.serializer_class()
            expression = self._plan(serializer, serializer.Meta.model, "")
            unused = set(self._many_querysets) - {child[0] for child in self._children}
            if unused:
                raise ImproperlyConfigured(f"ValuesPlan({self.serializer_class.__name__}): no nested list {unused}.")
            self.source = f"def build(row, env, tz):\n    return {expression}\n"
            namespace: dict = {}
            code = compile(self.source, f"<ValuesPlan {self.serializer_class.__qualname__}>", "exec")
            exec(code, {"k": self._constants}, namespace)  # noqa: S102 - our own generated source, no input in it
            self._row = namespace["build"]
            self._built = True

    def _column(self, lookup: str) -> int:
        return self._columns.setdefault(lookup, len(self._columns))

    def _constant(self, value) -> str:
        """An expression naming ``value`` in the generated source."""
        self._constants.append(value)
        return f"k[{len(self._constants) - 1}]"

    def _fail(self, serializer, field, why: str):
        name = f"{type(serializer).__name__}.{field.field_name}"
        return ImproperlyConfigured(f"ValuesPlan({self.serializer_class.__name__}): {name} {why}.")

    def _plan(self, serializer, model, prefix: str) -> str:
        """The dict display that builds ``serializer``'s output from a row."""
        entries = [
            f"{field.field_name!r}: {self._step(serializer, field, model, prefix)}"
            for field in serializer.fields.values()
            if not field.write_only
        ]
        return "{" + ", ".join(entries) + "}"

    def _walk(self, serializer, field, model, attrs, *, nullable_hops: bool = False) -> tuple[list[str], object]:
        """The lookup names of the attribute path ``attrs`` from ``model`` (``"pk"`` and ``<fk>_id`` as columns),
        and the model field it ends on. Every hop but the last must be a forward foreign key, and not nullable
        unless ``nullable_hops`` (DRF skips a field behind a missing object, where a join would show null)."""
        names = []
        for position, attr in enumerate(attrs):
            try:
                model_field = model._meta.pk if attr == "pk" else model._meta.get_field(attr)
            except FieldDoesNotExist:
                raise self._fail(serializer, field, f"reads {attr!r}, not a field of {model.__name__}") from None
            as_column = attr == "pk" or attr == getattr(model_field, "attname", None)
            names.append(model_field.attname if as_column else attr)
            if position < len(attrs) - 1:
                if not (model_field.many_to_one or model_field.one_to_one) or not model_field.concrete:
                    raise self._fail(serializer, field, f"goes through {attr!r}, not a forward foreign key")
                if model_field.null and not nullable_hops:
                    raise self._fail(serializer, field, f"goes through the nullable {attr!r}")
                model = model_field.related_model
        return names, model_field

    def _step(self, serializer, field, model, prefix: str) -> str:
        """The expression of one field's value."""
        if isinstance(field, serializers.SerializerMethodField):
            return self._method_step(serializer, field, model, prefix)
        if field.source == "*" or not field.source_attrs:
            raise self._fail(serializer, field, "has source='*'")
        names, model_field = self._walk(serializer, field, model, field.source_attrs)
        forward = (model_field.many_to_one or model_field.one_to_one) and model_field.concrete
        if isinstance(field, serializers.ListSerializer):
            return self._many_step(serializer, field, model_field, prefix)
        if isinstance(field, serializers.BaseSerializer):
            if not forward:
                raise self._fail(serializer, field, "is nested on something other than a forward foreign key")
            nested = self._plan(field, model_field.related_model, prefix + "__".join(names) + "__")
            if not model_field.null:
                return nested
            key = self._column(prefix + "__".join([*names[:-1], model_field.attname]))
            return f"(None if row[{key}] is None else {nested})"
        if model_field.is_relation:
            if not forward:
                raise self._fail(serializer, field, "shows a relation other than a forward foreign key")
            if isinstance(field, serializers.PrimaryKeyRelatedField) and field.pk_field is None:
                return f"row[{self._column(prefix + '__'.join([*names[:-1], model_field.attname]))}]"
            if names[-1] != model_field.attname:
                raise self._fail(serializer, field, "shows a relation other than as its key")
        index = self._column(prefix + "__".join(names))
        if _shown_as_loaded(field, model_field):
            return f"row[{index}]"
        return f"(None if (v := row[{index}]) is None else {self._shown(field, model_field)})"

    def _shown(self, field, model_field) -> str:
        """The expression of a column's loaded value ``v`` (not None) as DRF's ``field`` shows it."""
        shows = type(field).to_representation
        if (
            shows is serializers.DateField.to_representation
            and isinstance(model_field, models.DateField)
            and not isinstance(model_field, models.DateTimeField)
            and getattr(field, "format", api_settings.DATE_FORMAT) == ISO_8601
        ):
            return "v.isoformat()"
        if _iso_datetime_field(field) and isinstance(model_field, models.DateTimeField):
            # An aware datetime (USE_TZ): in the request's time zone, read once per page (tz).
            return f"{self._constant(_iso_datetime(field))}(v, tz)"
        if (
            _plain_decimal_field(field)
            and isinstance(model_field, models.DecimalField)
            and field.decimal_places == model_field.decimal_places
            and field.max_digits is not None
            and model_field.max_digits <= field.max_digits
        ):
            # The column's own scale is the field's, so DRF's quantize changes nothing: its text as is.
            return 'format(v, "f")'
        return f"{self._constant(_shower(field))}(v)"

    def _many_step(self, serializer, field, model_field, prefix: str) -> str:
        name = field.field_name
        if prefix or not model_field.one_to_many:
            raise self._fail(serializer, field, "is a nested list other than a top-level reverse foreign key")
        if name not in self._many_querysets:
            raise self._fail(serializer, field, "is a nested list: give its queryset (and order) in many=")
        foreign_key = model_field.field
        child = ValuesPlan(type(field.child), leading=(foreign_key.attname,))
        key = self._column(foreign_key.target_field.attname)
        self._children.append((name, child, self._many_querysets[name], key, foreign_key.attname))
        return f"env[{name!r}][row[{key}]]"

    def _method_step(self, serializer, field, model, prefix: str) -> str:
        method = getattr(type(serializer), field.method_name)
        paths = getattr(method, "reads", None)
        if paths is None:
            raise self._fail(serializer, field, f"needs @reads(...) on {field.method_name}")
        shape: dict = {}
        for path in paths:
            attrs = path.split(".")
            names, _model_field = self._walk(serializer, field, model, attrs, nullable_hops=True)
            node, hop = shape, model
            for depth, attr in enumerate(attrs[:-1]):
                foreign_key = hop._meta.get_field(attr)
                node = node.setdefault(attr, {})
                if foreign_key.null:
                    # No object behind a null key: the method sees None there, as it would on an instance.
                    node[_MISSING_WHEN] = self._column(prefix + "__".join([*names[:depth], foreign_key.attname]))
                hop = foreign_key.related_model
            node[attrs[-1]] = self._column(prefix + "__".join(names))
        cls = type(serializer)
        self._method_classes[cls] = None
        return f"{self._constant(method)}(env[{self._constant(cls)}], {self._namespace(shape)})"

    def _namespace(self, shape: dict) -> str:
        """An object with the attributes of ``shape`` (name → column index, or a nested shape), or None for a
        nested one whose foreign key column is null."""
        parts = [
            f"{name}=row[{what}]" if type(what) is int else f"{name}={self._namespace(what)}"
            for name, what in shape.items()
            if name is not _MISSING_WHEN
        ]
        built = f"{self._constant(SimpleNamespace)}({', '.join(parts)})"
        if _MISSING_WHEN in shape:
            return f"(None if row[{shape[_MISSING_WHEN]}] is None else {built})"
        return built

    # Showing ---------------------------------------------------------------------------------------------

    @property
    def columns(self) -> tuple[str, ...]:
        """What to pass to ``values_list()``."""
        self._build()
        return tuple(self._columns)

    def rows(self, queryset):
        """``queryset``'s rows as this plan reads them: a values-list queryset (its filters and order kept;
        ``select_related``, ``only`` and prefetches have no use here and are dropped)."""
        self._build()
        return queryset.prefetch_related(None).values_list(*self._columns)

    def pages(self, queryset) -> "_Pages":
        """``rows(queryset)`` for a paginator: counted on ``queryset`` itself, since the columns' joins would
        make the ``COUNT(*)`` join every table they read from."""
        return _Pages(self, queryset)

    def represent(self, rows, context: dict | None = None) -> list[dict]:
        """The serializer's output for each row of ``rows()``: the nested lists in one query each."""
        self._build()
        rows = list(rows)
        env = self._env(context)
        tz = get_current_timezone()
        for name, child, queryset, key, foreign_key in self._children:
            groups = {row[key]: [] for row in rows}
            if groups:
                child_env = child._env(context)
                build = child._row
                found = child.rows(queryset.filter(**{f"{foreign_key}__in": list(groups)}))
                for child_row in found:
                    groups[child_row[0]].append(build(child_row, child_env, tz))
            env[name] = groups
        build = self._row
        return [build(row, env, tz) for row in rows]

    def _env(self, context) -> dict:
        self._build()
        return {cls: cls(context=context or {}) for cls in self._method_classes}


# In a method's shape: the column whose null means the object is missing.
_MISSING_WHEN = object()


class _Pages:
    """What Django's ``Paginator`` needs (``count()``, slicing, ``ordered``) of a plan's rows of a queryset."""

    def __init__(self, plan: ValuesPlan, queryset):
        self.plan, self.queryset = plan, queryset
        self.ordered = queryset.ordered

    def count(self) -> int:
        return self.queryset.count()

    def __getitem__(self, key):
        if isinstance(key, slice):  # a page: the queryset's LIMIT/OFFSET
            return self.plan.rows(self.queryset[key])
        return self.plan.rows(self.queryset)[key]


def _iso_datetime(field):
    """DRF's ``DateTimeField.to_representation`` of an aware datetime in the time zone ``tz``: ISO 8601, ``Z`` for
    UTC; a value out of range goes through DRF's own (its error)."""
    show = field.to_representation

    def shown(value, tz):
        try:
            text = value.astimezone(tz).isoformat()
        except OverflowError:
            return show(value)
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return shown


# Model columns whose loaded values DRF's field shows unchanged: text as str, integers as int, booleans as bool.
_AS_LOADED = (
    (serializers.CharField, (models.CharField, models.TextField)),
    (serializers.IntegerField, (models.IntegerField,)),
    (serializers.BooleanField, (models.BooleanField,)),
)


def _shown_as_loaded(field, model_field) -> bool:
    if (
        type(field).to_representation is serializers.BigIntegerField.to_representation
        and not getattr(field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING)
        and isinstance(model_field, models.IntegerField)
        and not model_field.is_relation
    ):
        return True
    if type(field).to_representation is serializers.ChoiceField.to_representation:
        # A choice's text, when every choice key is text (else DRF maps "1" back to the key 1).
        return isinstance(model_field, models.CharField | models.TextField) and all(
            type(key) is str for key in field.choices
        )
    return any(
        type(field).to_representation is field_class.to_representation
        and isinstance(field, field_class)
        and isinstance(model_field, model_classes)
        and not model_field.is_relation
        for field_class, model_classes in _AS_LOADED
    )


class ValuesReadMixin:
    """For a list/retrieve viewset: show ``values_plan`` (a ``ValuesPlan`` of its ``serializer_class``) from values
    rows of ``get_values_queryset()``, with the view's filters, ordering, pagination and 404 as usual.
    """

    values_plan: ValuesPlan

    def get_values_queryset(self):
        """The rows list and retrieve may show; ``get_queryset()`` unless the view has a leaner one (what it loads
        for model instances, select_related, prefetches, is of no use to values rows)."""
        return self.get_queryset()

    def _values_queryset(self):
        return self.filter_queryset(self.get_values_queryset())

    def list(self, request, *args, **kwargs):
        if not ValuesPlan.enabled:
            return super().list(request, *args, **kwargs)
        queryset = self._values_queryset()
        page = self.paginate_queryset(self.values_plan.pages(queryset))
        rows = self.values_plan.rows(queryset) if page is None else page
        data = self.values_plan.represent(rows, self.get_serializer_context())
        return Response(data) if page is None else self.get_paginated_response(data)

    def retrieve(self, request, *args, **kwargs):
        if not ValuesPlan.enabled:
            return super().retrieve(request, *args, **kwargs)
        for permission in self.get_permissions():
            # get_object() would ask these about the object; a row is not one.
            if type(permission).has_object_permission is not permissions.BasePermission.has_object_permission:
                raise ImproperlyConfigured(f"{type(self).__name__}: object permissions need get_object().")
        lookup = self.lookup_url_kwarg or self.lookup_field
        model = self.values_plan.serializer_class.Meta.model
        queryset = self._values_queryset()
        try:
            queryset = queryset.filter(**{self.lookup_field: kwargs[lookup]})
        except (TypeError, ValueError, ValidationError):
            # As DRF's get_object_or_404: a lookup value the field refuses is a plain 404.
            raise Http404 from None
        rows = list(self.values_plan.rows(queryset))
        if len(rows) > 1:
            raise model.MultipleObjectsReturned(f"{len(rows)} rows for {self.lookup_field}={kwargs[lookup]!r}.")
        if not rows:
            # Django's get_object_or_404 message.
            raise Http404(f"No {model._meta.object_name} matches the given query.")
        return Response(self.values_plan.represent(rows, self.get_serializer_context())[0])
