"""The API's error contract at its edges: JSON error objects, strict query parameters, documented statuses."""

import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.settings import spectacular_settings
from rest_framework import serializers

from accounts.models import StaffRole
from accounts.tests.factories import StaffProfileFactory
from catalog.tests.factories import LabTestFactory
from conftest import client_for
from diagnopet.api.filters import StrictQueryMixin
from diagnopet.api.serializers import StrictTextMixin

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path", ["/api/v1/pets/0.5/", "/api/v1/bookings/abc/", "/api/v1/no-such-thing", "/api/v1/reports/1e3/download"]
)
def test_unknown_api_paths_answer_a_json_404(customer_client, path):
    response = customer_client.get(path)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_non_integer_visit_id_is_404_not_500():
    collector = StaffProfileFactory(role=StaffRole.COLLECTOR).user
    response = client_for(collector).post("/api/v1/staff/collections/null,null/collected", {}, format="json")
    assert response.status_code == 404


def test_admin_404_is_still_a_page(admin_client):
    assert admin_client.get("/admin/no-such-page/").status_code == 404


@pytest.mark.parametrize("value", ["abc", "0", "-1", "1.5", ""])
def test_bad_page_size_is_400(customer_client, value):
    response = customer_client.get(reverse("bookings:booking-list"), {"page_size": value})
    if value == "":
        assert response.status_code == 400
    else:
        assert response.status_code == 400, value
        assert "page_size" in response.json()


@pytest.mark.parametrize(
    ("value", "status"), [("true", 200), ("false", 200), ("1", 200), ("maybe", 400), ("-3.5e306", 400)]
)
def test_boolean_filters_are_strict(api_client, value, status):
    LabTestFactory(is_package=True)
    response = api_client.get(reverse("catalog:test-list"), {"is_package": value})
    assert response.status_code == status


def test_a_nul_in_search_is_an_error_object(customer_client):
    response = customer_client.get(reverse("bookings:booking-list"), {"search": "a\x00b", "status": "x\x00"})
    assert response.status_code == 400
    assert isinstance(response.json(), dict)


def test_a_body_in_an_unread_media_type_is_415(customer_client):
    response = customer_client.post(reverse("bookings:booking-quote"), "pet=1", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


# --- Query strings: unknown, repeated and empty parameters (diagnopet.api.filters) ----------------


def test_an_unknown_query_parameter_is_400_naming_it_and_what_the_endpoint_reads(customer_client):
    response = customer_client.get("/api/v1/pets/", {"colour": "brown"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "unknown_parameter"
    assert body["colour"] == [body["detail"]]
    assert '"colour"' in body["detail"]
    assert "species" in body["detail"]
    assert "page_size" in body["detail"]


def test_a_key_without_a_name_is_an_unknown_parameter(customer_client):
    response = customer_client.get("/api/v1/bookings/?=false")
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_parameter"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v1/clinic/?lang=en", None),
        ("get", "/api/v1/me?expand=1", None),
        ("post", "/api/v1/notifications/read-all?all=1", {}),
        ("post", "/api/v1/bookings/quote?dry_run=1", {}),
    ],
)
def test_endpoints_that_read_no_query_string_refuse_any_key(customer_client, method, path, body):
    response = getattr(customer_client, method)(path, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_parameter"
    assert "reads no query parameters" in response.json()["detail"]


def test_a_repeated_single_valued_key_is_400(customer_client):
    response = customer_client.get("/api/v1/bookings/?date_from=2026-01-01&date_from=2026-02-01")
    assert response.status_code == 400
    assert response.json()["code"] == "repeated_parameter"
    assert response.json()["date_from"]


def test_a_list_filter_may_repeat_its_key(customer_client):
    response = customer_client.get("/api/v1/bookings/?status=pending&status=confirmed")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/bookings/?collection_type=", "collection_type"),
        ("/api/v1/pets/?is_deceased=", "is_deceased"),
        ("/api/v1/catalog/tests/?species=", "species"),
        ("/api/v1/reports/?ordering=", "ordering"),
        ("/api/v1/notifications/?page=", "page"),
        ("/api/v1/bookings/?date_to=%20", "date_to"),
        ("/api/v1/catalog/tests/?ordering=,", "ordering"),
        ("/api/v1/catalog/tests/?ordering=name,,-price", "ordering"),
    ],
)
def test_an_empty_value_is_400(customer_client, path, name):
    response = customer_client.get(path)
    assert response.status_code == 400
    assert response.json()["code"] == "empty_parameter"
    assert f'"{name}"' in response.json()["detail"]


def test_the_browsable_apis_filter_form_may_send_empty_fields(customer_client):
    # Its "Filters" form submits every field; the untouched ones arrive empty and mean "no filter" there.
    path = "/api/v1/catalog/tests/?species=&category=&is_package=&search="
    assert customer_client.get(path, HTTP_ACCEPT="text/html").status_code == 200
    assert customer_client.get(path).status_code == 400  # JSON clients are still told
    unknown = customer_client.get("/api/v1/catalog/tests/?foo=1", HTTP_ACCEPT="text/html")
    assert unknown.status_code == 400


def test_an_empty_search_is_a_search_for_everything(customer_client):
    assert customer_client.get("/api/v1/pets/?search=").status_code == 200


def test_a_comma_separated_ordering_still_works(api_client):
    assert api_client.get("/api/v1/catalog/tests/?ordering=name,-price").status_code == 200


def test_parameters_a_view_reads_itself_are_known():
    collector = StaffProfileFactory(role=StaffRole.COLLECTOR).user
    analyst = StaffProfileFactory(role=StaffRole.ANALYST).user
    assert client_for(collector).get("/api/v1/staff/collections/", {"date": "2026-01-31"}).status_code == 200
    assert client_for(collector).get("/api/v1/staff/collections/lookup", {"code": "DP-NOPE00"}).status_code == 404
    summary = {"period": "month", "from": "2026-01-01", "to": "2026-01-31"}
    assert client_for(analyst).get("/api/v1/staff/billing/summary", summary).status_code == 200


def test_drf_format_override_still_works(customer_client):
    response = customer_client.get("/api/v1/pets/?format=json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")


def test_authentication_is_checked_before_the_query_string(api_client):
    assert api_client.get("/api/v1/bookings/?foo=1").status_code == 401


def test_every_api_view_applies_the_query_string_rules():
    generator = SchemaGenerator()
    generator.get_schema(request=None, public=True)
    views = {callback.cls for path, _, _, callback in generator.endpoints if path.startswith("/api/v1/")}
    assert views
    assert {view.__name__ for view in views if not issubclass(view, StrictQueryMixin)} == set()


def test_every_operation_documents_the_query_string_400(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    missing = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "400" not in operation["responses"]
    ]
    assert missing == []


def test_no_operation_or_schema_is_described_by_a_shared_base_class_docstring(api_client):
    """Views and serializers without a docstring of their own must not show their bases' developer notes."""
    import inspect

    from diagnopet.api.schema import doc_excludes

    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    descriptions = [
        operation.get("description", "") for operations in schema["paths"].values() for operation in operations.values()
    ] + [component.get("description", "") for component in schema["components"]["schemas"].values()]
    ours = [cls for cls in doc_excludes() if cls.__module__.startswith("diagnopet.")]
    first_lines = {inspect.getdoc(cls).splitlines()[0] for cls in ours}

    assert len(ours) == 3
    assert [d for d in descriptions if any(line in " ".join(d.split()) for line in first_lines)] == []


# --- Bodies: strict text fields (diagnopet.api.serializers) --------------------------------------


def _request_serializers():
    """(operation, serializer instance) of every body the API reads, as the schema documents it."""
    generator = SchemaGenerator()
    generator.get_schema(request=None, public=True)
    for path, _, method, callback in generator.endpoints:
        if method not in ("POST", "PUT", "PATCH") or not path.startswith("/api/v1/"):
            continue
        view = generator.create_view(callback, method)
        view.request = spectacular_settings.GET_MOCK_REQUEST(method, path, view, None)
        view.schema.method, view.schema.path = method, path
        request = view.schema.get_request_serializer()
        for serializer in request.values() if isinstance(request, dict) else [request]:
            if serializer is not None:
                yield f"{method} {path}", serializer() if isinstance(serializer, type) else serializer


def _writable_text_fields(serializer, prefix=""):
    for name, field in serializer.fields.items():
        while isinstance(field, serializers.ListSerializer | serializers.ListField):
            field = field.child
        if field.read_only:
            continue
        if isinstance(field, serializers.Serializer):
            yield from _writable_text_fields(field, f"{prefix}{name}.")
        elif isinstance(field, serializers.CharField):
            yield f"{prefix}{name}", field


def test_every_text_field_of_every_body_is_strict():
    checked, lenient = set(), set()
    for operation, serializer in _request_serializers():
        for name, field in _writable_text_fields(serializer):
            checked.add(f"{operation} {name}")
            if not isinstance(field, StrictTextMixin):
                lenient.add(f"{operation} {name}: {type(field).__name__}")
    assert "POST /api/v1/pets/ medical_history" in checked
    assert "POST /api/v1/staff/collections/{pk}/collected payment.reference" in checked
    assert lenient == set()
