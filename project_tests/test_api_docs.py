"""The API documentation as its users read it (``/api/docs/``): every operation under the tag of its resource."""

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
