"""Distance pricing in the admin is history: the row in force is read-only, and a new row from a date ends it."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import DistancePricingConfig
from billing.services import distance_pricing_active
from billing.tests.factories import DistancePricingConfigFactory

pytestmark = pytest.mark.django_db

ADD = reverse("admin:billing_distancepricingconfig_add")


def _change_url(row) -> str:
    return reverse("admin:billing_distancepricingconfig_change", args=[row.pk])


def _new_pricing(day: datetime.date, base: str = "80.00") -> dict:
    return {
        "effective_from": day.isoformat(),
        "base_charge": base,
        "charge_per_km": "12.00",
        "max_free_distance_km": "3.00",
        "max_service_distance_km": "25.00",
        "notes": "new rates",
        "_save": "Save",
    }


def test_the_pricing_in_force_has_no_editable_field_and_no_save(admin_client):
    current = DistancePricingConfigFactory()

    response = admin_client.get(_change_url(current))

    assert response.status_code == 200
    assert response.context["adminform"].form.fields == {}
    html = response.content.decode()
    assert 'name="_save"' not in html
    assert 'name="base_charge"' not in html


def test_posting_to_a_recorded_pricing_changes_nothing(admin_client):
    current = DistancePricingConfigFactory(base_charge=Decimal("50.00"))
    data = _new_pricing(current.effective_from, base="1.00")

    response = admin_client.post(_change_url(current), data)

    assert response.status_code == 403
    current.refresh_from_db()
    assert current.base_charge == Decimal("50.00")


def test_adding_a_pricing_closes_the_open_one_the_day_before(admin_client, admin_user):
    today = timezone.localdate()
    old = DistancePricingConfigFactory(effective_from=today - datetime.timedelta(days=100))
    start = today + datetime.timedelta(days=7)

    response = admin_client.post(ADD, _new_pricing(start))

    assert response.status_code == 302, response.context["adminform"].form.errors
    old.refresh_from_db()
    new = DistancePricingConfig.objects.exclude(pk=old.pk).get()
    assert old.effective_until == start - datetime.timedelta(days=1)
    assert (new.effective_from, new.effective_until, new.base_charge) == (start, None, Decimal("80.00"))
    assert new.updated_by == admin_user
    assert distance_pricing_active(on=today) == old
    assert distance_pricing_active(on=start) == new
    listing = admin_client.get(reverse("admin:billing_distancepricingconfig_changelist")).content.decode()
    # The old row now ends the day before; only the new one is open-ended, and it starts later.
    assert f"→ {old.effective_until:%d/%m/%Y}" in listing
    assert listing.count("→ not yet in force") == 1
    assert "→ in force" not in listing


def test_a_new_pricing_cannot_start_in_the_past_or_before_the_latest(admin_client):
    today = timezone.localdate()
    latest = DistancePricingConfigFactory(effective_from=today + datetime.timedelta(days=10))

    past = admin_client.post(ADD, _new_pricing(today - datetime.timedelta(days=1)))
    before_latest = admin_client.post(ADD, _new_pricing(today + datetime.timedelta(days=9)))

    assert "effective_from" in past.context["adminform"].form.errors
    assert before_latest.context["adminform"].form.errors["effective_from"] == [
        f"A pricing already starts on {latest.effective_from:%d/%m/%Y}; the new one must start after it "
        "(or on that day, to replace it, while it has not started)."
    ]
    assert DistancePricingConfig.objects.count() == 1
    latest.refresh_from_db()
    assert latest.effective_until is None


def test_a_pricing_not_started_yet_is_replaced_by_one_on_its_day(admin_client):
    """A typo in next month's rates is corrected before it charges anyone: the mistaken row is kept, switched off."""
    today = timezone.localdate()
    current = DistancePricingConfigFactory(effective_from=today - datetime.timedelta(days=30))
    start = today + datetime.timedelta(days=10)
    assert admin_client.post(ADD, _new_pricing(start, base="800.00")).status_code == 302
    mistaken = DistancePricingConfig.objects.get(base_charge=Decimal("800.00"))

    assert admin_client.post(ADD, _new_pricing(start, base="80.00")).status_code == 302

    mistaken.refresh_from_db()
    current.refresh_from_db()
    assert (mistaken.is_active, mistaken.effective_until) == (False, None)
    assert current.effective_until == start - datetime.timedelta(days=1)
    assert distance_pricing_active(on=start).base_charge == Decimal("80.00")
    assert DistancePricingConfig.objects.count() == 3
    # Once a pricing is in force, its day is history: the same day is refused.
    in_force = admin_client.post(ADD, _new_pricing(current.effective_from))
    assert "effective_from" in in_force.context["adminform"].form.errors
