"""Razorpay through its official SDK (``razorpay``): orders, payment signatures, webhooks, refunds. INR in paise.

Checkout (the app): Razorpay Checkout opened with ``key_id`` and ``order_id``; it hands back
``razorpay_order_id``, ``razorpay_payment_id`` and ``razorpay_signature``, which the app posts to
``payments/confirm``. Signatures are checked by the SDK's ``Utility`` (never by hand).
"""

import datetime
import json
from decimal import Decimal

import razorpay
import requests
from django.conf import settings
from razorpay.errors import BadRequestError, GatewayError, ServerError, SignatureVerificationError

from billing.providers.base import (
    EVENT_ID_MAX_LENGTH,
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

# The SDK raises BadRequestError for Razorpay's 4xx answers (its error code BAD_REQUEST_ERROR): a refusal, the same
# whenever asked. GatewayError, ServerError (5xx, or an answer without a known code), requests' errors (a timeout, a
# lost connection) and ValueError (a body that is not JSON) may pass when asked again.
TRANSIENT_ERRORS = (GatewayError, ServerError, requests.RequestException, ValueError)
# Razorpay's refund statuses → ours.
REFUND_STATUS = {"processed": "succeeded", "pending": "pending", "created": "pending", "failed": "failed"}
PAGE = 100


class RazorpayProvider(PaymentProvider):
    name = "razorpay"

    def __init__(self, *, key_id: str, key_secret: str, webhook_secret: str):
        self.public_key = key_id
        self.webhook_secret = webhook_secret
        self.client = razorpay.Client(auth=(key_id, key_secret))

    def _call(self, function, *args, **options):
        try:
            return function(*args, timeout=settings.PAYMENT_PROVIDER_TIMEOUT, **options)
        except BadRequestError as exc:
            raise ProviderRefused(f"Razorpay refused the request: {exc}", reason=str(exc)) from exc
        except TRANSIENT_ERRORS as exc:
            raise ProviderError(f"Razorpay did not accept the request: {exc}") from exc

    def create_order(self, *, bill, amount: Decimal, currency: str, receipt: str) -> Checkout:
        order = self._call(
            self.client.order.create,
            {
                "amount": to_minor_units(amount),
                "currency": currency,
                "receipt": receipt,
                "notes": {"bill": str(bill.pk)},
            },
        )
        return Checkout(
            provider_order_id=order["id"],
            amount=from_minor_units(order["amount"]),
            currency=order["currency"],
        )

    def verify_confirmation(self, payload: dict) -> ProviderPayment:
        fields = ("razorpay_order_id", "razorpay_payment_id", "razorpay_signature")
        if not all(isinstance(payload.get(name), str) and payload.get(name) for name in fields):
            raise SignatureInvalid("Send razorpay_order_id, razorpay_payment_id and razorpay_signature.")
        try:
            self.client.utility.verify_payment_signature({name: payload[name] for name in fields})
        except (SignatureVerificationError, TypeError) as exc:  # TypeError: the SDK's compare of non-ASCII text
            raise SignatureInvalid("The payment signature does not match.") from exc
        payment = self._call(self.client.payment.fetch, payload["razorpay_payment_id"])
        if payment.get("order_id") != payload["razorpay_order_id"]:
            raise SignatureInvalid("The payment is not for this order.")
        return self._payment(payment)

    def capture(self, payment: ProviderPayment) -> ProviderPayment:
        # Accounts that do not capture automatically leave a payment "authorized" until we capture it.
        try:
            captured = self._call(
                self.client.payment.capture,
                payment.provider_payment_id,
                to_minor_units(payment.amount),
                {"currency": payment.currency},
            )
        except ProviderRefused:
            # "This payment has already been captured": a confirmation and a webhook capturing at once. Read it
            # again; anything else it was refused for stands.
            captured = self._call(self.client.payment.fetch, payment.provider_payment_id)
            if captured.get("status") != "captured":
                raise
        return self._payment(captured)

    def parse_webhook(self, *, body: bytes, headers) -> WebhookEvent:
        signature = headers.get("X-Razorpay-Signature", "")
        text = body.decode("utf-8", errors="replace")
        try:
            self.client.utility.verify_webhook_signature(text, signature, self.webhook_secret)
        except (SignatureVerificationError, TypeError) as exc:  # TypeError: the SDK's compare of non-ASCII text
            raise SignatureInvalid("The webhook signature does not match.") from exc
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise SignatureInvalid("The webhook body is not JSON.") from exc
        if not isinstance(data, dict):
            raise SignatureInvalid("The webhook body is not a JSON object.")
        event_type = str(data.get("event", ""))
        # Razorpay sends the event's id in a header (the body has none); a retried delivery keeps it.
        event_id = headers.get("X-Razorpay-Event-Id", "")
        if not event_id:
            raise SignatureInvalid("The webhook has no X-Razorpay-Event-Id header.")
        if len(event_id) > EVENT_ID_MAX_LENGTH:  # not Razorpay's (the header is not signed): not stored
            raise SignatureInvalid("The webhook's X-Razorpay-Event-Id is not a Razorpay event id.")
        return self.read_event(event_id=event_id, event_type=event_type, payload=data)

    def read_event(self, *, event_id: str, event_type: str, payload: dict) -> WebhookEvent:
        inner = payload.get("payload") or {}
        payment = (inner.get("payment") or {}).get("entity")
        refund = (inner.get("refund") or {}).get("entity")
        return WebhookEvent(
            event_id=event_id,
            event_type=event_type,
            payload=payload,
            payment=self._payment(payment) if payment else None,
            refund=self._refund(refund) if refund else None,
        )

    def refund(self, *, provider_payment_id: str, amount: Decimal, reference: str) -> ProviderRefund:
        # The idempotency header makes a retried request (a lost answer, a task retried) return the refund made the
        # first time instead of a second one; ``receipt`` alone does not. The SDK passes ``headers`` to requests.
        refund = self._call(
            self.client.payment.refund,
            provider_payment_id,
            {"amount": to_minor_units(amount), "receipt": reference, "notes": {"reference": reference}},
            headers={"X-Refund-Idempotency": reference},
        )
        return self._refund(refund)

    def fetch_payments(self, *, since: datetime.datetime) -> ProviderActivity:
        start = int(since.timestamp())
        return ProviderActivity(
            payments=[self._payment(p) for p in self._all(self.client.payment.all, start)],
            refunds=[self._refund(r) for r in self._all(self.client.refund.all, start)],
        )

    def _all(self, function, start: int) -> list[dict]:
        rows, skip = [], 0
        while True:
            page = self._call(function, {"from": start, "count": PAGE, "skip": skip})
            items = page.get("items", [])
            rows += items
            if len(items) < PAGE:
                return rows
            skip += PAGE

    @staticmethod
    def _payment(entity: dict) -> ProviderPayment:
        return ProviderPayment(
            provider_payment_id=entity["id"],
            provider_order_id=entity.get("order_id") or "",
            amount=from_minor_units(entity["amount"]),
            currency=entity.get("currency", "INR"),
            captured=entity.get("status") == "captured",
            failed=entity.get("status") == "failed",
            authorized=entity.get("status") == "authorized",
            method=entity.get("method") or "",
        )

    @staticmethod
    def _refund(entity: dict) -> ProviderRefund:
        return ProviderRefund(
            provider_refund_id=entity["id"],
            provider_payment_id=entity.get("payment_id") or "",
            amount=from_minor_units(entity["amount"]),
            status=REFUND_STATUS.get(entity.get("status", ""), "pending"),
        )
