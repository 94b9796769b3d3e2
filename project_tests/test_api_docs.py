"""The API documentation as its users read it (``/api/docs/``): every operation under the tag of its resource, with
a one-line summary, and examples that look like what the API sends (money as decimal strings, E.164 phones, real
dates), not what Swagger UI would invent from a pattern (``"-1458."``)."""

import re
from datetime import date, datetime

import pytest
from django.conf import settings
from drf_spectacular.generators import SchemaGenerator

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def test_every_operation_has_exactly_one_declared_resource_tag(schema):
    """A new top-level path gets its first segment as tag: declare it (with a description) in
    SPECTACULAR_SETTINGS["TAGS"], or tag the view."""
    declared = {tag["name"] for tag in settings.SPECTACULAR_SETTINGS["TAGS"]}
    wrong = {label: operation.get("tags") for label, operation in _operations(schema)}
    wrong = {label: tags for label, tags in wrong.items() if not tags or len(tags) != 1 or tags[0] not in declared}
    assert wrong == {}


def test_the_docs_list_the_tags_in_use_in_the_declared_order(schema):
    used = {tag for _, operation in _operations(schema) for tag in operation["tags"]}
    declared = [tag["name"] for tag in settings.SPECTACULAR_SETTINGS["TAGS"]]
    assert [tag["name"] for tag in schema["tags"]] == [name for name in declared if name in used]


def test_no_operation_is_tagged_with_the_version(schema):
    tags = {tag for _, operation in _operations(schema) for tag in operation.get("tags", [])}
    assert tags.isdisjoint({"v1", "api", "v2"})
    assert {"bookings", "slots", "reports", "bills", "payments", "staff", "me", "auth"} <= tags


def test_every_operation_has_a_one_line_summary(schema):
    """``@extend_schema(summary=...)`` on the view or action: what the operation does, as a customer would say it."""
    missing = [label for label, operation in _operations(schema) if not operation.get("summary", "").strip()]
    too_long = [
        label
        for label, operation in _operations(schema)
        if "\n" in operation.get("summary", "") or len(operation.get("summary", "")) > 100
    ]
    assert missing == []
    assert too_long == []


# --- Examples ---------------------------------------------------------------------------------------


def _schemas(node, name=""):
    """(property or parameter name, schema) of every schema in the document, nested ones included."""
    if isinstance(node, list):
        for item in node:
            yield from _schemas(item, name)
        return
    if not isinstance(node, dict):
        return
    if "type" in node or "format" in node:
        yield name, node
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            for prop_name, prop in value.items():
                yield from _schemas(prop, prop_name)
        elif key == "schema" and isinstance(node.get("name"), str):
            yield from _schemas(value, node["name"])
        elif key in ("allOf", "oneOf", "anyOf"):
            yield from _schemas(value, name)
        elif key not in ("example", "examples", "enum", "default"):
            yield from _schemas(value)


def _digits(schema) -> tuple[int, int]:
    """(whole digits, decimal places) of drf-spectacular's decimal pattern ``^-?\\d{0,10}(?:\\.\\d{0,2})?$``."""
    match = re.fullmatch(r"\^-\?\\d\{0,(\d+)\}(?:\(\?:\\\.\\d\{0,(\d+)\}\)\?)?\$", schema.get("pattern", ""))
    assert match, f"a decimal without max_digits: {schema}"
    return int(match[1]), int(match[2] or 0)


def _is_decimal_string(value, schema) -> bool:
    """A decimal string as DRF writes one: every decimal place present ("1250.00"), within the schema's pattern."""
    places = _digits(schema)[1]
    shape = r"-?\d+" + (rf"\.\d{{{places}}}" if places else "")
    return isinstance(value, str) and bool(re.fullmatch(shape, value)) and bool(re.search(schema["pattern"], value))


def _decimals(schema):
    return [(name, s) for name, s in _schemas(schema) if s.get("format") == "decimal"]


def test_every_decimal_has_a_decimal_string_example(schema):
    decimals = _decimals(schema)
    assert len(decimals) > 50
    wrong = [(name, s.get("example")) for name, s in decimals if not _is_decimal_string(s.get("example"), s)]
    assert wrong == []


def test_money_examples_look_like_money(schema):
    # Money columns are 12 digits with 2 places; weights, distances and volumes have far fewer whole digits.
    money = [s["example"] for _, s in _decimals(schema) if _digits(s)[1] == 2 and _digits(s)[0] >= 8]
    assert money
    assert "1250.00" in money
    assert [value for value in money if not re.fullmatch(r"\d{1,7}\.\d{2}", value)] == []


def _resolve(schema, document):
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _wrong_money_in_example(value, schema, document, where) -> list[str]:
    """Where an example given on an operation (``OpenApiExample``) sends a decimal as anything but a decimal string."""
    schema = _resolve(schema, document)
    wrong = []
    for part in schema.get("allOf", []) + schema.get("oneOf", []) + schema.get("anyOf", []):
        wrong += _wrong_money_in_example(value, part, document, where)
    if schema.get("format") == "decimal" and value is not None and not _is_decimal_string(value, schema):
        wrong.append(f"{where}: {value!r}")
    if isinstance(value, dict):
        for key, item in value.items():
            if key in schema.get("properties", {}):
                wrong += _wrong_money_in_example(item, schema["properties"][key], document, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            wrong += _wrong_money_in_example(item, schema["items"], document, f"{where}[{index}]")
    return wrong


def test_operation_examples_send_money_as_decimal_strings(schema):
    wrong = []
    for label, operation in _operations(schema):
        bodies = [("request", operation.get("requestBody", {}))]
        bodies += [(status, response) for status, response in operation["responses"].items()]
        for where, body in bodies:
            for media in body.get("content", {}).values():
                examples = list(media.get("examples", {}).values())
                examples += [{"value": media["example"]}] if "example" in media else []
                for example in examples:
                    wrong += _wrong_money_in_example(
                        example.get("value"), media.get("schema", {}), schema, f"{label} {where}"
                    )
    assert wrong == []


def test_the_check_of_operation_examples_can_fail(schema):
    bill = {"$ref": "#/components/schemas/Bill"}
    assert _wrong_money_in_example({"amount_due": "775.00", "final_amount": "1275.00"}, bill, schema, "Bill") == []
    assert _wrong_money_in_example({"amount_due": -1458.0, "final_amount": "1275"}, bill, schema, "Bill") == [
        "Bill.amount_due: -1458.0",
        "Bill.final_amount: '1275'",
    ]


def test_phones_are_e164_and_dates_real(schema):
    strings = [(name, s) for name, s in _schemas(schema) if s.get("type") == "string"]
    phones = [s.get("example") for name, s in strings if "phone" in name and "enum" not in s]
    assert phones
    assert [phone for phone in phones if not re.fullmatch(r"\+[1-9]\d{7,14}", str(phone))] == []
    for name, s in strings:
        if s.get("format") == "date":
            date.fromisoformat(s["example"])
        if s.get("format") == "date-time":
            assert datetime.fromisoformat(s["example"]).tzinfo is not None, name
