"""API fuzzing: schemathesis drives every operation of the live OpenAPI schema (``/api/schema/``, served by the
Django app in-process through WSGI) with schema-valid and schema-invalid requests, authenticated as the role the
operation is for, and checks each answer:

- ``not_a_server_error``: never a 5xx;
- ``status_code_conformance``: the status is one the schema documents;
- ``content_type_conformance``: the Content-Type is one the schema documents;
- ``response_schema_conformance``: the body matches the documented shape;
- ``negative_data_rejection``: a request that breaks the schema is refused with a 4xx.

Path ids are replaced by ids of objects the caller owns about half of the time, so the fuzz reaches past 404.
CI runs ``FUZZ_EXAMPLES`` (default 15) examples per operation, derandomized (the same cases on every run);
``stress/run`` sets it to 200 or more and collects per-operation counts through ``FUZZ_STATS_FILE``.
"""

import json
import os
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import AcceptedNegativeData, FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.openapi.checks import JsonSchemaError, UndefinedContentType, UndefinedStatusCode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from diagnopet.wsgi import application
from reliability.conftest import bearer

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
schema.config.generation.update(max_examples=EXAMPLES, deterministic=True, database="none")

OPERATIONS = sorted(f"{result.ok().method.upper()} {result.ok().path}" for result in schema.get_all_operations())


# Every gap the fuzz found, each recognised narrowly by what its failure says so that it hides nothing else, with a
# regression test of the same name in test_api_gaps.py. Gaps still open are listed in OPEN_GAPS: the fuzz tolerates
# only those, and their regression tests are strict xfails. When a fix lands, the strict xfail fails the run: move
# the name out of OPEN_GAPS (its regression test then guards the fix).
def _text(failure) -> str:
    return f"{failure.title} {failure.message}"


GAP_SIGNATURES = {
    # A path id that is not an integer misses the URL pattern: Django's HTML 404 page instead of JSON.
    "html_404": lambda f, label, r: isinstance(f, UndefinedContentType) and r.status_code == 404,
    # page=0 or a page past the end: DRF's 404 "Invalid page.", which no paginated list documents.
    "page_404": lambda f, label, r: isinstance(f, UndefinedStatusCode) and r.status_code == 404 and "{" not in label,
    # "09:00:00" is not an RFC 3339 time (no offset), which is what `format: time` promises.
    "time_format": lambda f, label, r: isinstance(f, JsonSchemaError) and 'is not a "time"' in _text(f),
    # Invalid page/page_size/boolean filters in the query string are ignored instead of refused with 400.
    "lenient_query": lambda f, label, r: (
        isinstance(f, AcceptedNegativeData) and ("in query" in _text(f) or "- query:" in _text(f))
    ),
    # Empty query values (?date=, ?species=, ?is_package=), repeated ones (?page=x&page=2: the last wins) and
    # unknown parameters (?=false) are ignored, not refused.
    "lenient_empty_query": lambda f, label, r: (
        isinstance(f, AcceptedNegativeData) and ("in query" in _text(f) or "- query:" in _text(f))
    ),
    # A JSON number where a string is expected is coerced to a string, and surrounding whitespace is trimmed before
    # max_length is checked (DRF CharField), so such bodies are accepted.
    "lenient_body": lambda f, label, r: (
        isinstance(f, AcceptedNegativeData)
        and "in body" in _text(f)
        and ("was string, became" in _text(f) or "maxLength" in _text(f))
    ),
    # A body the parsers cannot read (malformed multipart) answers 415, which no operation documents.
    "unsupported_media_415": lambda f, label, r: isinstance(f, UndefinedStatusCode) and r.status_code == 415,
    # A query value with a NUL character: 400 with a bare JSON list body, not the documented error object.
    "list_error_body": lambda f, label, r: (
        isinstance(f, JsonSchemaError)
        and r.status_code == 400
        and 'is not of type "object"' in _text(f)
        and "Null characters" in _text(f)
    ),
    # GET bookings/{id}/prescriptions/ is documented as a paginated booking-filtered list answering only 200; it
    # answers a plain list, and 400/404.
    "prescriptions_list": lambda f, label, r: (
        label == "GET /api/v1/bookings/{id}/prescriptions/" and isinstance(f, UndefinedStatusCode | JsonSchemaError)
    ),
    # GET reports/ answers 400 for an invalid filter value; only 200 and 401 are documented.
    "reports_list_400": lambda f, label, r: (
        label == "GET /api/v1/reports/" and isinstance(f, UndefinedStatusCode) and r.status_code == 400
    ),
    # A lab visit's `slot` is null; the schema says a Slot object.
    "slot_not_nullable": lambda f, label, r: 'null is not of type "object"' in _text(f) and "schemas/Slot" in _text(f),
    # An item's rejection_reason is "" until rejected; the enum has no "".
    "rejection_reason_blank": lambda f, label, r: "RejectionReasonEnum" in _text(f),
    # Visit.amount_due / amount_paid are decimal strings; the schema says numbers.
    "visit_money_number": lambda f, label, r: "schemas/Visit/properties/amount_" in _text(f),
    # OTP verify's field errors carry the input field `code` (a list), clashing with the error body's `code` string.
    "otp_code_field": lambda f, label, r: (
        label == "POST /api/v1/auth/otp/verify" and isinstance(f, JsonSchemaError) and "/properties/code" in _text(f)
    ),
    # GET staff/collections/lookup?code= with a NUL character: PostgreSQL refuses NUL in a string literal, a 500.
    "lookup_nul_500": lambda f, label, r: label == "GET /api/v1/staff/collections/lookup" and r.status_code == 500,
    # POST staff/collections/{id}/collected with a non-integer id: a 500 (django's get_object_or_404 lets the
    # ValueError through).
    "collected_500": lambda f, label, r: (
        label == "POST /api/v1/staff/collections/{id}/collected" and r.status_code == 500
    ),
}


OPEN_GAPS: set[str] = set()  # every gap found so far is fixed
KNOWN_GAPS = {name: GAP_SIGNATURES[name] for name in sorted(OPEN_GAPS)}


def _known_gap(failure, label, response) -> str | None:
    return next((name for name, matches in KNOWN_GAPS.items() if matches(failure, label, response)), None)


# Which object of the world a path id may point at, by path prefix.
OWNED = [
    ("/api/v1/addresses/", "address"),
    ("/api/v1/bookings/", "booking"),
    ("/api/v1/notifications/", "notification"),
    ("/api/v1/pets/", "pet"),
    ("/api/v1/reports/", "report"),
    ("/api/v1/staff/collections/", "visit"),
    ("/api/v1/catalog/tests/", "test"),
]


def _owned_object(world: dict, path: str):
    for prefix, key in OWNED:
        if path.startswith(prefix):
            return world["tests"][0] if key == "test" else world[key]
    return None


def _form_body(case) -> bool:
    """A form or multipart body is only strings on the wire: a "wrong type" there ("0" for a boolean) is valid."""
    return case.media_type not in (None, "application/json")


def _path_valid_on_the_wire(case) -> bool:
    """A negative path id such as the string "1" is sent as /1/, a valid id (and may well be the caller's)."""
    path = case.meta.components.get(ParameterLocation.PATH)
    if path is None or path.mode != GenerationMode.NEGATIVE or not isinstance(case.path_parameters, dict):
        return False
    return all(re.fullmatch(r"[0-9]+", str(value)) for value in case.path_parameters.values())


def _auth_header_replaced(case) -> bool:
    """A negative Authorization header is replaced by the caller's real token when the request is sent."""
    headers = case.meta.components.get(ParameterLocation.HEADER)
    return headers is not None and headers.mode == GenerationMode.NEGATIVE


def _caller(world: dict, path: str):
    """The role an operation is for: collectors for collections, analysts for billing, else the customer."""
    if path.startswith("/api/v1/staff/collections"):
        return world["collector"]
    if path.startswith("/api/v1/staff/billing"):
        return world["analyst"]
    return world["customer"]


@pytest.mark.parametrize("label", OPERATIONS)
def test_operation_conforms_to_its_schema(label, wsgi_world):
    method, path = label.split(" ", 1)
    operation = schema[path][method]
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))
    owned = _owned_object(wsgi_world, path)
    headers = {"Authorization": bearer(_caller(wsgi_world, path))}

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases, use_owned_id=st.booleans())
    def fuzz(case, use_owned_id):
        positive = case.meta.generation.mode == GenerationMode.POSITIVE
        if owned is not None and positive and use_owned_id and isinstance(case.path_parameters, dict):
            # Reach past 404: point the id at an object the caller may see.
            case.path_parameters = {
                name: owned.pk if name in ("id", "pet_id") else value for name, value in case.path_parameters.items()
            }
        checks = CHECKS
        if not positive and (_form_body(case) or _path_valid_on_the_wire(case) or _auth_header_replaced(case)):
            # What is sent is not invalid data after all, so that one check cannot judge it; every other check
            # still runs.
            checks = [check for check in CHECKS if check is not negative_data_rejection]
        response = case.call(headers=headers)
        tried.append(case)
        try:
            case.validate_response(response, checks=checks)
        except FailureGroup as group:
            for failure in group.exceptions:
                gap = _known_gap(failure, label, response)
                if gap:
                    known.add(gap)
                else:
                    unexpected.append(f"{failure.title}: {failure.message}\n    {case.as_curl_command()}")

    tried, known, unexpected = [], set(), []
    fuzz()
    stats = {"operation": label, "cases": len(tried), "known_gaps": sorted(known), "failures": len(unexpected)}
    if os.environ.get("FUZZ_STATS_FILE"):  # stress/run's summary (one JSON line per operation, any xdist worker)
        with open(os.environ["FUZZ_STATS_FILE"], "a") as out:
            out.write(json.dumps(stats) + "\n")
    assert not unexpected, "\n".join(dict.fromkeys(unexpected))
