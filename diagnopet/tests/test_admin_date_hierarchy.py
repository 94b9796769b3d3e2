"""The admin's date drill-down (``date_hierarchy``) at the ends of the calendar: Django computes the next day, month
or year of the one asked for, which runs off the calendar for 9999 (and local midnight of year 1 off it in UTC)."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

pytestmark = pytest.mark.django_db

DRILLED = [
    (model._meta.app_label, model._meta.model_name, admin.site.get_model_admin(model).date_hierarchy)
    for model in apps.get_models()
    if admin.site.is_registered(model) and admin.site.get_model_admin(model).date_hierarchy
]


@pytest.mark.parametrize(("app_label", "model_name", "field"), DRILLED)
@pytest.mark.parametrize("query", ["{f}__year=9999", "{f}__year=9999&{f}__month=12", "{f}__year=1"])
def test_a_year_at_the_end_of_the_calendar_is_a_bad_filter_not_a_server_error(
    admin_client, app_label, model_name, field, query
):
    url = reverse(f"admin:{app_label}_{model_name}_changelist")

    response = admin_client.get(f"{url}?{query.format(f=field)}")

    # Django's answer to a filter it cannot apply: back to the list with ?e=1.
    assert response.status_code == 302
    assert response.url.endswith("?e=1")
