"""The shared response cache (diagnopet/api/caching.py), through the public catalog endpoints that use it."""

import pytest
from django.core.cache import cache
from django.db import transaction

import catalog.signals  # noqa: F401  (connects the cache-invalidation receivers, as CatalogConfig.ready() does)
from catalog.models import LabTest
from catalog.tests.factories import LabTestFactory
from diagnopet.api.caching import cache_version, invalidate_cached_responses

pytestmark = pytest.mark.django_db

TESTS = "/api/v1/catalog/tests/"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_version_is_stable_until_invalidated():
    first = cache_version("things")

    assert cache_version("things") == first
    invalidate_cached_responses("things")
    assert cache_version("things") != first
    assert cache_version("other") != cache_version("things")


def test_a_lost_version_key_never_comes_back_as_an_old_value():
    seen = {cache_version("things")}
    for _ in range(5):
        cache.clear()
        seen.add(cache_version("things"))

    assert len(seen) == 6


def test_invalidation_in_a_transaction_bumps_again_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        invalidate_cached_responses("things")
        inside = cache_version("things")

    assert len(callbacks) == 1
    # A request that read the old rows while the transaction was open cached them under ``inside``.
    assert cache_version("things") != inside


def test_a_row_change_bumps_the_catalog_version():
    test = LabTestFactory()
    before = cache_version("catalog")

    test.name = "Renamed"
    test.save()

    assert cache_version("catalog") != before


def test_errors_are_not_cached(api_client, django_assert_num_queries):
    api_client.get(f"{TESTS}999999/")

    with django_assert_num_queries(1):
        response = api_client.get(f"{TESTS}999999/")

    assert response.status_code == 404
    assert "ETag" not in response


def test_writes_that_send_no_signal_are_picked_up_after_an_explicit_invalidation(api_client):
    test = LabTestFactory(name="Old name")
    api_client.get(TESTS)

    LabTest.objects.filter(pk=test.pk).update(name="New name")  # no post_save
    assert api_client.get(TESTS).json()["results"][0]["name"] == "Old name"

    invalidate_cached_responses("catalog")
    assert api_client.get(TESTS).json()["results"][0]["name"] == "New name"


def test_entries_are_per_host_because_pagination_links_are_absolute(api_client):
    LabTestFactory.create_batch(2)

    local = api_client.get(TESTS, {"page_size": 1}, HTTP_HOST="localhost")
    test_server = api_client.get(TESTS, {"page_size": 1})

    assert local.json()["next"].startswith("http://localhost/")
    assert test_server.json()["next"].startswith("http://testserver/")


def test_entries_are_per_media_type(api_client):
    LabTestFactory()
    compact = api_client.get(TESTS)

    indented = api_client.get(TESTS, HTTP_ACCEPT="application/json; indent=4")

    assert indented.json() == compact.json()
    assert indented.content != compact.content
    assert indented["ETag"] != compact["ETag"]


def test_head_answers_like_get(api_client):
    LabTestFactory()
    etag = api_client.get(TESTS)["ETag"]

    assert api_client.head(TESTS)["ETag"] == etag
    assert api_client.head(TESTS, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_if_none_match_star_and_lists_are_understood(api_client):
    LabTestFactory()
    etag = api_client.get(TESTS)["ETag"]

    assert api_client.get(TESTS, HTTP_IF_NONE_MATCH="*").status_code == 304
    assert api_client.get(TESTS, HTTP_IF_NONE_MATCH=f'"old", {etag}').status_code == 304
    assert api_client.get(TESTS, HTTP_IF_NONE_MATCH=f"W/{etag}").status_code == 304


def test_only_the_public_views_store_answers(api_client, customer, stored):
    LabTestFactory()
    api_client.get(TESTS)
    api_client.get("/api/v1/clinic/")  # 404 before the clinic is set up: not stored
    api_client.force_authenticate(customer)
    api_client.get("/api/v1/bookings/")
    api_client.get("/api/v1/me")

    assert len(stored) == 1


def test_a_browser_with_a_session_cookie_gets_the_shared_entry(api_client, admin_user, stored):
    LabTestFactory()
    anonymous = api_client.get(TESTS)
    api_client.force_login(admin_user)  # a session cookie, as a staff member's browser would send

    with_cookie = api_client.get(TESTS)

    assert len(stored) == 1  # the server's entry is not per cookie: the answer reads none
    assert with_cookie.content == anonymous.content
    assert with_cookie["ETag"] == anonymous["ETag"]
    assert "Accept" in with_cookie["Vary"]
    assert with_cookie["Cache-Control"] == "public, max-age=60"


def test_misses_are_rate_limited_per_client_address_and_hits_never(api_client, monkeypatch):
    from diagnopet.api.caching import PublicRateThrottle

    monkeypatch.setattr(PublicRateThrottle, "THROTTLE_RATES", {**PublicRateThrottle.THROTTLE_RATES, "public": "2/min"})
    LabTestFactory(name="Canine CBC")

    assert api_client.get(TESTS, {"search": "c"}).status_code == 200
    assert api_client.get(TESTS, {"search": "ca"}).status_code == 200
    limited = api_client.get(TESTS, {"search": "can"})

    assert limited.status_code == 429
    assert api_client.get(TESTS, {"search": "c"}).status_code == 200  # stored: served without reaching the view
    assert api_client.get(TESTS, {"search": "cani"}, REMOTE_ADDR="10.0.0.9").status_code == 200  # another client


@pytest.fixture
def stored(monkeypatch) -> set:
    """The response entries stored in the cache during the test (their keys)."""
    keys = set()
    real_set = cache.set

    def recording_set(key, *args, **kwargs):
        if key.startswith("api-cache:entry:"):
            keys.add(key)
        return real_set(key, *args, **kwargs)

    monkeypatch.setattr(cache, "set", recording_set)
    return keys


def test_one_client_adds_a_bounded_number_of_entries_whatever_it_asks(api_client, settings, stored):
    settings.PUBLIC_CACHE_STORE_RATE = "5/min"
    LabTestFactory(name="Canine CBC")
    junk = [{"search": f"junk{n}"} for n in range(20)]
    junk += [{"foo": n} for n in range(10)]  # unknown: refused (400), never stored
    junk += [{"page_size": n % 99 + 1, "ordering": "name"} for n in range(10)]

    for query in junk:
        assert api_client.get(TESTS, query).status_code in (200, 400)

    assert len(stored) == 5
    # Past its budget a client is still answered, and another client has its own budget.
    assert api_client.get(TESTS, {"search": "canine"}).json()["count"] == 1
    api_client.get(TESTS, {"search": "cbc"}, REMOTE_ADDR="10.0.0.9")
    assert len(stored) == 6


def test_a_query_in_another_order_or_encoding_is_the_same_entry(api_client, stored):
    LabTestFactory.create_batch(3)

    first = api_client.get(f"{TESTS}?page_size=2&ordering=name")
    api_client.get(f"{TESTS}?ordering=name&page_size=2")
    api_client.get(f"{TESTS}?ordering=%6eame&page_size=%32")

    assert len(stored) == 1
    assert api_client.get(f"{TESTS}?ordering=name&page_size=2").json() == first.json()


def test_a_query_the_view_refuses_is_not_looked_up_or_stored(api_client, stored):
    LabTestFactory()

    assert api_client.get(TESTS, {"page_size": "²"}).status_code == 400
    assert api_client.get(f"{TESTS}?page_size=1&page_size=2").status_code == 400
    assert api_client.get(TESTS, {"search": "x" * 300}).status_code == 200

    assert len(stored) == 0
