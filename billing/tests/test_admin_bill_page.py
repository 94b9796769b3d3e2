"""A bill's own page: nothing to save (every field is read-only), and "Record payment" when money is due and the
user may record it."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from accounts.models import StaffRole
from accounts.tests.staff import logged_in, staff_of
from billing.models import BillingRecord, Payment
from billing.tests.factories import BillingRecordFactory

pytestmark = pytest.mark.django_db


def _page(client, record) -> str:
    response = client.get(reverse("admin:billing_billingrecord_change", args=[record.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _pay_url(record) -> str:
    return reverse("admin:billing_billingrecord_record_payment", args=[record.pk])


def test_a_bill_page_has_no_save_button_and_no_input(admin_client):
    record = BillingRecordFactory(status=BillingRecord.Status.FINALIZED)

    html = _page(admin_client, record)

    assert 'name="_save"' not in html
    assert 'name="_continue"' not in html
    assert 'name="final_amount"' not in html


def test_a_bill_with_money_due_offers_record_payment_that_records_it(admin_client, admin_user):
    record = BillingRecordFactory(status=BillingRecord.Status.FINALIZED)

    assert f'href="{_pay_url(record)}"' in _page(admin_client, record)
    form = admin_client.get(_pay_url(record))
    assert form.status_code == 200
    assert form.context["record"] == record
    response = admin_client.post(
        _pay_url(record), {"apply": "Record", "kind": "payment", "amount": str(record.final_amount), "method": "cash"}
    )

    assert response.status_code == 302
    assert response.url == reverse("admin:billing_billingrecord_change", args=[record.pk])
    payment = Payment.objects.get(billing_record=record)
    assert (payment.amount, payment.received_by) == (record.final_amount, admin_user)
    record.refresh_from_db()
    assert record.amount_paid == record.final_amount
    assert "Record payment" not in _page(admin_client, record)


def test_a_paid_bill_offers_a_refund_to_the_clinic_admin_only(admin_client):
    record = BillingRecordFactory(status=BillingRecord.Status.FINALIZED)
    admin_client.post(
        _pay_url(record), {"apply": "Record", "kind": "payment", "amount": str(record.final_amount), "method": "cash"}
    )

    html = _page(admin_client, record)
    assert "Record payment" not in html
    assert f'<a href="{_pay_url(record)}">Refund</a>' in html
    refund = {"apply": "Record", "kind": "refund", "amount": "100.00", "method": "cash"}
    assert admin_client.post(_pay_url(record), refund).status_code == 302
    record.refresh_from_db()
    assert record.amount_paid == record.final_amount - D("100.00")

    collector = staff_of(StaffRole.COLLECTOR)
    record.booking.collection_staff = collector
    record.booking.save(update_fields=["collection_staff"])
    assert ">Refund</a>" not in _page(logged_in(collector), record)


def test_no_payment_button_nor_page_for_who_may_not_record_payments():
    record = BillingRecordFactory(status=BillingRecord.Status.FINALIZED)
    analyst = logged_in(staff_of(StaffRole.ANALYST))

    assert "Record payment" not in _page(analyst, record)
    assert analyst.post(_pay_url(record), {"apply": "Record", "kind": "payment", "amount": "1.00"}).status_code == 403
    assert not Payment.objects.filter(billing_record=record).exists()
    assert record.final_amount > D("0")
