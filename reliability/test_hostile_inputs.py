"""Hostile inputs in every place the API reads one: each query parameter of every GET operation and each field of
every JSON request body of the live OpenAPI schema (``/api/schema/``), as an anonymous caller and as a customer
who owns objects (so detail paths reach past 404). Each answer must be below 500 and JSON.

Values: Unicode digits that ``str.isdigit()`` accepts (``²``, ``①``, ``٣``), a 400-digit number, ``-1``, a NUL,
5,000 characters, deeply nested JSON (as text in a query string; as the value of a body field, and as a whole
body). Schemathesis (``test_fuzz.py``) generates from the schema and rarely reaches these; this suite sends them
every time. Plus one test per finding of the "Trust boundary" issue (items 9-13) with its tiny input.
"""

import io
import re
import struct
import zlib

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from conftest import client_for

pytestmark = pytest.mark.django_db

DEEP = "[" * 1100 + "]" * 1100
HOSTILE_VALUES = ["²", "①", "٣", "9" * 400, "-1", "\x00", "a" * 5000, DEEP]
HOSTILE_FIELD_VALUES = ["²", "9" * 400, "a" * 5000, -1, 10**400, "\x00", {"a": [1]}, [[[]]]]
# Found by this suite and still open (owned elsewhere): recognised narrowly, tolerated by the sweeps, each with a
# strict-xfail test below that fails once it is fixed (then remove it here and unmark the test).
OPEN_FINDINGS: dict[str, re.Pattern] = {}


def _open(problems: list[str]) -> list[str]:
    return [p for p in problems if not any(pattern.search(p) for pattern in OPEN_FINDINGS.values())]


def _schema() -> dict:
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                yield path, method.upper(), operation


# Path ids: the customer's own objects where the path names them, else 1.
def _path(path: str, world: dict) -> str:
    own = {
        "pets": world["pet"].pk,
        "addresses": world["address"].pk,
        "bookings": world["booking"].pk,
        "reports": world["report"].pk,
        "notifications": world["notification"].pk,
        "tests": world["tests"][0].pk,
        "collections": world["visit"].pk,
    }

    def value(match: re.Match) -> str:
        before = path[: match.start()].rstrip("/").rsplit("/", 1)[-1]
        return str(own.get(before, 1))

    return re.sub(r"\{[^}]+\}", value, path)


def _callers(world: dict) -> dict:
    callers = {"anonymous": APIClient(), "customer": client_for(world["customer"])}
    for client in callers.values():
        client.raise_request_exception = False  # a 500 is a finding to list, not the end of the run
    return callers


def _check(response, what: str) -> list[str]:
    problems = []
    if response.status_code >= 500:
        problems.append(f"{what}: {response.status_code}")
    elif response.status_code not in (204, 304) and response.get("Content-Type", "").split(";")[0] != (
        "application/json"
    ):
        problems.append(f"{what}: {response.status_code} {response.get('Content-Type')}")
    return problems


def test_every_query_parameter_refuses_hostile_values_with_json_4xx(world):
    schema, problems, sent = _schema(), [], 0
    for path, method, operation in _operations(schema):
        if method != "GET":
            continue
        names = [p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"]
        url = _path(path, world)
        for name in names:
            for value in HOSTILE_VALUES:
                for who, client in _callers(world).items():
                    response = client.get(url, {name: value})
                    sent += 1
                    problems += _check(response, f"{who} GET {path}?{name}={value[:12]!r}")
    assert sent > 300
    assert problems == [], "\n".join(problems)


def _body_fields(schema: dict, operation: dict) -> list[str]:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return []
    ref = content["schema"].get("$ref", "")
    component = schema["components"]["schemas"].get(ref.rsplit("/", 1)[-1], content["schema"])
    return list(component.get("properties", {}))


def test_every_json_body_refuses_deep_nesting_and_hostile_field_values(world):
    schema, problems, operations = _schema(), [], 0
    for path, method, operation in _operations(schema):
        if method not in ("POST", "PUT", "PATCH") or "application/json" not in operation.get("requestBody", {}).get(
            "content", {}
        ):
            continue
        operations += 1
        url = _path(path, world)
        fields = _body_fields(schema, operation)
        for who, client in _callers(world).items():
            response = client.generic(method, url, DEEP, content_type="application/json")
            problems += _check(response, f"{who} {method} {path} nested body")
            for field in fields:
                for value in HOSTILE_FIELD_VALUES:
                    response = client.generic(method, url, _json({field: value}), content_type="application/json")
                    problems += _check(response, f"{who} {method} {path} {field}={str(value)[:12]!r}")
                nested = "{" + _json(field) + ":" + DEEP + "}"
                response = client.generic(method, url, nested, content_type="application/json")
                problems += _check(response, f"{who} {method} {path} {field}=<nested>")
    assert operations > 10
    problems = _open(problems)
    assert problems == [], "\n".join(problems)


def _json(value) -> str:
    import json

    return json.dumps(value)


# --- The findings, one tiny input each ---------------------------------------------------------------


def test_item_9_a_2kb_nested_body_is_a_json_400_on_an_open_endpoint():
    response = APIClient().generic("POST", "/api/v1/auth/token", DEEP, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "json_too_deep"


@pytest.mark.parametrize("query", [{"page_size": "²"}, {"page_size": "①"}, {"category": "²"}])
def test_item_10_unicode_digits_in_the_query_are_not_a_500(query):
    response = APIClient().get("/api/v1/catalog/tests/", query)

    assert response.status_code in (200, 400)
    assert response["Content-Type"] == "application/json"


def _png_bomb(width: int = 30000, height: int = 30000) -> bytes:
    """A tiny valid PNG that claims 900 megapixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    rows = zlib.compress(b"\x00" * (width + 1) * 16, 9)  # a few rows; the rest is missing
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def test_item_11_a_decompression_bomb_png_is_a_4xx(world):
    file = io.BytesIO(_png_bomb())
    file.name = "scan.png"
    url = reverse("bookings:booking-prescriptions", args=[world["booking"].id])

    response = client_for(world["customer"]).post(url, {"file": file}, format="multipart")

    assert 400 <= response.status_code < 500
    assert response["Content-Type"] == "application/json"


def test_item_12_an_idempotency_key_over_80_characters_is_a_400(world):
    payload = {
        "pet": world["pet"].id,
        "tests": [world["tests"][0].id],
        "collection_type": "home",
        "address": world["address"].id,
        "slot": world["slot"].id,
    }

    response = client_for(world["customer"]).post(
        "/api/v1/bookings/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k" * 81
    )

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


def test_item_13_the_audit_log_search_is_not_a_500(client, admin_user):
    client.force_login(admin_user)
    client.raise_request_exception = False

    response = client.get("/admin/auditlog/logentry/", {"q": "a"})

    assert response.status_code == 200


def test_a_huge_latitude_is_a_400_not_a_500(world):
    client = client_for(world["customer"])
    client.raise_request_exception = False

    response = client.patch(_path("/api/v1/addresses/{id}/", world), {"latitude": "9" * 400}, format="json")

    assert response.status_code == 400
