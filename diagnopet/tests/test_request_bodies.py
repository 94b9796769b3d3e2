"""Hostile request bodies through the API: nesting deep enough to exhaust Python's recursion (diagnopet.api.parsers)
and bodies over Django's upload limit (diagnopet.errors) answer JSON 4xx, never a 500 or an HTML page, and a body
nobody can read does not hide a throttle's 429 (diagnopet.api.filters.StrictQueryMixin.check_throttles)."""

import json
import time

import pytest

from conftest import client_for

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/token"
PETS = "/api/v1/pets/"
DEEP_ARRAY = "[" * 1100 + "]" * 1100
DEEP_OBJECT = '{"a":' * 1100 + "1" + "}" * 1100


def post(client, url, body: str):
    return client.generic("POST", url, body, content_type="application/json")


@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT], ids=["array", "object"])
def test_a_deeply_nested_body_is_a_json_400_for_anyone(api_client, customer, body):
    for client, url in ((api_client, LOGIN), (client_for(customer), PETS)):
        response = post(client, url, body)

        assert response.status_code == 400, response.content[:200]
        assert response["Content-Type"] == "application/json"
        assert response.json()["code"] == "json_too_deep"


def test_nesting_within_the_limit_and_brackets_inside_strings_are_read(customer):
    name = "[" * 200 + "{" * 200
    response = post(
        client_for(customer), PETS, json.dumps({"name": name[:100], "species": "dog", "extra": [[[[{"a": [1]}]]]]})
    )

    assert response.status_code == 201, response.content[:300]
    assert response.json()["name"] == name[:100]


def test_a_throttled_client_gets_429_even_with_an_unreadable_body(api_client, settings):
    rest = settings.REST_FRAMEWORK
    settings.REST_FRAMEWORK = {**rest, "DEFAULT_THROTTLE_RATES": {**rest["DEFAULT_THROTTLE_RATES"], "auth": "2/min"}}

    statuses = [post(api_client, LOGIN, DEEP_ARRAY).status_code for _ in range(3)]

    assert statuses == [400, 400, 429]


def test_a_body_over_the_upload_limit_is_a_json_413(api_client, customer, settings):
    body = "[" + "1," * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 2) + "1]"
    for client, url in ((api_client, LOGIN), (client_for(customer), PETS)):
        response = post(client, url, body)

        assert response.status_code == 413
        assert response["Content-Type"] == "application/json"
        assert response.json()["code"] == "request_too_large"


def test_an_unterminated_string_of_escaped_quotes_costs_time_in_proportion_to_its_length(api_client):
    # Each escaped quote could start a string match; a pattern that fails and is retried at every one of them took
    # seconds for 40 KB (the square of the length). 600 KB must take a fraction of a second, not hours.
    body = "[" * 40 + '"' + '\\"' * 300_000
    started = time.perf_counter()

    response = post(api_client, LOGIN, body)

    assert time.perf_counter() - started < 5
    assert response.status_code == 400
    assert response.json()["code"] == "json_too_deep"
