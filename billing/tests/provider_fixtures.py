"""Recorded-shape requests and answers of the providers' APIs (test mode), and real signatures over them.

The shapes follow the providers' API references (Razorpay Orders/Payments/Refunds/Webhooks, Stripe
PaymentIntents/Refunds/Events); ids are made up. Only HTTP is faked (``responses``): the SDKs run for real.
Signatures are computed here the way the providers compute them, so the SDKs' verification is really exercised.
"""

import hashlib
import hmac
import json
import time

RAZORPAY_API = "https://api.razorpay.com/v1"
STRIPE_API = "https://api.stripe.com/v1"

RAZORPAY_KEYS = {
    "RAZORPAY_KEY_ID": "rzp_test_1DP5mmOlF5G5ag",
    "RAZORPAY_KEY_SECRET": "thisissupersecret",
    "RAZORPAY_WEBHOOK_SECRET": "whsec-razorpay-test",
}
STRIPE_KEYS = {
    "STRIPE_SECRET_KEY": "sk_test_51Mtw0000000000000000000000",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_51Mtw0000000000000000000000",
    "STRIPE_WEBHOOK_SECRET": "whsec_test_secret_for_stripe",
}


def razorpay_order(order_id: str, paise: int, receipt: str = "bill-1-abc") -> dict:
    return {
        "id": order_id,
        "entity": "order",
        "amount": paise,
        "amount_paid": 0,
        "amount_due": paise,
        "currency": "INR",
        "receipt": receipt,
        "offer_id": None,
        "status": "created",
        "attempts": 0,
        "notes": {"bill": "1"},
        "created_at": 1639036896,
    }


def razorpay_payment(payment_id: str, order_id: str, paise: int, status: str = "captured") -> dict:
    return {
        "id": payment_id,
        "entity": "payment",
        "amount": paise,
        "currency": "INR",
        "status": status,
        "order_id": order_id,
        "invoice_id": None,
        "international": False,
        "method": "upi",
        "amount_refunded": 0,
        "refund_status": None,
        "captured": status == "captured",
        "description": "DiagnoPet booking",
        "card_id": None,
        "bank": None,
        "wallet": None,
        "vpa": "success@razorpay",
        "email": "owner@example.com",
        "contact": "+919812345678",
        "notes": [],
        "fee": 1180,
        "tax": 180,
        "error_code": None,
        "error_description": None,
        "created_at": 1639036900,
    }


def razorpay_refund(refund_id: str, payment_id: str, paise: int, status: str = "processed") -> dict:
    return {
        "id": refund_id,
        "entity": "refund",
        "amount": paise,
        "receipt": "refund-1",
        "currency": "INR",
        "payment_id": payment_id,
        "notes": {},
        "acquirer_data": {"arn": None},
        "created_at": 1597078866,
        "batch_id": None,
        "status": status,
        "speed_processed": "normal",
        "speed_requested": "normal",
    }


def razorpay_event(event: str, *, payment: dict | None = None, refund: dict | None = None) -> dict:
    payload, contains = {}, []
    if refund is not None:
        payload["refund"], contains = {"entity": refund}, [*contains, "refund"]
    if payment is not None:
        payload["payment"], contains = {"entity": payment}, [*contains, "payment"]
    return {
        "entity": "event",
        "account_id": "acc_BFQ7uQEaa7j2z7",
        "event": event,
        "contains": contains,
        "payload": payload,
        "created_at": 1639036910,
    }


def razorpay_signature(message: str, secret: str) -> str:
    """HMAC-SHA256 hex, as Razorpay signs checkouts (``order_id|payment_id`` with the key secret) and webhooks (the
    raw body with the webhook secret)."""
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def stripe_intent(intent_id: str, paise: int, status: str = "requires_payment_method") -> dict:
    return {
        "id": intent_id,
        "object": "payment_intent",
        "amount": paise,
        "amount_capturable": 0,
        "amount_received": paise if status == "succeeded" else 0,
        "automatic_payment_methods": {"allow_redirects": "always", "enabled": True},
        "capture_method": "automatic",
        "client_secret": f"{intent_id}_secret_YrKJUKribcBjcG8HVhfZluoGH",
        "confirmation_method": "automatic",
        "created": 1680800504,
        "currency": "inr",
        "last_payment_error": None,
        "latest_charge": "ch_3MtwBwLkdIwHu7ix28a3tqPa" if status == "succeeded" else None,
        "livemode": False,
        "metadata": {"bill": "1"},
        "payment_method": None,
        "payment_method_types": ["card"],
        "status": status,
    }


def stripe_refund(refund_id: str, intent_id: str, paise: int, status: str = "succeeded") -> dict:
    return {
        "id": refund_id,
        "object": "refund",
        "amount": paise,
        "balance_transaction": "txn_1Nispe2eZvKYlo2Cd31jOCgZ",
        "charge": "ch_3MtwBwLkdIwHu7ix28a3tqPa",
        "created": 1692942318,
        "currency": "inr",
        "metadata": {},
        "payment_intent": intent_id,
        "reason": None,
        "status": status,
    }


def stripe_event(event_id: str, event_type: str, obj: dict) -> dict:
    return {
        "id": event_id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": 1680800600,
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def stripe_signature_header(body: str, secret: str, timestamp: int | None = None) -> str:
    """``Stripe-Signature`` as Stripe builds it: ``t=<ts>,v1=<HMAC-SHA256(secret, "<ts>.<body>")>``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def dumps(data: dict) -> str:
    return json.dumps(data, separators=(",", ":"))


def razorpay_error(description: str, *, code: str = "BAD_REQUEST_ERROR", field: str | None = None) -> dict:
    """A Razorpay error answer (a 4xx carries ``BAD_REQUEST_ERROR``; a 5xx ``SERVER_ERROR``)."""
    return {
        "error": {
            "code": code,
            "description": description,
            "source": "business" if code == "BAD_REQUEST_ERROR" else "internal",
            "step": "payment_initiation",
            "reason": "input_validation_failed" if code == "BAD_REQUEST_ERROR" else "server_error",
            "metadata": {},
            "field": field,
        }
    }


def stripe_error(message: str, *, code: str, error_type: str = "invalid_request_error") -> dict:
    """A Stripe error answer (``type`` ``invalid_request_error`` with HTTP 400 or 404)."""
    return {
        "error": {
            "code": code,
            "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
            "message": message,
            "request_log_url": "https://dashboard.stripe.com/test/logs/req_Qn1aPm8KgZ4Y2c?t=1692942318",
            "type": error_type,
        }
    }
