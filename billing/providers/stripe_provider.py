"""Stripe through its official SDK (``stripe``): PaymentIntents, webhooks (``stripe.Webhook.construct_event``),
refunds. INR in paise.

Checkout (the app): Stripe's Payment Sheet / Payment Element opened with ``publishable_key`` and the
PaymentIntent's ``client_secret``; afterwards the app posts the ``payment_intent`` id to ``payments/confirm``,
and the server retrieves the PaymentIntent from Stripe and checks that it succeeded (nothing the app says about
the amount or status is believed).
"""

import datetime
import json
from decimal import Decimal

import stripe
from django.conf import settings

from billing.providers.base import (
    Checkout,
    PaymentProvider,
    ProviderActivity,
    ProviderError,
    ProviderPayment,
    ProviderRefund,
    ProviderRefused,
    SignatureInvalid,
    WebhookEvent,
    from_minor_units,
    to_minor_units,
)

# Stripe's refund statuses → ours ("requires_action" waits on the customer: still pending).
REFUND_STATUS = {"succeeded": "succeeded", "failed": "failed", "canceled": "failed"}
# 4xx answers that may pass when asked again: a conflicting concurrent request (same idempotency key), rate limits.
RETRYABLE_4XX = frozenset({409, 429})


def _refused(exc: stripe.StripeError) -> bool:
    """Stripe refused the request itself (a 4xx: invalid request, card declined, bad key), rather than failing to
    answer it (5xx, no connection: ``http_status`` None or ≥ 500)."""
    status = exc.http_status
    return status is not None and 400 <= status < 500 and status not in RETRYABLE_4XX


class StripeProvider(PaymentProvider):
    name = "stripe"

    def __init__(self, *, secret_key: str, publishable_key: str, webhook_secret: str):
        self.public_key = publishable_key
        self.webhook_secret = webhook_secret
        self.client = stripe.StripeClient(
            secret_key,
            http_client=stripe.RequestsClient(timeout=settings.PAYMENT_PROVIDER_TIMEOUT),
            max_network_retries=2,
        )

    @staticmethod
    def _call(function, **kwargs):
        try:
            return function(**kwargs)
        except stripe.StripeError as exc:
            message = exc.user_message or str(exc)
            if _refused(exc):
                raise ProviderRefused(f"Stripe refused the request: {message}", reason=message) from exc
            raise ProviderError(f"Stripe did not accept the request: {message}") from exc

    def create_order(self, *, bill, amount: Decimal, currency: str, receipt: str) -> Checkout:
        intent = self._call(
            self.client.v1.payment_intents.create,
            params={
                "amount": to_minor_units(amount),
                "currency": currency.lower(),
                "automatic_payment_methods": {"enabled": True},
                "metadata": {"bill": str(bill.pk), "receipt": receipt},
            },
            # A retried request (a timeout after Stripe made it) returns the same PaymentIntent.
            options={"idempotency_key": receipt},
        )
        return Checkout(
            provider_order_id=intent.id,
            amount=from_minor_units(intent.amount),
            currency=intent.currency.upper(),
            client_secret=intent.client_secret,
        )

    def verify_confirmation(self, payload: dict) -> ProviderPayment:
        intent_id = payload.get("payment_intent")
        if not isinstance(intent_id, str) or not intent_id.startswith("pi_"):
            raise SignatureInvalid("Send the payment_intent id.")
        try:
            intent = self.client.v1.payment_intents.retrieve(intent_id)
        except stripe.InvalidRequestError as exc:
            raise SignatureInvalid("Stripe does not know this payment.") from exc
        except stripe.StripeError as exc:
            raise ProviderError(f"Stripe could not be asked about the payment: {exc}") from exc
        return self._payment(intent.to_dict())

    def capture(self, payment: ProviderPayment) -> ProviderPayment:
        # PaymentIntents are made with automatic capture: Stripe takes the money itself, none is ever authorized.
        raise ProviderError("Stripe payments are captured by Stripe; there is nothing to capture.")

    def parse_webhook(self, *, body: bytes, headers) -> WebhookEvent:
        try:
            event = stripe.Webhook.construct_event(body, headers.get("Stripe-Signature", ""), self.webhook_secret)
        except (stripe.SignatureVerificationError, ValueError) as exc:
            raise SignatureInvalid("The webhook signature does not match.") from exc
        return self.read_event(event_id=event.id, event_type=event.type, payload=json.loads(body))

    def read_event(self, *, event_id: str, event_type: str, payload: dict) -> WebhookEvent:
        obj = (payload.get("data") or {}).get("object") or {}
        payment = refund = None
        if event_type.startswith("payment_intent."):
            payment = self._payment(obj)
        elif event_type.startswith("refund.") or event_type == "charge.refund.updated":
            refund = self._refund(obj)
        return WebhookEvent(event_id=event_id, event_type=event_type, payload=payload, payment=payment, refund=refund)

    def refund(self, *, provider_payment_id: str, amount: Decimal, reference: str) -> ProviderRefund:
        refund = self._call(
            self.client.v1.refunds.create,
            params={
                "payment_intent": provider_payment_id,
                "amount": to_minor_units(amount),
                "metadata": {"reference": reference},
            },
            options={"idempotency_key": reference},
        )
        return self._refund(refund.to_dict())

    def fetch_payments(self, *, since: datetime.datetime) -> ProviderActivity:
        created = {"gte": int(since.timestamp())}
        intents = self._call(self.client.v1.payment_intents.list, params={"created": created, "limit": 100})
        refunds = self._call(self.client.v1.refunds.list, params={"created": created, "limit": 100})
        try:
            return ProviderActivity(
                payments=[self._payment(i.to_dict()) for i in intents.auto_paging_iter()],
                refunds=[self._refund(r.to_dict()) for r in refunds.auto_paging_iter()],
            )
        except stripe.StripeError as exc:
            raise ProviderError(f"Stripe could not list payments: {exc}") from exc

    @staticmethod
    def _payment(intent: dict) -> ProviderPayment:
        # The PaymentIntent is the payment: its id is what refunds name, and it is also the "order".
        status = intent.get("status")
        return ProviderPayment(
            provider_payment_id=intent["id"],
            provider_order_id=intent["id"],
            amount=from_minor_units(intent.get("amount_received") or intent["amount"]),
            currency=str(intent["currency"]).upper(),
            captured=status == "succeeded",
            failed=status in ("canceled", "requires_payment_method") and bool(intent.get("last_payment_error")),
            method="card",
        )

    @staticmethod
    def _refund(refund: dict) -> ProviderRefund:
        return ProviderRefund(
            provider_refund_id=refund["id"],
            provider_payment_id=refund.get("payment_intent") or "",
            amount=from_minor_units(refund["amount"]),
            status=REFUND_STATUS.get(refund.get("status"), "pending"),
        )
