"""Payment providers behind one interface (``billing.providers.base.PaymentProvider``).

Razorpay and Stripe are offered only when their keys are set (``diagnopet/settings.py``, README "Payments"); the
manual provider (door and desk) always is. ``provider_get`` answers ``ProviderUnavailable`` (400
``payment_provider_unavailable``) for one that is not configured.
"""

from django.conf import settings

from billing.providers.base import (
    Checkout,
    PaymentProvider,
    ProviderActivity,
    ProviderError,
    ProviderPayment,
    ProviderRefund,
    ProviderRefused,
    ProviderUnavailable,
    SignatureInvalid,
    WebhookEvent,
)
from billing.providers.manual import ManualProvider
from billing.providers.razorpay_provider import RazorpayProvider
from billing.providers.stripe_provider import StripeProvider

__all__ = [
    "Checkout",
    "PaymentProvider",
    "ProviderActivity",
    "ProviderError",
    "ProviderPayment",
    "ProviderRefund",
    "ProviderRefused",
    "ProviderUnavailable",
    "SignatureInvalid",
    "WebhookEvent",
    "online_providers",
    "provider_get",
]


def _build(name: str) -> PaymentProvider | None:
    # Built per call from settings (cheap; nothing kept in process memory between requests).
    if name == "razorpay" and settings.RAZORPAY_KEY_ID and settings.RAZORPAY_KEY_SECRET:
        return RazorpayProvider(
            key_id=settings.RAZORPAY_KEY_ID,
            key_secret=settings.RAZORPAY_KEY_SECRET,
            webhook_secret=settings.RAZORPAY_WEBHOOK_SECRET,
        )
    if name == "stripe" and settings.STRIPE_SECRET_KEY:
        return StripeProvider(
            secret_key=settings.STRIPE_SECRET_KEY,
            publishable_key=settings.STRIPE_PUBLISHABLE_KEY,
            webhook_secret=settings.STRIPE_WEBHOOK_SECRET,
        )
    if name == "manual":
        return ManualProvider()
    return None


def provider_get(name: str, *, webhooks: bool = False) -> PaymentProvider:
    """The provider called ``name`` as configured here; ``webhooks``: its webhook secret must be set too."""
    provider = _build(name)
    if provider is None or (webhooks and not getattr(provider, "webhook_secret", "")):
        raise ProviderUnavailable(f"Payments through {name!r} are not available here.", field="provider")
    return provider


def online_providers() -> list[PaymentProvider]:
    """The online providers configured here (for reconciling)."""
    return [p for p in (_build("razorpay"), _build("stripe")) if p is not None]
