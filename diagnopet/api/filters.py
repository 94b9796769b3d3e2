"""Strict query strings: filters that refuse what they cannot read, and the rules every operation applies to its
query string.

Every API view inherits ``StrictQueryMixin``. After authentication, permissions and throttles (so 401/403/429
still come first), it answers 400 for

- a key the operation does not document (``?foo=1``, ``?=false``): ``unknown_parameter``;
- a key given more than once (``?page=x&page=2``), unless the parameter is a list (``?status=a&status=b``):
  ``repeated_parameter``;
- an empty (or blank) value (``?species=``, ``?page=``), except for the free-text ``search`` (an empty box means
  no search): ``empty_parameter``.

What an operation documents is read from the OpenAPI schema itself (drf-spectacular: filtersets, pagination,
search, ordering and each view's ``@extend_schema(parameters=...)``), so the schema and the rule cannot drift
apart. Views that are not lists get the same rules: the schema says they read no query parameters, so any key is
refused.
"""

import threading

from django import forms
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django_filters import rest_framework as filters
from rest_framework.exceptions import ParseError
from rest_framework.settings import api_settings

from diagnopet.errors import ValidationFailed

# DRF's own ?format= (renderer override): the browsable API's format links use it. Not an operation parameter.
FRAMEWORK_PARAMETERS = frozenset({api_settings.URL_FORMAT_OVERRIDE})
# An empty search box is a search for everything, not a mistake.
EMPTY_ALLOWED = frozenset({api_settings.SEARCH_PARAM})


class StrictBooleanField(forms.NullBooleanField):
    """``true``/``false`` (or ``1``/``0``); anything else is an error, not silently "no filter"."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        normalized = str(value).strip().lower()
        if normalized in ("true", "1"):
            return True
        if normalized in ("false", "0"):
            return False
        raise forms.ValidationError("Use true or false.", code="invalid")

    def validate(self, value):
        return None


class StrictBooleanFilter(filters.BooleanFilter):
    """A boolean query filter that answers 400 for a value that is not a boolean."""

    field_class = StrictBooleanField

    def __init__(self, *args, **kwargs):
        # DRF's BooleanFilter reads values through a widget that turns junk into "no filter"; read the raw text.
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(*args, **kwargs)


class FilterBackend(filters.DjangoFilterBackend):
    """django-filter's backend, which leaves the queryset alone when the query string holds nothing but pagination.

    With no filter value there is nothing to filter by, yet the stock backend still builds the filterset and its
    form (a deep copy of every filter's form field): about a tenth of an unfiltered customer list request.
    """

    NOT_FILTERS = frozenset({"page", "page_size", api_settings.URL_FORMAT_OVERRIDE})

    def filter_queryset(self, request, queryset, view):
        if all(name in self.NOT_FILTERS for name in request.query_params):
            return queryset
        return super().filter_queryset(request, queryset, view)


# --- Query string rules ---------------------------------------------------------------------------

_index_lock = threading.Lock()
_index: dict | None = None


def documented_query_parameters() -> dict[tuple[type, str | None, str], dict[str, dict]]:
    """(view class, viewset action or None, HTTP method) → {name: OpenAPI parameter} of the operation's query.

    Built once per process from the same schema ``/api/schema/`` serves (about a second, on the first request).
    """
    global _index
    if _index is None:
        with _index_lock:
            if _index is None:
                _index = _build_index()
    return _index


def _build_index() -> dict:
    from drf_spectacular.generators import SchemaGenerator  # here: it loads every app's views

    generator = SchemaGenerator()
    paths = generator.get_schema(request=None, public=True)["paths"]
    index = {}
    for path, _path_regex, method, callback in generator.endpoints:
        view = generator.create_view(callback, method)
        operation = paths.get(generator.coerce_path(path, method, view), {}).get(method.lower())
        if operation is None:  # left out of the schema (the schema and docs views themselves)
            continue
        parameters = operation.get("parameters", [])
        key = (type(view), getattr(view, "action", None), method.upper())
        index[key] = {p["name"]: p for p in parameters if p.get("in") == "query"}
    return index


def _repeatable(parameter: dict | None) -> bool:
    """A list parameter sent as ``?status=a&status=b`` (form style, exploded: OpenAPI's default)."""
    if parameter is None:
        return False
    return parameter.get("schema", {}).get("type") == "array" and parameter.get("explode", True)


def _comma_separated(parameter: dict | None) -> bool:
    """A list parameter sent as ``?ordering=a,b`` (form style, not exploded)."""
    if parameter is None:
        return False
    return parameter.get("schema", {}).get("type") == "array" and not parameter.get("explode", True)


def query_string_check(request, *, view) -> None:
    """Raise ``ValidationFailed`` (400) for an unknown, repeated or empty query parameter of this operation."""
    method = "GET" if request.method == "HEAD" else request.method
    documented = documented_query_parameters().get((type(view), getattr(view, "action", None), method))
    if documented is None:  # not an operation of the schema (OPTIONS, a view left out of it)
        return
    # The browsable API's filter form sends every field, the untouched ones empty: there, empty means "no filter".
    from_form = getattr(getattr(request, "accepted_renderer", None), "format", None) == "api"
    for name, values in request.query_params.lists():
        parameter = documented.get(name)
        if parameter is None and name not in FRAMEWORK_PARAMETERS:
            known = ", ".join(sorted(documented))
            reads = f"It reads: {known}." if known else "It reads no query parameters."
            raise ValidationFailed(
                f'Unknown query parameter "{name}". {reads}', code="unknown_parameter", field=name or None
            )
        if len(values) > 1 and not _repeatable(parameter):
            raise ValidationFailed(
                f'The query parameter "{name}" is given {len(values)} times; give it once.',
                code="repeated_parameter",
                field=name,
            )
        # Whitespace counts as empty: Django's form fields strip it and then read "no filter".
        if name not in EMPTY_ALLOWED and not from_form and any(not value.strip() for value in values):
            raise ValidationFailed(
                f'The query parameter "{name}" is empty: give a value or leave it out.',
                code="empty_parameter",
                field=name,
            )
        # A comma-separated list (?ordering=name,-price): django-filter drops empty items, so "," means nothing.
        if _comma_separated(parameter) and any(not item.strip() for value in values for item in value.split(",")):
            raise ValidationFailed(
                f'The query parameter "{name}" has an empty item: separate values with single commas.',
                code="empty_parameter",
                field=name,
            )


# What reading a request body can raise: DRF's parse errors (malformed or too deeply nested JSON) and Django's limits.
UNREADABLE_BODY = (ParseError, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)


class StrictQueryMixin:
    """For every API view (first among the bases): the query string rules of ``query_string_check``, and throttles
    that a body nobody can read does not switch off (``check_throttles``)."""

    def check_throttles(self, request):
        """DRF's check, except that a throttle keyed on a body field (the phone of a login) that cannot read the body
        does not stop the others: an exceeded limit still answers 429, and the body's 400/413 comes only when none
        is exceeded."""
        durations = []
        unreadable = None
        for throttle in self.get_throttles():
            try:
                allowed = throttle.allow_request(request, self)
            except UNREADABLE_BODY as exc:
                unreadable = unreadable or exc
                continue
            if not allowed:
                durations.append(throttle.wait())
        if durations:
            self.throttled(request, max((d for d in durations if d is not None), default=None))
        if unreadable is not None:
            raise unreadable

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        query_string_check(request, view=self)
