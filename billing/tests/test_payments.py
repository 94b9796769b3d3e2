"""Online payments through the API: checkout, confirmation, webhooks, refunds, reconciliation.

The providers' HTTP is faked with ``responses`` (recorded-shape answers in ``provider_fixtures``); the official SDKs
run for real, and signatures are real HMACs over real-shaped payloads.
"""

import io
import json
import time
from decimal import Decimal

import pytest
import responses
from django.core.management import call_command
from django.db.models import Sum
from django.urls import reverse
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import StaffRole
from accounts.tests.factories import StaffProfileFactory
from billing.documents import receipt_number
from billing.gateway import bill_refund, refund_send
from billing.models import BillingDocument, BillingRecord, Payment, PaymentOrder, ProviderEvent
from billing.providers import ProviderError
from billing.services import amount_due, payment_record
from billing.tests import provider_fixtures as fx
from billing.tests.factories import BillingRecordFactory
from conftest import client_for, run_concurrently

D = Decimal
PAY_CONFIRM = "/api/v1/payments/confirm"
RZP_ORDER = "order_IluGWxBm9U8zJ8"
RZP_PAYMENT = "pay_29QQoUBi66xm2f"
PI = "pi_3MtwBwLkdIwHu7ix28a3tqPa"


@pytest.fixture
def keys(settings):
    for name, value in {**fx.RAZORPAY_KEYS, **fx.STRIPE_KEYS}.items():
        setattr(settings, name, value)


@pytest.fixture
def http():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def bill(customer):
    return BillingRecordFactory(booking__user=customer)


def pay_url(booking_id) -> str:
    return f"/api/v1/bookings/{booking_id}/pay"


def webhook_url(provider) -> str:
    return reverse("billing:payment-webhook", kwargs={"provider": provider})


def rzp_signature(order_id=RZP_ORDER, payment_id=RZP_PAYMENT, secret=fx.RAZORPAY_KEYS["RAZORPAY_KEY_SECRET"]):
    return fx.razorpay_signature(f"{order_id}|{payment_id}", secret)


def rzp_confirm_body(**overrides):
    body = {
        "provider": "razorpay",
        "razorpay_order_id": RZP_ORDER,
        "razorpay_payment_id": RZP_PAYMENT,
        "razorpay_signature": rzp_signature(),
    }
    return {**body, **overrides}


def post_rzp_webhook(client, data: dict, event_id: str, secret=fx.RAZORPAY_KEYS["RAZORPAY_WEBHOOK_SECRET"], body=None):
    raw = fx.dumps(data)
    return client.post(
        webhook_url("razorpay"),
        data=body if body is not None else raw,
        content_type="application/json",
        HTTP_X_RAZORPAY_SIGNATURE=fx.razorpay_signature(raw, secret),
        HTTP_X_RAZORPAY_EVENT_ID=event_id,
    )


def post_stripe_webhook(client, data: dict, secret=fx.STRIPE_KEYS["STRIPE_WEBHOOK_SECRET"]):
    raw = fx.dumps(data)
    return client.post(
        webhook_url("stripe"),
        data=raw,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=fx.stripe_signature_header(raw, secret),
    )


def rzp_order_made(http, paise=50000):
    http.post(f"{fx.RAZORPAY_API}/orders", json=fx.razorpay_order(RZP_ORDER, paise))


def rzp_checkout(client, http, booking_id, paise=50000):
    rzp_order_made(http, paise)
    response = client.post(pay_url(booking_id), {"provider": "razorpay"}, format="json")
    assert response.status_code == 200, response.content
    return response


def assert_money_invariants(record: BillingRecord) -> None:
    """What was paid never exceeds the bill plus what was given back, and nothing is ever negative."""
    record.refresh_from_db()
    payments = record.payments.filter(kind="payment", status="succeeded").aggregate(s=Sum("amount"))["s"] or D(0)
    refunds = record.payments.filter(kind="refund", status__in=["pending", "succeeded"]).aggregate(s=Sum("amount"))
    refunds = refunds["s"] or D(0)
    assert record.amount_paid == payments - refunds
    assert payments <= record.final_amount + refunds
    assert amount_due(record) >= 0
    assert record.amount_paid >= 0


@pytest.mark.django_db
class TestPay:
    def test_razorpay_checkout_for_the_amount_due(self, keys, http, bill, customer_client):
        response = rzp_checkout(customer_client, http, bill.booking_id)
        assert response.json() == {
            "provider": "razorpay",
            "order_id": RZP_ORDER,
            "amount": "500.00",
            "currency": "INR",
            "public_key": "rzp_test_1DP5mmOlF5G5ag",
            "client_secret": "",
            "expires_at": response.json()["expires_at"],
        }
        sent = http.calls[0].request
        assert sent.headers["Authorization"].startswith("Basic ")  # the SDK's key id + secret
        assert json.loads(sent.body)["amount"] == 50000
        assert json.loads(sent.body)["currency"] == "INR"
        assert PaymentOrder.objects.get().amount == D("500.00")

    def test_paying_twice_returns_the_same_open_order(self, keys, http, bill, customer_client):
        first = rzp_checkout(customer_client, http, bill.booking_id).json()
        second = customer_client.post(pay_url(bill.booking_id), {"provider": "razorpay"}, format="json").json()
        assert second["order_id"] == first["order_id"]
        assert len(http.calls) == 1
        assert PaymentOrder.objects.count() == 1

    def test_stripe_checkout_gives_the_client_secret(self, keys, http, bill, customer_client):
        http.post(f"{fx.STRIPE_API}/payment_intents", json=fx.stripe_intent(PI, 50000))
        response = customer_client.post(pay_url(bill.booking_id), {"provider": "stripe"}, format="json")
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["order_id"] == PI
        assert body["client_secret"].startswith(f"{PI}_secret_")
        assert body["public_key"].startswith("pk_test_")
        assert body["amount"] == "500.00"
        sent = http.calls[0].request
        assert "amount=50000" in sent.body
        assert "currency=inr" in sent.body
        assert sent.headers["Idempotency-Key"].startswith(f"bill-{bill.pk}-")

    def test_nothing_due_is_409(self, keys, http, bill, customer_client):
        payment_record(record=bill, amount=D("500.00"), method="cash")
        response = customer_client.post(pay_url(bill.booking_id), {"provider": "razorpay"}, format="json")
        assert response.status_code == 409
        assert response.json()["code"] == "nothing_due"
        assert not http.calls

    def test_cancelled_booking_is_409(self, keys, http, bill, customer_client):
        customer_client.post(f"/api/v1/bookings/{bill.booking_id}/cancel", {}, format="json")
        response = customer_client.post(pay_url(bill.booking_id), {"provider": "razorpay"}, format="json")
        assert response.status_code == 409
        assert response.json()["code"] == "booking_cancelled"

    def test_another_customers_booking_is_404(self, keys, http, bill):
        stranger = client_for(BillingRecordFactory().user)
        response = stranger.post(pay_url(bill.booking_id), {"provider": "razorpay"}, format="json")
        assert response.status_code == 404
        assert not http.calls

    def test_unconfigured_provider_is_not_offered(self, settings, http, bill, customer_client):
        settings.RAZORPAY_KEY_ID = ""
        response = customer_client.post(pay_url(bill.booking_id), {"provider": "razorpay"}, format="json")
        assert response.status_code == 400
        assert response.json()["code"] == "payment_provider_unavailable"

    def test_provider_refusal_is_502_and_saves_nothing(self, keys, http, bill, customer_client):
        http.post(
            f"{fx.RAZORPAY_API}/orders",
            status=400,
            json={"error": {"code": "BAD_REQUEST_ERROR", "description": "Authentication failed"}},
        )
        response = customer_client.post(pay_url(bill.booking_id), {"provider": "razorpay"}, format="json")
        assert response.status_code == 502
        assert response.json()["code"] == "payment_provider_error"
        assert not PaymentOrder.objects.exists()


@pytest.mark.django_db
class TestConfirm:
    def test_razorpay_signature_verified_and_recorded_once(
        self, keys, http, bill, customer, customer_client, django_capture_on_commit_callbacks
    ):
        rzp_checkout(customer_client, http, bill.booking_id)
        http.get(f"{fx.RAZORPAY_API}/payments/{RZP_PAYMENT}", json=fx.razorpay_payment(RZP_PAYMENT, RZP_ORDER, 50000))
        with django_capture_on_commit_callbacks(execute=True):
            first = customer_client.post(PAY_CONFIRM, rzp_confirm_body(), format="json")
            again = customer_client.post(PAY_CONFIRM, rzp_confirm_body(), format="json")
        assert first.status_code == 201, first.content
        assert again.status_code == 200
        assert again.json()["id"] == first.json()["id"]
        assert first.json()["amount"] == "500.00"
        assert first.json()["provider"] == "razorpay"
        payment = Payment.objects.get()
        assert (payment.provider_payment_id, payment.provider_order_id) == (RZP_PAYMENT, RZP_ORDER)
        bill.refresh_from_db()
        assert bill.amount_paid == D("500.00")
        assert amount_due(bill) == 0
        assert PaymentOrder.objects.get().status == "paid"
        assert customer.notifications.filter(event_key=f"payment:{payment.pk}:received").count() == 1
        assert_money_invariants(bill)

    def test_confirmed_payment_gets_its_receipt(
        self, keys, http, bill, customer_client, django_capture_on_commit_callbacks
    ):
        rzp_checkout(customer_client, http, bill.booking_id)
        http.get(f"{fx.RAZORPAY_API}/payments/{RZP_PAYMENT}", json=fx.razorpay_payment(RZP_PAYMENT, RZP_ORDER, 50000))
        with django_capture_on_commit_callbacks(execute=True):
            assert customer_client.post(PAY_CONFIRM, rzp_confirm_body(), format="json").status_code == 201
        payment = Payment.objects.get()
        document = BillingDocument.objects.get(payment=payment, kind="receipt")
        assert (document.billing_record_id, document.number) == (bill.pk, receipt_number(payment))

    @pytest.mark.parametrize(
        "change",
        [
            {"razorpay_signature": rzp_signature(secret="not-the-secret")},
            {"razorpay_payment_id": "pay_someoneelse0001"},
            {"razorpay_signature": "0" * 64},
        ],
        ids=["wrong-secret", "tampered-payment-id", "made-up"],
    )
    def test_bad_signature_is_refused(self, keys, http, bill, customer_client, change):
        rzp_checkout(customer_client, http, bill.booking_id)
        response = customer_client.post(PAY_CONFIRM, rzp_confirm_body(**change), format="json")
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_signature"
        assert not Payment.objects.exists()

    def test_non_ascii_signature_is_refused_not_a_500(self, keys, http, bill, customer_client):
        rzp_checkout(customer_client, http, bill.booking_id)
        response = customer_client.post(PAY_CONFIRM, rzp_confirm_body(razorpay_signature="é"), format="json")
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_signature"
        assert not Payment.objects.exists()

    def test_another_customers_order_is_404(self, keys, http, bill, customer_client):
        rzp_checkout(customer_client, http, bill.booking_id)
        http.get(f"{fx.RAZORPAY_API}/payments/{RZP_PAYMENT}", json=fx.razorpay_payment(RZP_PAYMENT, RZP_ORDER, 50000))
        stranger = client_for(BillingRecordFactory().user)
        response = stranger.post(PAY_CONFIRM, rzp_confirm_body(), format="json")
        assert response.status_code == 404
        assert not Payment.objects.exists()

    def test_stripe_payment_intent_retrieved_and_checked(
        self, keys, http, bill, customer_client, django_capture_on_commit_callbacks
    ):
        http.post(f"{fx.STRIPE_API}/payment_intents", json=fx.stripe_intent(PI, 50000))
        customer_client.post(pay_url(bill.booking_id), {"provider": "stripe"}, format="json")
        pending = http.get(f"{fx.STRIPE_API}/payment_intents/{PI}", json=fx.stripe_intent(PI, 50000, "processing"))
        response = customer_client.post(PAY_CONFIRM, {"provider": "stripe", "payment_intent": PI}, format="json")
        assert response.status_code == 409
        assert response.json()["code"] == "payment_not_captured"
        http.remove(pending)
        http.get(f"{fx.STRIPE_API}/payment_intents/{PI}", json=fx.stripe_intent(PI, 50000, "succeeded"))
        with django_capture_on_commit_callbacks(execute=True):
            first = customer_client.post(PAY_CONFIRM, {"provider": "stripe", "payment_intent": PI}, format="json")
            again = customer_client.post(PAY_CONFIRM, {"provider": "stripe", "payment_intent": PI}, format="json")
        assert (first.status_code, again.status_code) == (201, 200)
        assert Payment.objects.get().provider_payment_id == PI

    def test_stripe_unknown_intent_is_refused(self, keys, http, bill, customer_client):
        http.get(
            f"{fx.STRIPE_API}/payment_intents/pi_unknown",
            status=404,
            json={
                "error": {
                    "code": "resource_missing",
                    "message": "No such payment_intent",
                    "type": "invalid_request_error",
                }
            },
        )
        response = customer_client.post(
            PAY_CONFIRM, {"provider": "stripe", "payment_intent": "pi_unknown"}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_signature"


@pytest.mark.django_db
class TestAuthorizedPayments:
    """Accounts that do not capture automatically: a payment is "authorized" until we capture it, and we capture it
    only once the order is known to be ours (and, on confirmation, the caller's)."""

    capture_url = f"{fx.RAZORPAY_API}/payments/{RZP_PAYMENT}/capture"

    def authorized(self, http):
        payment = fx.razorpay_payment(RZP_PAYMENT, RZP_ORDER, 50000, "authorized")
        http.get(f"{fx.RAZORPAY_API}/payments/{RZP_PAYMENT}", json=payment)
        return http.post(self.capture_url, json=fx.razorpay_payment(RZP_PAYMENT, RZP_ORDER, 50000, "captured"))

    def test_confirm_captures_only_the_callers_own_order(
        self, keys, http, bill, customer_client, django_capture_on_commit_callbacks
    ):
        rzp_checkout(customer_client, http, bill.booking_id)
        capture = self.authorized(http)
        stranger = client_for(BillingRecordFactory().user)
        assert stranger.post(PAY_CONFIRM, rzp_confirm_body(), format="json").status_code == 404
        assert capture.call_count == 0  # nothing taken for someone else's confirmation
        with django_capture_on_commit_callbacks(execute=True):
            response = customer_client.post(PAY_CONFIRM, rzp_confirm_body(), format="json")
        assert response.status_code == 201, response.content
        assert capture.call_count == 1
        assert json.loads(http.calls[-1].request.body) == {"amount": 50000, "currency": "INR"}
        bill.refresh_from_db()
        assert bill.amount_paid == D("500.00")
        assert_money_invariants(bill)

    def test_confirm_after_the_webhook_captured_it_records_it_once(
        self, keys, http, bill, customer_client, django_capture_on_commit_callbacks
    ):
        rzp_checkout(customer_client, http, bill.booking_id)
        http.get(
            f"{fx.RAZORPAY_API}/payments/{RZP_PAYMENT}",
            json=fx.razorpay_payment(RZP_PAYMENT, RZP_ORDER, 50000, "authorized"),
        )
        http.post(self.capture_url, status=400, json=fx.razorpay_error("This payment has already been captured"))
        # Read again after the refusal: captured meanwhile.
        http.get(f"{fx.RAZORPAY_API}/payments/{RZP_PAYMENT}", json=fx.razorpay_payment(RZP_PAYMENT, RZP_ORDER, 50000))
        with django_capture_on_commit_callbacks(execute=True):
            response = customer_client.post(PAY_CONFIRM, rzp_confirm_body(), format="json")
        assert response.status_code == 201, response.content
        assert Payment.objects.get().amount == D("500.00")

    def test_authorized_webhook_for_our_order_is_captured_and_recorded(
        self, keys, http, bill, customer_client, api_client, django_capture_on_commit_callbacks
    ):
        rzp_checkout(customer_client, http, bill.booking_id)
        capture = self.authorized(http)
        event = fx.razorpay_event(
            "payment.authorized", payment=fx.razorpay_payment(RZP_PAYMENT, RZP_ORDER, 50000, "authorized")
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert post_rzp_webhook(api_client, event, "evt_auth").status_code == 200
        assert capture.call_count == 1
        assert "recorded" in ProviderEvent.objects.get().outcome
        bill.refresh_from_db()
        assert bill.amount_paid == D("500.00")
        assert_money_invariants(bill)

    def test_authorized_webhook_for_an_order_not_ours_captures_nothing(
        self, keys, http, api_client, django_capture_on_commit_callbacks
    ):
        capture = self.authorized(http)
        event = fx.razorpay_event(
            "payment.authorized", payment=fx.razorpay_payment(RZP_PAYMENT, "order_NotOurs00001", 50000, "authorized")
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert post_rzp_webhook(api_client, event, "evt_auth").status_code == 200
        assert capture.call_count == 0
        assert ProviderEvent.objects.get().outcome == "not our order"
        assert not Payment.objects.exists()


@pytest.mark.django_db
class TestWebhooks:
    def captured(self):
        return fx.razorpay_event("payment.captured", payment=fx.razorpay_payment(RZP_PAYMENT, RZP_ORDER, 50000))

    def test_replayed_ten_times_records_one_payment(
        self, keys, http, bill, customer_client, api_client, django_capture_on_commit_callbacks
    ):
        rzp_checkout(customer_client, http, bill.booking_id)
        with django_capture_on_commit_callbacks(execute=True):
            answers = [post_rzp_webhook(api_client, self.captured(), "evt_1").json() for _ in range(10)]
        assert answers[0] == {"received": True, "duplicate": False}
        assert all(a == {"received": True, "duplicate": True} for a in answers[1:])
        assert Payment.objects.count() == 1
        assert ProviderEvent.objects.count() == 1
        event = ProviderEvent.objects.get()
        assert event.processed_at is not None
        assert "recorded" in event.outcome
        bill.refresh_from_db()
        assert bill.amount_paid == D("500.00")

    def test_order_paid_after_payment_captured_changes_nothing(
        self, keys, http, bill, customer_client, api_client, django_capture_on_commit_callbacks
    ):
        rzp_checkout(customer_client, http, bill.booking_id)
        order_paid = fx.razorpay_event("order.paid", payment=fx.razorpay_payment(RZP_PAYMENT, RZP_ORDER, 50000))
        with django_capture_on_commit_callbacks(execute=True):
            post_rzp_webhook(api_client, self.captured(), "evt_1")
            post_rzp_webhook(api_client, order_paid, "evt_2")
        assert Payment.objects.count() == 1
        assert ProviderEvent.objects.count() == 2

    def test_bad_signature_or_tampered_body_is_400(self, keys, api_client):
        wrong_secret = post_rzp_webhook(api_client, self.captured(), "evt_1", secret="guess")
        tampered = post_rzp_webhook(
            api_client, self.captured(), "evt_2", body=fx.dumps(self.captured()).replace("50000", "5000000")
        )
        assert wrong_secret.status_code == tampered.status_code == 400
        assert tampered.json()["code"] == "invalid_signature"
        assert not ProviderEvent.objects.exists()

    def test_non_ascii_signature_header_is_400(self, keys, api_client):
        response = api_client.post(
            webhook_url("razorpay"),
            data=fx.dumps(self.captured()),
            content_type="application/json",
            HTTP_X_RAZORPAY_SIGNATURE="é",
            HTTP_X_RAZORPAY_EVENT_ID="evt_1",
        )
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_signature"
        assert not ProviderEvent.objects.exists()

    def test_event_id_longer_than_stored_is_400(self, keys, api_client):
        longest = ProviderEvent._meta.get_field("event_id").max_length
        assert post_rzp_webhook(api_client, self.captured(), "e" * (longest + 1)).status_code == 400
        assert not ProviderEvent.objects.exists()
        assert post_rzp_webhook(api_client, self.captured(), "e" * longest).status_code == 200
        assert ProviderEvent.objects.get().event_id == "e" * longest

    def test_unknown_events_are_stored_and_ignored(self, keys, api_client, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            response = post_rzp_webhook(api_client, fx.razorpay_event("subscription.charged"), "evt_x")
        assert response.status_code == 200
        event = ProviderEvent.objects.get()
        assert (event.event_type, event.outcome) == ("subscription.charged", "ignored")
        assert not Payment.objects.exists()

    def test_unknown_provider_is_404_and_unconfigured_400(self, keys, settings, api_client):
        assert api_client.post(webhook_url("paypal"), data="{}", content_type="application/json").status_code == 404
        settings.STRIPE_WEBHOOK_SECRET = ""
        response = api_client.post(webhook_url("stripe"), data="{}", content_type="application/json")
        assert response.status_code == 400
        assert response.json()["code"] == "payment_provider_unavailable"

    def test_unknown_provider_is_404_before_the_rate_limit_counts(self, keys, api_client, monkeypatch):
        rates = {**SimpleRateThrottle.THROTTLE_RATES, "payment_webhook": "3/min"}
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
        unknown = [
            api_client.post(webhook_url("paypal"), data="{}", content_type="application/json").status_code
            for _ in range(5)
        ]
        assert unknown == [404] * 5
        # A provider of ours is still counted: the fourth unsigned call in the minute is cut.
        known = [
            api_client.post(webhook_url("razorpay"), data="{}", content_type="application/json").status_code
            for _ in range(4)
        ]
        assert known == [400, 400, 400, 429]

    def test_refund_before_its_payment_waits_then_applies(
        self, keys, http, bill, customer, customer_client, api_client, django_capture_on_commit_callbacks
    ):
        rzp_checkout(customer_client, http, bill.booking_id)
        refund = fx.razorpay_refund("rfnd_FP8QHiV938haTz", RZP_PAYMENT, 20000)
        refunded = fx.razorpay_event(
            "refund.processed", refund=refund, payment=fx.razorpay_payment(RZP_PAYMENT, RZP_ORDER, 50000, "refunded")
        )
        with django_capture_on_commit_callbacks(execute=True):
            post_rzp_webhook(api_client, refunded, "evt_refund")
        waiting = ProviderEvent.objects.get(event_id="evt_refund")
        assert waiting.processed_at is None
        assert waiting.outcome == "waiting"
        with django_capture_on_commit_callbacks(execute=True):
            post_rzp_webhook(api_client, self.captured(), "evt_paid")
        waiting.refresh_from_db()
        assert waiting.processed_at is not None
        row = Payment.objects.get(kind="refund")
        assert (row.amount, row.status, row.provider_refund_id) == (D("200.00"), "succeeded", "rfnd_FP8QHiV938haTz")
        bill.refresh_from_db()
        assert bill.amount_paid == D("300.00")
        assert_money_invariants(bill)

    def test_a_broken_waiting_event_does_not_stop_the_others(
        self, keys, http, bill, customer_client, api_client, django_capture_on_commit_callbacks
    ):
        rzp_checkout(customer_client, http, bill.booking_id)
        broken = ProviderEvent.objects.create(
            provider="razorpay",
            event_id="evt_broken",
            event_type="refund.processed",
            payload={"event": "refund.processed", "payload": {"refund": {"entity": {"payment_id": RZP_PAYMENT}}}},
            received_at=bill.created_at,  # before the good one: retried first
        )
        refund = fx.razorpay_refund("rfnd_ok", RZP_PAYMENT, 20000)
        with django_capture_on_commit_callbacks(execute=True):
            post_rzp_webhook(api_client, fx.razorpay_event("refund.processed", refund=refund), "evt_refund")
        assert ProviderEvent.objects.get(event_id="evt_refund").outcome == "waiting"
        with django_capture_on_commit_callbacks(execute=True):
            assert post_rzp_webhook(api_client, self.captured(), "evt_paid").status_code == 200
        broken.refresh_from_db()
        assert broken.processed_at is None
        assert broken.outcome.startswith("error: KeyError")
        assert ProviderEvent.objects.get(event_id="evt_refund").processed_at is not None
        assert Payment.objects.get(kind="refund").provider_refund_id == "rfnd_ok"
        bill.refresh_from_db()
        assert bill.amount_paid == D("300.00")

    def test_stripe_events_signed_and_applied(
        self, keys, http, bill, customer_client, api_client, django_capture_on_commit_callbacks
    ):
        http.post(f"{fx.STRIPE_API}/payment_intents", json=fx.stripe_intent(PI, 50000))
        customer_client.post(pay_url(bill.booking_id), {"provider": "stripe"}, format="json")
        succeeded = fx.stripe_event("evt_1", "payment_intent.succeeded", fx.stripe_intent(PI, 50000, "succeeded"))
        assert post_stripe_webhook(api_client, succeeded, secret="whsec_wrong").status_code == 400
        with django_capture_on_commit_callbacks(execute=True):
            for _ in range(3):
                assert post_stripe_webhook(api_client, succeeded).status_code == 200
        assert Payment.objects.get().provider_payment_id == PI
        bill.refresh_from_db()
        assert bill.amount_paid == D("500.00")


@pytest.mark.django_db(transaction=True)
def test_concurrent_confirm_and_webhook_record_one_payment(keys, http, customer):
    bill = BillingRecordFactory(booking__user=customer)
    customer_client = client_for(customer)
    rzp_checkout(customer_client, http, bill.booking_id)
    http.get(f"{fx.RAZORPAY_API}/payments/{RZP_PAYMENT}", json=fx.razorpay_payment(RZP_PAYMENT, RZP_ORDER, 50000))
    captured = fx.razorpay_event("payment.captured", payment=fx.razorpay_payment(RZP_PAYMENT, RZP_ORDER, 50000))
    calls = [
        lambda: client_for(customer).post(PAY_CONFIRM, rzp_confirm_body(), format="json").status_code,
        lambda: post_rzp_webhook(client_for(customer), captured, "evt_race").status_code,
        lambda: client_for(customer).post(PAY_CONFIRM, rzp_confirm_body(), format="json").status_code,
        lambda: post_rzp_webhook(client_for(customer), captured, "evt_race_2").status_code,
    ]
    statuses = run_concurrently(calls)
    assert sorted(statuses[0::2]) in ([200, 200], [200, 201])
    assert statuses[1::2] == [200, 200]
    assert Payment.objects.filter(kind="payment").count() == 1
    bill.refresh_from_db()
    assert bill.amount_paid == D("500.00")
    assert_money_invariants(bill)


@pytest.mark.django_db(transaction=True)
def test_two_checkouts_at_once_make_one_provider_order(keys, http, customer):
    bill = BillingRecordFactory(booking__user=customer)
    made = []

    def slow_order(request):  # the provider thinks for a moment: the second checkout arrives meanwhile
        time.sleep(0.5)
        made.append(f"order_race{len(made) + 1:08d}")
        return 200, {}, fx.dumps(fx.razorpay_order(made[-1], 50000))

    http.add_callback(responses.POST, f"{fx.RAZORPAY_API}/orders", callback=slow_order)

    def pay():
        response = client_for(customer).post(pay_url(bill.booking_id), {"provider": "razorpay"}, format="json")
        return response.status_code, response.json().get("order_id")

    answers = run_concurrently([pay, pay])
    assert [status for status, _ in answers] == [200, 200]
    assert answers[0][1] == answers[1][1] == "order_race00000001"
    assert len(http.calls) == 1
    assert PaymentOrder.objects.filter(billing_record=bill).count() == 1


@pytest.mark.django_db
class TestRefunds:
    def test_cancel_after_cash_at_the_door_leaves_a_pending_desk_refund(
        self, bill, customer, customer_client, admin_client, django_capture_on_commit_callbacks
    ):
        payment_record(record=bill, amount=D("500.00"), method="cash")
        with django_capture_on_commit_callbacks(execute=True):
            response = customer_client.post(f"/api/v1/bookings/{bill.booking_id}/cancel", {}, format="json")
        assert response.status_code == 200
        refund = Payment.objects.get(kind="refund")
        assert (refund.status, refund.method, refund.amount, refund.provider) == (
            "pending",
            "cash",
            D("500.00"),
            "manual",
        )
        assert "desk" in refund.notes
        bill.refresh_from_db()
        assert bill.status == "draft"
        assert bill.amount_paid == 0
        assert customer.notifications.filter(event_key=f"refund:{refund.pk}:issued").count() == 1
        # While the desk refund is pending the customer sees it refunded with nothing due, not a bill to pay.
        shown = customer_client.get(f"/api/v1/bookings/{bill.booking_id}/").json()
        assert (shown["payment_status"], shown["amount_due"]) == ("refunded", "0.00")
        shown = customer_client.get(f"/api/v1/bills/{bill.pk}/").json()
        assert (shown["payment_status"], shown["amount_due"]) == ("refunded", "0.00")
        # The clinic admin hands the cash back and marks it done: the bill is voided, its rows stay.
        changelist = reverse("admin:billing_payment_changelist")
        response = admin_client.post(
            changelist, {"action": "mark_desk_refund_done", "_selected_action": [refund.pk]}, follow=True
        )
        assert response.status_code == 200
        refund.refresh_from_db()
        bill.refresh_from_db()
        assert refund.status == "succeeded"
        assert bill.status == "void"
        assert bill.payments.count() == 2
        assert_money_invariants(bill)

    def test_cancel_after_online_payment_refunds_through_the_provider(
        self, keys, http, bill, customer_client, django_capture_on_commit_callbacks
    ):
        rzp_checkout(customer_client, http, bill.booking_id)
        http.get(f"{fx.RAZORPAY_API}/payments/{RZP_PAYMENT}", json=fx.razorpay_payment(RZP_PAYMENT, RZP_ORDER, 50000))
        http.post(
            f"{fx.RAZORPAY_API}/payments/{RZP_PAYMENT}/refund",
            json=fx.razorpay_refund("rfnd_FP8QHiV938haTz", RZP_PAYMENT, 50000, "processed"),
        )
        with django_capture_on_commit_callbacks(execute=True):
            customer_client.post(PAY_CONFIRM, rzp_confirm_body(), format="json")
            response = customer_client.post(f"/api/v1/bookings/{bill.booking_id}/cancel", {}, format="json")
        assert response.status_code == 200
        refund_call = http.calls[-1].request
        assert refund_call.url.endswith(f"/payments/{RZP_PAYMENT}/refund")
        assert json.loads(refund_call.body)["amount"] == 50000
        refund = Payment.objects.get(kind="refund")
        assert (refund.status, refund.provider_refund_id) == ("succeeded", "rfnd_FP8QHiV938haTz")
        bill.refresh_from_db()
        assert bill.status == "void"
        assert bill.amount_paid == 0
        assert_money_invariants(bill)

    def test_razorpay_refund_carries_its_idempotency_header(
        self, keys, http, bill, customer_client, django_capture_on_commit_callbacks
    ):
        rzp_checkout(customer_client, http, bill.booking_id)
        http.get(f"{fx.RAZORPAY_API}/payments/{RZP_PAYMENT}", json=fx.razorpay_payment(RZP_PAYMENT, RZP_ORDER, 50000))
        http.post(
            f"{fx.RAZORPAY_API}/payments/{RZP_PAYMENT}/refund",
            json=fx.razorpay_refund("rfnd_FP8QHiV938haTz", RZP_PAYMENT, 50000, "processed"),
        )
        with django_capture_on_commit_callbacks(execute=True):
            customer_client.post(PAY_CONFIRM, rzp_confirm_body(), format="json")
            customer_client.post(f"/api/v1/bookings/{bill.booking_id}/cancel", {}, format="json")
        refund = Payment.objects.get(kind="refund")
        sent = http.calls[-1].request
        assert sent.url.endswith(f"/payments/{RZP_PAYMENT}/refund")
        assert sent.headers["X-Refund-Idempotency"] == f"refund-{refund.pk:010d}"
        assert len(sent.headers["X-Refund-Idempotency"]) >= 10
        assert json.loads(sent.body)["receipt"] == f"refund-{refund.pk:010d}"

    def test_pending_provider_refund_settles_by_webhook(
        self, keys, http, bill, customer_client, api_client, django_capture_on_commit_callbacks
    ):
        http.post(f"{fx.STRIPE_API}/payment_intents", json=fx.stripe_intent(PI, 50000))
        customer_client.post(pay_url(bill.booking_id), {"provider": "stripe"}, format="json")
        http.get(f"{fx.STRIPE_API}/payment_intents/{PI}", json=fx.stripe_intent(PI, 50000, "succeeded"))
        http.post(f"{fx.STRIPE_API}/refunds", json=fx.stripe_refund("re_1", PI, 50000, "pending"))
        with django_capture_on_commit_callbacks(execute=True):
            customer_client.post(PAY_CONFIRM, {"provider": "stripe", "payment_intent": PI}, format="json")
            customer_client.post(f"/api/v1/bookings/{bill.booking_id}/cancel", {}, format="json")
        refund = Payment.objects.get(kind="refund")
        assert (refund.status, refund.provider_refund_id) == ("pending", "re_1")
        bill.refresh_from_db()
        assert bill.status != "void"
        event = fx.stripe_event("evt_r", "refund.updated", fx.stripe_refund("re_1", PI, 50000, "succeeded"))
        with django_capture_on_commit_callbacks(execute=True):
            post_stripe_webhook(api_client, event)
        refund.refresh_from_db()
        bill.refresh_from_db()
        assert refund.status == "succeeded"
        assert bill.status == "void"

    def test_failed_provider_refund_gives_the_amount_back(
        self, keys, http, bill, customer_client, api_client, django_capture_on_commit_callbacks
    ):
        rzp_checkout(customer_client, http, bill.booking_id)
        http.get(f"{fx.RAZORPAY_API}/payments/{RZP_PAYMENT}", json=fx.razorpay_payment(RZP_PAYMENT, RZP_ORDER, 50000))
        http.post(
            f"{fx.RAZORPAY_API}/payments/{RZP_PAYMENT}/refund",
            json=fx.razorpay_refund("rfnd_2", RZP_PAYMENT, 50000, "pending"),
        )
        with django_capture_on_commit_callbacks(execute=True):
            customer_client.post(PAY_CONFIRM, rzp_confirm_body(), format="json")
            customer_client.post(f"/api/v1/bookings/{bill.booking_id}/cancel", {}, format="json")
        failed = fx.razorpay_event("refund.failed", refund=fx.razorpay_refund("rfnd_2", RZP_PAYMENT, 50000, "failed"))
        with django_capture_on_commit_callbacks(execute=True):
            post_rzp_webhook(api_client, failed, "evt_fail")
        bill.refresh_from_db()
        assert Payment.objects.get(kind="refund").status == "failed"
        assert bill.amount_paid == D("500.00")
        assert bill.status != "void"
        assert_money_invariants(bill)

    @pytest.mark.parametrize(
        ("event_type", "status", "refund_status", "amount_paid"),
        [("refund.failed", "failed", "failed", "500.00"), ("refund.processed", "processed", "succeeded", "300.00")],
        ids=["failed", "processed"],
    )
    def test_partial_refund_event_with_its_payment_applies_to_the_refund(
        self,
        keys,
        http,
        bill,
        customer_client,
        admin_user,
        api_client,
        django_capture_on_commit_callbacks,
        event_type,
        status,
        refund_status,
        amount_paid,
    ):
        rzp_checkout(customer_client, http, bill.booking_id)
        http.get(f"{fx.RAZORPAY_API}/payments/{RZP_PAYMENT}", json=fx.razorpay_payment(RZP_PAYMENT, RZP_ORDER, 50000))
        http.post(
            f"{fx.RAZORPAY_API}/payments/{RZP_PAYMENT}/refund",
            json=fx.razorpay_refund("rfnd_part", RZP_PAYMENT, 20000, "pending"),
        )
        with django_capture_on_commit_callbacks(execute=True):
            customer_client.post(PAY_CONFIRM, rzp_confirm_body(), format="json")
            bill_refund(record=bill, amount=D("200.00"), by=admin_user, reason="Sample not re-collected.")
        bill.refresh_from_db()
        assert bill.amount_paid == D("300.00")
        # As Razorpay sends it: the refund and the payment it came from, still captured after a partial refund.
        payment = {**fx.razorpay_payment(RZP_PAYMENT, RZP_ORDER, 50000), "amount_refunded": 20000}
        event = fx.razorpay_event(
            event_type, refund=fx.razorpay_refund("rfnd_part", RZP_PAYMENT, 20000, status), payment=payment
        )
        with django_capture_on_commit_callbacks(execute=True):
            post_rzp_webhook(api_client, event, "evt_partial")
        assert Payment.objects.get(kind="refund").status == refund_status
        assert ProviderEvent.objects.get(event_id="evt_partial").outcome.startswith("refund ")
        bill.refresh_from_db()
        assert bill.amount_paid == D(amount_paid)
        assert_money_invariants(bill)

    def test_money_back_on_a_void_bill_can_be_refunded_by_the_admin(
        self, keys, http, bill, customer_client, api_client, admin_client, django_capture_on_commit_callbacks
    ):
        rzp_checkout(customer_client, http, bill.booking_id)
        http.get(f"{fx.RAZORPAY_API}/payments/{RZP_PAYMENT}", json=fx.razorpay_payment(RZP_PAYMENT, RZP_ORDER, 50000))
        http.post(
            f"{fx.RAZORPAY_API}/payments/{RZP_PAYMENT}/refund",
            json=fx.razorpay_refund("rfnd_1", RZP_PAYMENT, 50000, "processed"),
        )
        with django_capture_on_commit_callbacks(execute=True):
            customer_client.post(PAY_CONFIRM, rzp_confirm_body(), format="json")
            customer_client.post(f"/api/v1/bookings/{bill.booking_id}/cancel", {}, format="json")
        bill.refresh_from_db()
        assert bill.status == "void"
        # The bank sends the refund back after all: the money is on the void bill again.
        failed = fx.razorpay_event("refund.failed", refund=fx.razorpay_refund("rfnd_1", RZP_PAYMENT, 50000, "failed"))
        with django_capture_on_commit_callbacks(execute=True):
            post_rzp_webhook(api_client, failed, "evt_bounced")
        bill.refresh_from_db()
        assert (bill.status, bill.amount_paid) == ("void", D("500.00"))
        http.post(
            f"{fx.RAZORPAY_API}/payments/{RZP_PAYMENT}/refund",
            json=fx.razorpay_refund("rfnd_2", RZP_PAYMENT, 50000, "processed"),
        )
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                reverse("admin:billing_payment_add"),
                {"billing_record": bill.pk, "kind": "refund", "amount": "500.00", "method": "online"},
            )
        assert response.status_code == 302, response.context and response.context["adminform"].form.errors
        again = Payment.objects.get(kind="refund", status="succeeded")
        assert again.provider_refund_id == "rfnd_2"
        bill.refresh_from_db()
        assert bill.amount_paid == 0
        assert_money_invariants(bill)

    def test_payment_twice_refunds_the_excess(
        self, keys, http, bill, customer_client, api_client, django_capture_on_commit_callbacks
    ):
        rzp_checkout(customer_client, http, bill.booking_id)
        PaymentOrder.objects.create(
            billing_record=bill, provider="razorpay", amount=D("500.00"), provider_order_id="order_second"
        )
        http.post(
            f"{fx.RAZORPAY_API}/payments/pay_second/refund", json=fx.razorpay_refund("rfnd_3", "pay_second", 50000)
        )
        with django_capture_on_commit_callbacks(execute=True):
            post_rzp_webhook(api_client, self_captured(RZP_PAYMENT, RZP_ORDER), "evt_a")
            post_rzp_webhook(api_client, self_captured("pay_second", "order_second"), "evt_b")
        bill.refresh_from_db()
        assert bill.amount_paid == D("500.00")
        assert Payment.objects.get(kind="refund").refund_of.provider_payment_id == "pay_second"
        assert_money_invariants(bill)


RZP_TOO_MUCH = "The refund amount provided is greater than amount captured"


def rzp_paid_online(http, customer_client, bill, django_capture_on_commit_callbacks):
    """The bill paid in full through Razorpay (checkout and confirmation)."""
    rzp_checkout(customer_client, http, bill.booking_id)
    http.get(f"{fx.RAZORPAY_API}/payments/{RZP_PAYMENT}", json=fx.razorpay_payment(RZP_PAYMENT, RZP_ORDER, 50000))
    with django_capture_on_commit_callbacks(execute=True):
        assert customer_client.post(PAY_CONFIRM, rzp_confirm_body(), format="json").status_code == 201


@pytest.mark.django_db
class TestRefusedRefunds:
    """A refund the provider refuses (a 4xx) is failed at once: never retried, never left pending."""

    def test_razorpay_refusal_fails_the_refund_at_once_and_tells_the_clinic_admin(
        self, keys, http, bill, customer_client, admin_client, django_capture_on_commit_callbacks
    ):
        clinic_admin = StaffProfileFactory(role=StaffRole.ADMIN).user
        collector = StaffProfileFactory(role=StaffRole.COLLECTOR).user
        rzp_paid_online(http, customer_client, bill, django_capture_on_commit_callbacks)
        refund_url = f"{fx.RAZORPAY_API}/payments/{RZP_PAYMENT}/refund"
        refused = http.post(refund_url, status=400, json=fx.razorpay_error(RZP_TOO_MUCH, field="amount"))
        with django_capture_on_commit_callbacks(execute=True):
            response = customer_client.post(f"/api/v1/bookings/{bill.booking_id}/cancel", {}, format="json")
        assert response.status_code == 200
        assert refused.call_count == 1  # asked once: a refusal is not retried
        refund = Payment.objects.get(kind="refund")
        assert (refund.status, refund.failure_reason) == ("failed", RZP_TOO_MUCH)
        bill.refresh_from_db()
        assert bill.amount_paid == D("500.00")  # counted as paid again
        assert bill.status != "void"
        assert_money_invariants(bill)
        told = clinic_admin.notifications.get(event_key=f"refund:{refund.pk}:failed")
        assert RZP_TOO_MUCH in told.body
        assert not collector.notifications.exists()
        # The admin shows it failed, in the provider's words, on the refund and on its bill.
        for url in (
            reverse("admin:billing_payment_change", args=[refund.pk]),
            reverse("admin:billing_billingrecord_change", args=[bill.pk]),
        ):
            page = admin_client.get(url).content.decode()
            assert "Failed" in page
            assert RZP_TOO_MUCH in page
        # Refundable again: the clinic admin refunds it once more, and this time Razorpay takes it.
        http.remove(refused)
        http.post(refund_url, json=fx.razorpay_refund("rfnd_again", RZP_PAYMENT, 50000, "processed"))
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                reverse("admin:billing_payment_add"),
                {"billing_record": bill.pk, "kind": "refund", "amount": "500.00", "method": "online"},
            )
        assert response.status_code == 302, response.context and response.context["adminform"].form.errors
        assert Payment.objects.get(kind="refund", status="succeeded").provider_refund_id == "rfnd_again"
        bill.refresh_from_db()
        assert (bill.amount_paid, bill.status) == (D("0.00"), "void")
        assert_money_invariants(bill)

    def test_stripe_refusal_fails_the_refund_at_once(
        self, keys, http, bill, customer_client, admin_user, django_capture_on_commit_callbacks
    ):
        http.post(f"{fx.STRIPE_API}/payment_intents", json=fx.stripe_intent(PI, 50000))
        customer_client.post(pay_url(bill.booking_id), {"provider": "stripe"}, format="json")
        http.get(f"{fx.STRIPE_API}/payment_intents/{PI}", json=fx.stripe_intent(PI, 50000, "succeeded"))
        message = "Charge ch_3MtwBwLkdIwHu7ix28a3tqPa has already been refunded."
        refused = http.post(
            f"{fx.STRIPE_API}/refunds", status=400, json=fx.stripe_error(message, code="charge_already_refunded")
        )
        with django_capture_on_commit_callbacks(execute=True):
            customer_client.post(PAY_CONFIRM, {"provider": "stripe", "payment_intent": PI}, format="json")
            bill_refund(record=bill, amount=D("200.00"), by=admin_user, reason="Sample not re-collected.")
        assert refused.call_count == 1
        refund = Payment.objects.get(kind="refund")
        assert (refund.status, refund.failure_reason) == ("failed", message)
        bill.refresh_from_db()
        assert bill.amount_paid == D("500.00")
        assert admin_user.notifications.filter(event_key=f"refund:{refund.pk}:failed").exists()
        assert_money_invariants(bill)

    def test_provider_down_keeps_the_refund_pending_for_a_retry(self, keys, http, customer):
        refund = unsent_razorpay_refund(customer)
        http.post(
            f"{fx.RAZORPAY_API}/payments/{RZP_PAYMENT}/refund",
            status=500,
            json=fx.razorpay_error("The server encountered an error.", code="SERVER_ERROR"),
        )
        with pytest.raises(ProviderError):
            refund_send(refund_id=refund.pk)
        refund.refresh_from_db()
        assert (refund.status, refund.failure_reason) == ("pending", "")
        assert refund.billing_record.amount_paid == D("300.00")


@pytest.mark.django_db
class TestRefundByMethod:
    """Staff choose how money goes back: a cash refund draws only on the cash taken, never on online payments."""

    def paid_half_cash_half_online(self, http, bill, customer_client, capture):
        payment_record(record=bill, amount=D("200.00"), method="cash")
        rzp_checkout(customer_client, http, bill.booking_id, paise=30000)
        http.get(f"{fx.RAZORPAY_API}/payments/{RZP_PAYMENT}", json=fx.razorpay_payment(RZP_PAYMENT, RZP_ORDER, 30000))
        with capture(execute=True):
            assert customer_client.post(PAY_CONFIRM, rzp_confirm_body(), format="json").status_code == 201
        bill.refresh_from_db()
        assert bill.amount_paid == D("500.00")

    def test_cash_refund_above_the_cash_taken_is_refused_on_the_form(
        self, keys, http, bill, customer_client, admin_client, django_capture_on_commit_callbacks
    ):
        self.paid_half_cash_half_online(http, bill, customer_client, django_capture_on_commit_callbacks)
        refund_url = http.post(
            f"{fx.RAZORPAY_API}/payments/{RZP_PAYMENT}/refund",
            json=fx.razorpay_refund("rfnd_online", RZP_PAYMENT, 30000, "processed"),
        )
        add = reverse("admin:billing_payment_add")
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                add, {"billing_record": bill.pk, "kind": "refund", "amount": "500.00", "method": "cash"}
            )
        assert response.status_code == 200
        [error] = response.context["adminform"].form.errors["amount"]
        assert error.startswith("Refunds by Cash on this bill: at most 200.00")
        assert "choose Online" in error
        assert not Payment.objects.filter(kind="refund").exists()
        assert refund_url.call_count == 0  # nothing sent online
        # The record-payment action's form says the same, and records nothing either.
        action = admin_client.post(
            reverse("admin:billing_billingrecord_changelist"),
            {
                "action": "record_payment",
                "_selected_action": [bill.pk],
                "apply": "Record",
                "kind": "refund",
                "amount": "200.01",
                "method": "cash",
            },
        )
        assert action.status_code == 200
        assert action.context["form"].errors["amount"][0].startswith("Refunds by Cash on this bill: at most 200.00")
        assert not Payment.objects.filter(kind="refund").exists()
        # Cash back up to the cash taken, and the rest online when chosen explicitly.
        with django_capture_on_commit_callbacks(execute=True):
            cash = admin_client.post(
                add, {"billing_record": bill.pk, "kind": "refund", "amount": "200.00", "method": "cash"}
            )
            online = admin_client.post(
                add, {"billing_record": bill.pk, "kind": "refund", "amount": "300.00", "method": "online"}
            )
        assert (cash.status_code, online.status_code) == (302, 302)
        refunds = Payment.objects.filter(kind="refund").order_by("pk")
        assert [(r.method, r.amount, r.status) for r in refunds] == [
            ("cash", D("200.00"), "succeeded"),
            ("online", D("300.00"), "succeeded"),
        ]
        assert refund_url.call_count == 1
        bill.refresh_from_db()
        assert bill.amount_paid == D("0.00")
        assert_money_invariants(bill)


def unsent_razorpay_refund(customer) -> Payment:
    """A bill paid online with a refund of 200.00 recorded and not sent to Razorpay yet (its task not run)."""
    bill = BillingRecordFactory(booking__user=customer)
    payment = Payment.objects.create(
        billing_record=bill,
        kind="payment",
        amount=D("500.00"),
        method="online",
        status="succeeded",
        reference=RZP_PAYMENT,
        received_at=bill.created_at,
        provider="razorpay",
        provider_order_id=RZP_ORDER,
        provider_payment_id=RZP_PAYMENT,
    )
    BillingRecord.objects.filter(pk=bill.pk).update(amount_paid=D("300.00"))
    return Payment.objects.create(
        billing_record=bill,
        kind="refund",
        amount=D("200.00"),
        method="online",
        status="pending",
        reference=RZP_PAYMENT,
        received_at=bill.created_at,
        provider="razorpay",
        provider_order_id=RZP_ORDER,
        refund_of=payment,
    )


@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_ask_the_provider_once(keys, http, customer):
    refund = unsent_razorpay_refund(customer)

    def slow_refund(request):  # the provider thinks for a moment: the second sender arrives meanwhile
        time.sleep(0.5)
        return 200, {}, fx.dumps(fx.razorpay_refund("rfnd_once", RZP_PAYMENT, 20000, "processed"))

    http.add_callback(responses.POST, f"{fx.RAZORPAY_API}/payments/{RZP_PAYMENT}/refund", callback=slow_refund)
    run_concurrently([lambda: refund_send(refund_id=refund.pk), lambda: refund_send(refund_id=refund.pk)])
    assert len(http.calls) == 1
    refund.refresh_from_db()
    assert (refund.status, refund.provider_refund_id) == ("succeeded", "rfnd_once")
    # Sent: a later sender (the reconciliation) does not ask again.
    refund_send(refund_id=refund.pk)
    assert len(http.calls) == 1


def self_captured(payment_id, order_id):
    return fx.razorpay_event("payment.captured", payment=fx.razorpay_payment(payment_id, order_id, 50000))


@pytest.mark.django_db
def test_reconcile_records_what_the_webhooks_missed_once(keys, http, bill, customer_client):
    rzp_checkout(customer_client, http, bill.booking_id)
    http.get(
        f"{fx.RAZORPAY_API}/payments",
        json={"entity": "collection", "count": 1, "items": [fx.razorpay_payment(RZP_PAYMENT, RZP_ORDER, 50000)]},
    )
    http.get(f"{fx.RAZORPAY_API}/refunds", json={"entity": "collection", "count": 0, "items": []})
    http.get(
        f"{fx.STRIPE_API}/payment_intents",
        json={"object": "list", "data": [], "has_more": False, "url": "/v1/payment_intents"},
    )
    http.get(f"{fx.STRIPE_API}/refunds", json={"object": "list", "data": [], "has_more": False, "url": "/v1/refunds"})
    out = io.StringIO()
    call_command("payments_reconcile", "--since", "2026-01-01", stdout=out)
    call_command("payments_reconcile", "--since", "2026-01-01T00:00:00+05:30", stdout=out)
    assert f"recorded payment {RZP_PAYMENT}" in out.getvalue()
    assert Payment.objects.count() == 1
    bill.refresh_from_db()
    assert bill.amount_paid == D("500.00")


@pytest.mark.django_db
def test_orders_and_events_are_read_only_in_the_admin(keys, http, bill, customer_client, admin_client):
    rzp_checkout(customer_client, http, bill.booking_id)
    event = ProviderEvent.objects.create(
        provider="razorpay", event_id="evt_1", event_type="payment.captured", payload={}, received_at=bill.created_at
    )
    order = PaymentOrder.objects.get()
    for model, obj in (("paymentorder", order), ("providerevent", event)):
        changelist = reverse(f"admin:billing_{model}_changelist")
        assert admin_client.get(changelist).status_code == 200
        assert admin_client.get(changelist, {"q": "evt_1"}).status_code == 200
        assert admin_client.get(reverse(f"admin:billing_{model}_add")).status_code == 403
        page = admin_client.get(reverse(f"admin:billing_{model}_change", args=[obj.pk]))
        assert page.status_code == 200
        assert b'name="_save"' not in page.content
