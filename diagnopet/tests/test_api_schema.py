"""The schema's project-wide conventions (diagnopet.api.schema): tags from paths."""

import pytest
from django.conf import settings

from diagnopet.api.schema import resource_tag


@pytest.mark.parametrize(
    ("path", "tag"),
    [
        ("/api/v1/bookings/", "bookings"),
        ("/api/v1/bookings/{id}/cancel", "bookings"),
        ("/api/v1/bookings/{id}/prescriptions/", "bookings"),
        ("/api/v1/bookings/{id}/review", "reviews"),
        ("/api/v1/pets/{pet_id}/reports/", "reports"),
        ("/api/v1/pets/{id}/results/", "results"),
        ("/api/v1/pets/{id}/results/{analyte}/trend.png", "results"),
        ("/api/v1/reports/{id}/share/{share_id}", "reports"),
        ("/api/v1/me/close", "me"),
        ("/api/v1/auth/token/refresh", "auth"),
        ("/api/v1/staff/collections/{id}/no-show", "staff"),
        ("/api/v1/payments/webhooks/{provider}", "payments"),
        ("/api/v2/slots/", "slots"),
    ],
)
def test_an_operation_is_tagged_by_the_resource_its_path_names(path, tag):
    assert resource_tag(path) == tag


def test_every_tag_a_path_can_get_is_declared_once():
    declared = [tag["name"] for tag in settings.SPECTACULAR_SETTINGS["TAGS"]]
    assert len(declared) == len(set(declared))
    assert all(tag.get("description") for tag in settings.SPECTACULAR_SETTINGS["TAGS"])
