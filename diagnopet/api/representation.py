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
"""

from decimal import Decimal
from operator import attrgetter

from django.core.exceptions import FieldDoesNotExist
from rest_framework import serializers
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
    if isinstance(field, serializers.DecimalField):
        coerce = getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
        if coerce and not field.localize and not field.normalize_output and field.decimal_places is not None:
            exponent, show = -field.decimal_places, field.to_representation
            return lambda value: (
                format(value, "f")
                if type(value) is Decimal and value.is_finite() and value.as_tuple().exponent == exponent
                else show(value)
            )
    return field.to_representation


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
