"""Structured logs and the request id: JSON lines with LOG_FORMAT=json, plain otherwise, the id on every line of a
request and in its X-Request-ID response header."""

import io
import json
import logging
import os
import subprocess
import sys
import uuid

import pytest
from django.conf import settings

from diagnopet.logging import NO_REQUEST, PLAIN_FORMAT, JsonFormatter, RequestIdFilter, request_id_var


def _uuid4(value: str) -> bool:
    try:
        return uuid.UUID(value).version == 4
    except ValueError:
        return False


@pytest.fixture
def json_lines():
    """The records of the ``django.request`` and ``diagnopet`` loggers as parsed JSON lines, through the real filter
    and formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    loggers = [logging.getLogger("django.request"), logging.getLogger("diagnopet")]
    for logger in loggers:
        logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    for logger in loggers:
        logger.removeHandler(handler)


@pytest.mark.django_db
def test_a_response_carries_a_new_uuid4_request_id_when_the_client_sends_none(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]

    assert _uuid4(first)
    assert _uuid4(second)
    assert first != second


@pytest.mark.django_db
def test_a_sane_client_request_id_is_kept(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a.2026:abc_1")

    assert response["X-Request-ID"] == "lb-7f3a.2026:abc_1"


@pytest.mark.django_db
@pytest.mark.parametrize("sent", ["has space", "bad\u00e9char", "x" * 129, "a\tb", "{json}"])
def test_an_insane_client_request_id_is_replaced(client, sent):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=sent)

    assert response["X-Request-ID"] != sent
    assert _uuid4(response["X-Request-ID"])


@pytest.mark.django_db
def test_log_lines_written_during_a_request_carry_its_id(client, json_lines):
    # An unknown API path: Django logs "Not Found" after the middleware chain has returned.
    response = client.get("/api/v1/no-such-thing/", HTTP_X_REQUEST_ID="req-42")

    assert response.status_code == 404
    lines = json_lines()
    assert [line["request_id"] for line in lines] == ["req-42"]
    assert lines[0]["level"] == "WARNING"
    assert lines[0]["logger"] == "django.request"
    assert "Not Found" in lines[0]["message"]
    # Once the response is closed, logging outside a request has no id again.
    assert request_id_var.get() == NO_REQUEST


@pytest.mark.django_db
def test_lines_of_a_request_without_a_header_carry_the_generated_id(client, json_lines):
    response = client.get("/api/v1/no-such-thing/")

    assert [line["request_id"] for line in json_lines()] == [response["X-Request-ID"]]


def test_json_formatter_writes_one_object_per_line_with_extra_fields_and_the_exception():
    record = logging.makeLogRecord(
        {"name": "diagnopet.demo", "levelno": logging.ERROR, "levelname": "ERROR", "msg": "paid %s", "args": ("₹10",)}
    )
    record.booking = 17
    try:
        raise ValueError("boom")
    except ValueError:
        record.exc_info = sys.exc_info()
    # Outside any request (an earlier test's streamed response may not have been closed, leaving its id set).
    token = request_id_var.set(NO_REQUEST)
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)

    line = JsonFormatter().format(record)

    assert len(line.splitlines()) == 1  # the traceback is inside the JSON string, escaped
    entry = json.loads(line)
    assert entry["message"] == "paid ₹10"
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "diagnopet.demo"
    assert entry["request_id"] == NO_REQUEST
    assert entry["booking"] == 17
    assert "ValueError: boom" in entry["exc_info"]
    assert entry["time"].endswith("+00:00")


def test_plain_format_shows_the_request_id():
    record = logging.makeLogRecord({"name": "x", "levelname": "INFO", "msg": "hello"})
    token = request_id_var.set("abc")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)

    assert "[abc] hello" in logging.Formatter(PLAIN_FORMAT).format(record)


def _log_from_a_fresh_process(log_format: str) -> str:
    """What a freshly started Django process (the real settings) writes to stdout for one warning."""
    code = "import django, logging; django.setup(); logging.getLogger('diagnopet.check').warning('hello %s', 'world')"
    env = dict(os.environ, LOG_FORMAT=log_format, DJANGO_SETTINGS_MODULE="diagnopet.settings")
    done = subprocess.run(  # noqa: S603 - our own interpreter, fixed code
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_log_format_json_writes_json_lines_to_stdout():
    (line,) = _log_from_a_fresh_process("json").splitlines()
    entry = json.loads(line)

    assert entry["message"] == "hello world"
    assert entry["logger"] == "diagnopet.check"
    assert entry["request_id"] == NO_REQUEST


def test_log_format_plain_writes_text_lines_to_stdout():
    (line,) = _log_from_a_fresh_process("plain").splitlines()

    assert line.endswith("WARNING diagnopet.check [-] hello world")
