from decimal import Decimal

import pytest
from django.core.cache import cache

import catalog.signals  # noqa: F401  (connects the cache-invalidation receivers, as CatalogConfig.ready() does)
from catalog.tests.factories import LabTestFactory, TestCategoryFactory, TestTagFactory
from conftest import client_for

pytestmark = pytest.mark.django_db

TESTS = "/api/v1/catalog/tests/"
CATEGORIES = "/api/v1/catalog/categories/"
TAGS = "/api/v1/catalog/tags/"


@pytest.fixture(autouse=True)
def _empty_cache():
    # Rolled-back rows send no signals: without this, one test could read another's cached responses.
    cache.clear()
    yield
    cache.clear()


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


def lab_test(*, tags=(), **fields):
    test = LabTestFactory(**fields)
    test.tags.set(tags)
    return test


def test_test_list_is_public_and_shows_the_catalog_fields(api_client):
    category = TestCategoryFactory(name="Haematology", slug="haematology")
    test = lab_test(
        code="HEM-CBC",
        name="Complete Blood Count",
        category=category,
        price=Decimal("450.00"),
        discounted_price=Decimal("399.50"),
        tags=[TestTagFactory(name="wellness", slug="wellness"), TestTagFactory(name="anaemia", slug="anaemia")],
        fasting_required=True,
        tat_hours=6,
    )

    response = api_client.get(TESTS)

    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert response.json()["results"][0] == {
        "id": test.pk,
        "code": "HEM-CBC",
        "name": "Complete Blood Count",
        "category": {"id": category.pk, "name": "Haematology", "slug": "haematology"},
        "tags": [
            {"id": test.tags.get(slug="anaemia").pk, "name": "anaemia", "slug": "anaemia"},
            {"id": test.tags.get(slug="wellness").pk, "name": "wellness", "slug": "wellness"},
        ],
        "species": ["dog", "cat"],
        "description": "",
        "price": "450.00",
        "discounted_price": "399.50",
        "sample_type": "Whole blood",
        "tube_type": "EDTA (lavender)",
        "sample_quantity_ml": "1.00",
        "collection_instructions": "Invert gently.",
        "fasting_required": True,
        "tat_hours": 6,
        "is_package": False,
        "components": [],
    }


def test_inactive_tests_are_neither_listed_nor_shown(api_client):
    active = LabTestFactory()
    inactive = LabTestFactory(is_active=False)

    assert ids(api_client.get(TESTS)) == [active.pk]
    assert api_client.get(f"{TESTS}{active.pk}/").json()["code"] == active.code
    assert api_client.get(f"{TESTS}{inactive.pk}/").status_code == 404
    assert api_client.get(f"{TESTS}999999/").status_code == 404
    assert api_client.get(f"{TESTS}abc/").status_code == 404


def test_catalog_is_read_only(customer_client):
    test = LabTestFactory()

    assert customer_client.post(TESTS, {"code": "X", "name": "X"}, format="json").status_code == 405
    assert customer_client.patch(f"{TESTS}{test.pk}/", {"price": "1.00"}, format="json").status_code == 405
    assert customer_client.delete(f"{TESTS}{test.pk}/").status_code == 405
    assert customer_client.post(CATEGORIES, {"name": "X"}, format="json").status_code == 405


def test_an_authenticated_customer_sees_the_same_catalog(customer_client):
    test = LabTestFactory()

    assert ids(customer_client.get(TESTS)) == [test.pk]


def test_filter_by_category_id_or_slug(api_client):
    blood = TestCategoryFactory(name="Blood", slug="blood")
    urine = TestCategoryFactory(name="Urine", slug="urine")
    cbc = LabTestFactory(category=blood)
    LabTestFactory(category=urine)

    assert ids(api_client.get(TESTS, {"category": blood.pk})) == [cbc.pk]
    assert ids(api_client.get(TESTS, {"category": "blood"})) == [cbc.pk]
    assert ids(api_client.get(TESTS, {"category": "nothing"})) == []


def test_filter_by_tag_slug(api_client):
    tick = TestTagFactory(name="tick fever", slug="tick-fever")
    tagged = lab_test(tags=[tick, TestTagFactory()])
    lab_test(tags=[TestTagFactory()])

    assert ids(api_client.get(TESTS, {"tag": "tick-fever"})) == [tagged.pk]


def test_filter_by_sample_type_ignores_case(api_client):
    urine = LabTestFactory(sample_type="Urine")
    LabTestFactory(sample_type="Whole blood")

    assert ids(api_client.get(TESTS, {"sample_type": "urine"})) == [urine.pk]


def test_price_range_filters_on_the_price_paid(api_client):
    cheap = LabTestFactory(name="A cheap", price=Decimal("300.00"))
    discounted = LabTestFactory(name="B discounted", price=Decimal("1000.00"), discounted_price=Decimal("450.00"))
    LabTestFactory(name="C dear", price=Decimal("900.00"))

    assert ids(api_client.get(TESTS, {"max_price": "500"})) == [cheap.pk, discounted.pk]
    assert ids(api_client.get(TESTS, {"min_price": "400", "max_price": "450"})) == [discounted.pk]
    assert ids(api_client.get(TESTS, {"min_price": "950"})) == []


def test_filter_by_flags_and_species(api_client):
    fasting = LabTestFactory(fasting_required=True, species=["dog"])
    package = LabTestFactory(is_package=True, species=["cat", "rabbit"])
    plain = LabTestFactory(species=["dog", "cat"])

    assert ids(api_client.get(TESTS, {"fasting_required": "true"})) == [fasting.pk]
    assert ids(api_client.get(TESTS, {"is_package": "true"})) == [package.pk]
    assert set(ids(api_client.get(TESTS, {"is_package": "false"}))) == {fasting.pk, plain.pk}
    assert set(ids(api_client.get(TESTS, {"species": "cat"}))) == {package.pk, plain.pk}
    assert ids(api_client.get(TESTS, {"species": "rabbit"})) == [package.pk]


def test_search_covers_name_code_and_description(api_client):
    by_name = LabTestFactory(name="Thyroid panel", code="END-1")
    by_code = LabTestFactory(name="Other", code="THY-FT4")
    by_description = LabTestFactory(name="Third", code="END-3", description="Checks thyroid hormones.")
    LabTestFactory(name="Liver panel", code="BIO-LFT")

    response = api_client.get(TESTS, {"search": "thy"})

    assert set(ids(response)) == {by_name.pk, by_code.pk, by_description.pk}


def test_ordering_by_price_uses_the_price_paid(api_client):
    a = LabTestFactory(price=Decimal("500.00"))
    b = LabTestFactory(price=Decimal("900.00"), discounted_price=Decimal("100.00"))
    c = LabTestFactory(price=Decimal("300.00"))

    assert ids(api_client.get(TESTS, {"ordering": "price"})) == [b.pk, c.pk, a.pk]
    assert ids(api_client.get(TESTS, {"ordering": "-price"})) == [a.pk, c.pk, b.pk]


def test_ordering_by_name_and_turnaround(api_client):
    slow = LabTestFactory(name="Alpha", tat_hours=72)
    fast = LabTestFactory(name="Beta", tat_hours=6)

    assert ids(api_client.get(TESTS, {"ordering": "tat_hours"})) == [fast.pk, slow.pk]
    assert ids(api_client.get(TESTS, {"ordering": "-name"})) == [fast.pk, slow.pk]


@pytest.mark.parametrize(
    ("param", "value"),
    [("ordering", "secret_field"), ("min_price", "cheap"), ("max_price", "1e999999")],
)
def test_bad_filter_values_answer_400(api_client, param, value):
    LabTestFactory()

    response = api_client.get(TESTS, {param: value})

    assert response.status_code == 400
    assert param in response.json()


def test_page_size_is_capped_at_100(api_client):
    LabTestFactory.create_batch(101, category=TestCategoryFactory())

    response = api_client.get(TESTS, {"page_size": 100000})

    assert response.json()["count"] == 101
    assert len(response.json()["results"]) == 100


@pytest.mark.parametrize("tests", [1, 40])
def test_test_list_query_count_does_not_grow_with_tests(api_client, django_assert_max_num_queries, tests):
    tags = TestTagFactory.create_batch(3)
    for index in range(tests):
        lab_test(category=TestCategoryFactory(name=f"Category {index % 5}"), tags=tags)

    # The count, the page with its categories, the tags of the page, the packages' components.
    with django_assert_max_num_queries(4):
        response = api_client.get(TESTS, {"page_size": 50})

    assert len(response.json()["results"]) == tests
    assert all(len(row["tags"]) == 3 for row in response.json()["results"])


@pytest.mark.parametrize("rows", [1, 40])
def test_category_and_tag_lists_query_count(api_client, django_assert_max_num_queries, rows):
    for index in range(rows):
        TestCategoryFactory(name=f"Cat {index}")
        TestTagFactory(name=f"tag {index}")

    with django_assert_max_num_queries(2):
        categories = api_client.get(CATEGORIES, {"page_size": 50})
    with django_assert_max_num_queries(2):
        tags = api_client.get(TAGS, {"page_size": 50})

    assert len(categories.json()["results"]) == rows
    assert len(tags.json()["results"]) == rows


def test_categories_list_only_active_ones_in_display_order(api_client):
    second = TestCategoryFactory(name="Biochemistry", slug="biochemistry", display_order=2)
    first = TestCategoryFactory(name="Urine", slug="urine", display_order=1)
    TestCategoryFactory(name="Retired", slug="retired", is_active=False)

    response = api_client.get(CATEGORIES)

    assert response.status_code == 200
    assert response.json()["results"] == [
        {"id": first.pk, "name": "Urine", "slug": "urine", "description": "", "display_order": 1},
        {"id": second.pk, "name": "Biochemistry", "slug": "biochemistry", "description": "", "display_order": 2},
    ]


def test_tags_list(api_client):
    tag = TestTagFactory(name="wellness", slug="wellness")

    assert api_client.get(TAGS).json()["results"] == [{"id": tag.pk, "name": "wellness", "slug": "wellness"}]


# --- caching --------------------------------------------------------------------------------------------------------


def test_responses_carry_etag_and_cache_control(api_client):
    LabTestFactory()

    for url in (TESTS, CATEGORIES, TAGS):
        response = api_client.get(url)
        assert response.status_code == 200
        assert response["ETag"].startswith('"')
        assert response["Cache-Control"] == "public, max-age=60"
        assert response["Content-Type"] == "application/json"


def test_a_repeated_request_is_served_without_the_database(api_client, django_assert_num_queries):
    test = LabTestFactory()
    first = api_client.get(f"{TESTS}{test.pk}/")
    listing = api_client.get(TESTS, {"search": test.code})

    with django_assert_num_queries(0):
        again = api_client.get(f"{TESTS}{test.pk}/")
        listing_again = api_client.get(TESTS, {"search": test.code})

    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert listing_again.content == listing.content


def test_a_repeated_request_by_a_customer_costs_no_query_the_token_is_not_read(customer, django_assert_num_queries):
    client = client_for(customer)
    LabTestFactory()
    first = client.get(TESTS)

    with django_assert_num_queries(0):
        again = client.get(TESTS)

    assert again.status_code == 200
    assert again.content == first.content


@pytest.mark.parametrize("cached", [False, True], ids=["miss", "hit"])
def test_the_public_catalog_answers_whatever_token_is_sent(api_client, cached):
    """The answer is the same for everyone: an expired or broken token in the app must not break browsing."""
    LabTestFactory()
    if cached:
        api_client.get(TESTS)
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    response = api_client.get(TESTS)

    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


def test_a_cached_answer_carries_the_same_headers_as_a_fresh_one(api_client):
    LabTestFactory()
    fresh = api_client.get(TESTS)

    cached = api_client.get(TESTS)

    assert cached.content == fresh.content
    for header in ("Content-Type", "ETag", "Cache-Control", "Vary", "Allow", "X-Request-ID", "X-Frame-Options"):
        assert header in cached, header
        if header != "X-Request-ID":
            assert cached[header] == fresh[header], header


def test_other_media_types_still_go_through_content_negotiation(api_client):
    LabTestFactory()
    api_client.get(TESTS)

    assert api_client.get(TESTS, HTTP_ACCEPT="text/html").status_code == 200
    assert api_client.get(TESTS, HTTP_ACCEPT="text/html")["Content-Type"].startswith("text/html")
    assert api_client.get(TESTS, HTTP_ACCEPT="application/xml").status_code == 406
    assert api_client.get(TESTS, {"format": "json"}).json() == api_client.get(TESTS).json()


def test_an_invalid_query_is_refused_even_after_a_valid_one_was_cached(api_client):
    api_client.get(TESTS)

    response = api_client.get(TESTS, {"foo": "1"})

    assert response.status_code == 400
    assert response.json()["code"] == "unknown_parameter"


def test_if_none_match_with_the_current_etag_answers_304(api_client):
    LabTestFactory()
    etag = api_client.get(TESTS)["ETag"]

    response = api_client.get(TESTS, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert response["Cache-Control"] == "public, max-age=60"
    assert api_client.get(TESTS, HTTP_IF_NONE_MATCH='"something-old"').status_code == 200


def test_304_also_on_a_cold_cache(api_client):
    LabTestFactory()
    etag = api_client.get(TESTS)["ETag"]
    cache.clear()

    assert api_client.get(TESTS, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_different_query_strings_are_different_entries(api_client):
    blood = LabTestFactory(sample_type="Whole blood")
    urine = LabTestFactory(sample_type="Urine")

    assert ids(api_client.get(TESTS, {"sample_type": "urine"})) == [urine.pk]
    assert ids(api_client.get(TESTS, {"sample_type": "whole blood"})) == [blood.pk]


def test_changing_a_price_changes_the_response_and_its_etag(api_client):
    test = LabTestFactory(price=Decimal("500.00"))
    before = api_client.get(f"{TESTS}{test.pk}/")
    listed_before = api_client.get(TESTS)

    test.price = Decimal("650.00")
    test.save()

    after = api_client.get(f"{TESTS}{test.pk}/")
    assert after.json()["price"] == "650.00"
    assert after["ETag"] != before["ETag"]
    assert api_client.get(TESTS).json()["results"][0]["price"] == "650.00"
    # A client holding the old copy gets the new one, not a 304.
    assert api_client.get(TESTS, HTTP_IF_NONE_MATCH=listed_before["ETag"]).status_code == 200


def test_deactivating_a_test_removes_it_from_the_cached_catalog(api_client):
    test = LabTestFactory()
    assert api_client.get(f"{TESTS}{test.pk}/").status_code == 200

    test.is_active = False
    test.save()

    assert api_client.get(f"{TESTS}{test.pk}/").status_code == 404
    assert ids(api_client.get(TESTS)) == []


def test_tag_and_category_changes_refresh_the_cached_tests(api_client):
    test = LabTestFactory()
    api_client.get(TESTS)

    tag = TestTagFactory(name="senior", slug="senior")
    test.tags.add(tag)
    assert api_client.get(TESTS).json()["results"][0]["tags"][0]["name"] == "senior"

    tag.name = "senior pets"
    tag.save()
    assert api_client.get(TESTS).json()["results"][0]["tags"][0]["name"] == "senior pets"

    test.tags.remove(tag)
    assert api_client.get(TESTS).json()["results"][0]["tags"] == []

    test.category.name = "Renamed"
    test.category.save()
    assert api_client.get(TESTS).json()["results"][0]["category"]["name"] == "Renamed"


def test_browsable_api_is_never_cached(api_client):
    LabTestFactory()
    api_client.get(TESTS, HTTP_ACCEPT="text/html")

    response = api_client.get(TESTS, HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "ETag" not in response
    # The JSON copy is still cached separately and stays JSON.
    assert api_client.get(TESTS)["Content-Type"] == "application/json"


def test_a_category_switched_off_hides_its_tests_even_from_a_warm_cache(api_client):
    """Switching a category off (the admin saves the row) hides it and every test in it from the lists and the
    detail page at once, although those answers were cached: the save replaces the catalog's cache version."""
    shown = TestCategoryFactory(name="Haematology")
    hidden = TestCategoryFactory(name="Endocrinology")
    kept, withdrawn = lab_test(code="HEM-CBC", category=shown), lab_test(code="END-T4", category=hidden)
    for _ in range(2):  # the second answers come from the cache
        assert sorted(ids(api_client.get(TESTS))) == sorted([kept.id, withdrawn.id])
        assert api_client.get(f"{TESTS}{withdrawn.id}/").status_code == 200
        assert sorted(ids(api_client.get(CATEGORIES))) == sorted([shown.id, hidden.id])
        assert ids(api_client.get(TESTS, {"category": hidden.slug})) == [withdrawn.id]

    hidden.is_active = False
    hidden.save()

    assert ids(api_client.get(TESTS)) == [kept.id]
    assert api_client.get(f"{TESTS}{withdrawn.id}/").status_code == 404
    assert ids(api_client.get(CATEGORIES)) == [shown.id]
    assert ids(api_client.get(TESTS, {"category": hidden.slug})) == []
    assert ids(api_client.get(TESTS, {"search": "END-T4"})) == []
    withdrawn.refresh_from_db()
    assert withdrawn.is_active  # the test's own flag is left alone: switching the category back on shows it again

    hidden.is_active = True
    hidden.save()
    assert sorted(ids(api_client.get(TESTS))) == sorted([kept.id, withdrawn.id])
