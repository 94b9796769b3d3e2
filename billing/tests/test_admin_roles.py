"""The billing admin by staff role: a collector takes payments for their visits only (roles: accounts/tests)."""

import pytest
from django.urls import reverse

from accounts.models import StaffRole
from accounts.tests.staff import logged_in as _client
from accounts.tests.staff import staff_of as _staff
from billing.models import Payment
from billing.tests.factories import BillingRecordFactory


@pytest.mark.django_db
def test_collector_can_pick_the_billing_records_of_their_visits_for_a_payment():
    collector = _staff(StaffRole.COLLECTOR)
    mine = BillingRecordFactory(booking__collection_staff=collector)
    BillingRecordFactory()

    response = _client(collector).get(
        reverse("admin:autocomplete"),
        {"app_label": "billing", "model_name": "payment", "field_name": "billing_record", "term": ""},
    )

    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [str(mine.pk)]


@pytest.mark.django_db
def test_collector_records_a_payment_only_for_their_visits():
    collector = _staff(StaffRole.COLLECTOR)
    mine = BillingRecordFactory(booking__collection_staff=collector)
    other = BillingRecordFactory()
    client = _client(collector)
    data = {
        "kind": "payment",
        "amount": "500.00",
        "method": "cash",
        "status": "succeeded",
        "received_at_0": "2026-01-10",
        "received_at_1": "10:00:00",
    }

    refused = client.post(reverse("admin:billing_payment_add"), data | {"billing_record": other.pk})
    accepted = client.post(reverse("admin:billing_payment_add"), data | {"billing_record": mine.pk})

    assert refused.status_code == 200
    assert "billing_record" in refused.context["adminform"].form.errors
    assert accepted.status_code == 302
    assert list(Payment.objects.values_list("billing_record_id", "received_by_id")) == [(mine.pk, collector.pk)]
