"""The billing admin by staff role: a collector takes payments for their visits only (roles: accounts/tests)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
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
def test_the_collectors_bill_picker_names_booking_customer_and_amount_due():
    collector = _staff(StaffRole.COLLECTOR)
    bills = [
        BillingRecordFactory(
            booking__collection_staff=collector,
            booking__user__full_name=f"Ananya Sharma {n}",
            booking__subtotal=Decimal("1250.00"),
            booking__total_amount=Decimal("1250.00"),
        )
        for n in range(3)
    ]
    client = _client(collector)
    params = {"app_label": "billing", "model_name": "payment", "field_name": "billing_record", "term": ""}
    client.get(reverse("admin:autocomplete"), params)  # warm-up: session, permissions

    with CaptureQueriesContext(connection) as three:
        response = client.get(reverse("admin:autocomplete"), params)
    BillingRecordFactory(booking__collection_staff=collector)
    with CaptureQueriesContext(connection) as four:
        client.get(reverse("admin:autocomplete"), params)

    texts = {r["text"] for r in response.json()["results"]}
    assert texts == {f"Draft bill · {b.booking.code} · Ananya Sharma {n} · ₹1,250.00 due" for n, b in enumerate(bills)}
    assert len(four) == len(three)  # the names are read with the bills, not one query each


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
