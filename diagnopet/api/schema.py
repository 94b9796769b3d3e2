"""Shared OpenAPI pieces: the error bodies every endpoint can answer with, the resource tag of every operation."""

import re

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse, extend_schema_field, inline_serializer
from rest_framework import serializers

# --- Tags: one per resource, from the path --------------------------------------------------------

API_PREFIX = re.compile(r"^/api/v\d+/")

# A collection nested under another resource is grouped with what it returns, not with its parent: a pet's reports
# are reports, a booking's review is a review. Anything else takes the first segment of its path.
NESTED_RESOURCE_TAGS = {"reports": "reports", "results": "results", "review": "reviews", "reviews": "reviews"}


def resource_tag(path: str) -> str:
    """The tag of an operation on ``path``: ``/api/v1/bookings/{id}/cancel`` → ``bookings``,
    ``/api/v1/pets/{pet_id}/reports/`` → ``reports``."""
    segments = [s for s in API_PREFIX.sub("", path).split("/") if s and not s.startswith("{")]
    for segment in reversed(segments[1:]):
        if segment in NESTED_RESOURCE_TAGS:
            return NESTED_RESOURCE_TAGS[segment]
    return segments[0] if segments else "api"


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema, tagging each operation by the resource its path names (the default tags by
    the first path segment after the common prefix of every URL, which the schema's own URL shortens to ``/api``,
    so most operations were tagged ``v1``). An ``@extend_schema(tags=...)`` on a view still wins."""

    def get_tags(self) -> list[str]:
        return [resource_tag(self.path)]


@extend_schema_field(
    {"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2})?$", "example": "09:00:00", "description": "Local time."}
)
class LocalTimeField(serializers.TimeField):
    """A time of day in the clinic's time zone, ``HH:MM:SS``. (OpenAPI's ``format: time`` would demand an offset.)"""


ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "detail": serializers.CharField(help_text="A message a client can show."),
        "code": serializers.CharField(help_text="Stable machine-readable code."),
    },
)

# A 400 body: field names map to lists of messages; business rules add "detail" and "code".
ValidationErrorSerializer = inline_serializer(
    name="ValidationError",
    fields={
        "detail": serializers.CharField(required=False),
        "code": serializers.CharField(required=False),
        "field_name": serializers.ListField(child=serializers.CharField(), required=False),
    },
)


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    """``responses=`` entries for the given error statuses."""
    text = {
        400: "Invalid input; the body says which field and why.",
        401: "Not authenticated, or the token is invalid or expired.",
        403: "Authenticated but not allowed.",
        404: "Not found (or not yours).",
        409: "The object's state does not allow this.",
        429: "Too many requests; retry later.",
        503: "A service the request needs is unavailable.",
    }
    return {
        status: OpenApiResponse(
            ValidationErrorSerializer if status == 400 else ErrorSerializer, description=text[status]
        )
        for status in statuses
    }


def _error_ref(result: dict) -> dict:
    """The Error component, registered once in the schema."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(
        "Error",
        {
            "type": "object",
            "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
            "required": ["detail", "code"],
        },
    )
    return {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def document_common_errors(result, generator, request, public):
    """Post-processing hook: answers every operation can give, documented once here instead of on each view.

    - a paginated list answers 404 for a page past the end (``?page=999``);
    - every operation answers 400 for a query parameter it does not read, one given twice or one left empty
      (``diagnopet.api.filters.query_string_check``), and a list for a bad ``page_size``;
    - an operation with a request body answers 415 for a body in a media type it does not read.
    """
    for path in result.get("paths", {}).values():
        for operation in path.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            names = {p.get("name") for p in operation.get("parameters", []) if isinstance(p, dict)}
            if "page" in names and "404" not in responses:
                responses["404"] = {"description": "No such page.", **_error_ref(result)}
            if "400" not in responses:
                responses["400"] = {
                    "description": "Invalid query string: a parameter this operation does not read, or one given "
                    "twice or empty" + (", or an invalid page size." if "page_size" in names else "."),
                    **_error_ref(result),
                }
            if "requestBody" in operation and "415" not in responses:
                responses["415"] = {"description": "Unsupported media type of the body.", **_error_ref(result)}
    return result


def doc_excludes() -> list[type]:
    """Classes whose docstrings never describe an operation or a schema: drf-spectacular's own list, and the bases
    our views and serializers share (their docstrings are for developers; a view or serializer without a docstring
    of its own would otherwise show its base's)."""
    from drf_spectacular.plumbing import get_lib_doc_excludes

    from diagnopet.api.caching import PublicCacheMixin
    from diagnopet.api.filters import StrictQueryMixin
    from diagnopet.api.serializers import ModelSerializer

    return [*get_lib_doc_excludes(), PublicCacheMixin, StrictQueryMixin, ModelSerializer]


# --- Examples: values as the API really sends them -------------------------------------------------

# drf-spectacular's pattern of a decimal string: ``^-?\d{0,10}(?:\.\d{0,2})?$`` (whole digits, decimal places).
DECIMAL_PATTERN = re.compile(r"\\d\{0,(?P<whole>\d+)\}(?:\(\?:\\\.\\d\{0,(?P<places>\d+)\}\)\?)?\$$")

# Amounts are decimal strings with 2 places (COERCE_DECIMAL_TO_STRING). One booking's figures, consistent with each
# other: tests 1250.00 - discount 125.00 + home collection 150.00 = 1275.00, of which 500.00 paid, 775.00 due.
MONEY_EXAMPLE = "1250.00"
MONEY_EXAMPLES = {
    "discount": "125.00",
    "discount_amount": "125.00",
    "discount_value": "10.00",
    "max_discount_amount": "200.00",
    "minimum_order_value": "999.00",
    "distance": "150.00",
    "distance_charge": "150.00",
    "total": "1275.00",
    "final": "1275.00",
    "final_amount": "1275.00",
    "amount": "500.00",
    "amount_paid": "500.00",
    "paid": "500.00",
    "payments": "500.00",
    "net": "500.00",
    "amount_due": "775.00",
    "outstanding": "775.00",
    "amount_refunded": "0.00",
    "refunds": "0.00",
}
# Decimals that are not money.
MEASURE_EXAMPLES = {
    "latitude": "12.971599",
    "longitude": "77.594566",
    "weight_kg": "12.40",
    "age_years": "3.5",
    "distance_km": "4.20",
    "sample_quantity_ml": "2.00",
}
PHONE_EXAMPLE = "+919812345678"  # E.164, as the API stores and answers phone numbers
# Text whose shape a client relies on.
TEXT_EXAMPLES = {
    "booking_code": "DP-7K2M9Q",
    "invoice_number": "INV-2026-000123",
    "currency": "INR",
    "pet_name": "Bruno",
}
DATE_EXAMPLES = {"date_of_birth": "2021-03-14"}
FORMAT_EXAMPLES = {
    "date": "2026-12-14",
    "date-time": "2026-12-14T09:30:00+05:30",
    "email": "ananya.sharma@example.com",
}


def decimal_places(schema: dict) -> tuple[int | None, int | None]:
    """(whole digits, decimal places) a decimal string schema allows; None where its pattern does not say."""
    match = DECIMAL_PATTERN.search(schema.get("pattern", ""))
    if not match:
        return None, None
    return int(match["whole"]), int(match["places"] or 0)


def is_money(schema: dict) -> bool:
    """A money column is ``DecimalField(max_digits=12, decimal_places=2)`` (serializers: 12 or 14 digits)."""
    whole, places = decimal_places(schema)
    return schema.get("format") == "decimal" and places == 2 and whole is not None and whole >= 8


def _example(name: str, schema: dict):
    """The example for one property or parameter, or None to leave it to the docs."""
    if schema.get("type") != "string":
        return None
    fmt = schema.get("format")
    if fmt == "decimal":
        if is_money(schema):
            return MONEY_EXAMPLES.get(name, MONEY_EXAMPLE)
        if name in MEASURE_EXAMPLES:
            return MEASURE_EXAMPLES[name]
        whole, places = decimal_places(schema)
        return "2" if not places else "2." + "5".ljust(places, "0")
    if fmt == "date" and name in DATE_EXAMPLES:
        return DATE_EXAMPLES[name]
    if fmt in FORMAT_EXAMPLES:
        return FORMAT_EXAMPLES[fmt]
    if fmt is None and "enum" not in schema:
        if "phone" in name:
            return PHONE_EXAMPLE
        return TEXT_EXAMPLES.get(name)
    return None


def _add_examples(node, name: str = "") -> None:
    if isinstance(node, list):
        for item in node:
            _add_examples(item, name)
        return
    if not isinstance(node, dict):
        return
    if "example" not in node and "$ref" not in node:
        example = _example(name, node)
        if example is not None:
            node["example"] = example
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            for prop_name, prop in value.items():
                _add_examples(prop, prop_name)
        elif key == "schema" and isinstance(node.get("name"), str):  # a parameter
            _add_examples(value, node["name"])
        elif key in ("allOf", "oneOf", "anyOf"):
            _add_examples(value, name)
        elif key not in ("example", "examples", "enum", "default"):
            _add_examples(value)


def drop_unused_tags(result, generator, request, public):
    """Post-processing hook: the docs list only the declared tags some operation has (a declared resource whose
    endpoints are not in this build would show as an empty group)."""
    used = {
        tag
        for path in result.get("paths", {}).values()
        for operation in path.values()
        if isinstance(operation, dict)
        for tag in operation.get("tags", [])
    }
    if "tags" in result:
        result["tags"] = [tag for tag in result["tags"] if tag["name"] in used]
    return result


def add_examples(result, generator, request, public):
    """Post-processing hook: realistic examples where the docs would otherwise invent them. Swagger UI makes up a
    value from a decimal's pattern (``"-1458."``) and shows ``"string"`` for a phone: money becomes a decimal string
    such as ``"1250.00"``, phones E.164 (``+919812345678``), dates real ones. An example given on a field or an
    ``OpenApiExample`` stays as it is."""
    _add_examples(result.get("components", {}).get("schemas", {}))
    _add_examples(result.get("paths", {}))
    return result
