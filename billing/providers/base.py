"""What every payment provider offers the billing services: one small interface, one class per provider.

Amounts cross this interface as ``Decimal`` rupees; each provider converts to its smallest unit (paise) itself.
Providers never touch the database: they talk to the provider (through its official SDK) and return plain data
that ``billing.gateway`` records.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from diagnopet.errors import DomainError, ValidationFailed


class ProviderUnavailable(DomainError):
    """The provider is not configured here (HTTP 400: the client asked for something not offered)."""

    default_code = "payment_provider_unavailable"


class ProviderError(DomainError):
    """The provider refused the call or could not be reached (HTTP 502); nothing was recorded."""

    status_code = 502
    default_code = "payment_provider_error"


class ProviderRefused(ProviderError):
    """The provider answered the call with a refusal (an HTTP 4xx: a refund above what it captured, a payment
    it does not know): asking again would get the same answer, so it is not retried. ``reason`` is the provider's
    own message. A 5xx, a timeout or a lost connection stays a plain ``ProviderError`` (worth retrying)."""

    def __init__(self, message: str, *, reason: str = ""):
        super().__init__(message)
        self.reason = reason or message


class SignatureInvalid(ValidationFailed):
    """A confirmation or webhook whose signature does not verify (HTTP 400)."""

    default_code = "invalid_signature"


@dataclass(frozen=True)
class Checkout:
    """A provider order made for a checkout, and what the app needs to open the provider's payment sheet."""

    provider_order_id: str
    amount: Decimal
    currency: str
    client_secret: str = ""


@dataclass(frozen=True)
class ProviderPayment:
    """A payment as the provider reports it. ``captured``: the money is taken (only then is it recorded).
    ``authorized``: the customer's bank holds the money for us, and it is taken only when we capture it
    (``PaymentProvider.capture``, once the gateway knows the order is ours and the caller's)."""

    provider_payment_id: str
    provider_order_id: str
    amount: Decimal
    currency: str
    captured: bool
    method: str = ""
    failed: bool = False
    authorized: bool = False


@dataclass(frozen=True)
class ProviderRefund:
    """A refund as the provider reports it. ``status``: ``succeeded``, ``pending`` or ``failed``."""

    provider_refund_id: str
    provider_payment_id: str
    amount: Decimal
    status: str


# The longest event id stored (``ProviderEvent.event_id``): a longer one is refused as the webhook is read.
EVENT_ID_MAX_LENGTH = 100


@dataclass(frozen=True)
class WebhookEvent:
    """A verified webhook event: its id (for storing it once), type, raw payload, and what it is about."""

    event_id: str
    event_type: str
    payload: dict
    payment: ProviderPayment | None = None
    refund: ProviderRefund | None = None


@dataclass(frozen=True)
class ProviderActivity:
    """Payments and refunds the provider has since a moment (for reconciling what the webhooks missed)."""

    payments: list[ProviderPayment] = field(default_factory=list)
    refunds: list[ProviderRefund] = field(default_factory=list)


def to_minor_units(amount: Decimal) -> int:
    """Rupees to paise (both providers take INR in paise). ``amount`` has 2 places (money fields do)."""
    return int((Decimal(amount) * 100).to_integral_value())


def from_minor_units(value: int) -> Decimal:
    return (Decimal(int(value)) / 100).quantize(Decimal("0.01"))


class PaymentProvider:
    """The interface. ``name`` is the ``billing.models.Provider`` value; ``online`` providers take money through
    the app (checkout, confirmation, webhooks); the manual one records what staff took."""

    name: str = ""
    online: bool = True
    # What the app opens the provider's checkout with (Razorpay key id, Stripe publishable key): public by design.
    public_key: str = ""

    def create_order(self, *, bill, amount: Decimal, currency: str, receipt: str) -> Checkout:
        """Make the provider's order for ``amount`` of ``bill``; ``receipt`` is our reference for it."""
        raise NotImplementedError

    def verify_confirmation(self, payload: dict) -> ProviderPayment:
        """Check what the app sent after checkout with the provider and return the payment it proves
        (``SignatureInvalid`` when it proves nothing). Only reads: a payment still ``authorized`` is not captured
        here, since whose order it is has not been checked yet (``billing.gateway`` does, then calls ``capture``)."""
        raise NotImplementedError

    def capture(self, payment: ProviderPayment) -> ProviderPayment:
        """Take the money of an ``authorized`` payment (all of it) and return the payment as it is now; one already
        captured (by a webhook's capture, at the same moment) is returned as it is."""
        raise NotImplementedError

    def parse_webhook(self, *, body: bytes, headers) -> WebhookEvent:
        """Verify a webhook's signature (``SignatureInvalid`` when it fails) and read the event."""
        raise NotImplementedError

    def read_event(self, *, event_id: str, event_type: str, payload: dict) -> WebhookEvent:
        """A verified event's payload read: what payment or refund it is about (also for a stored event)."""
        raise NotImplementedError

    def refund(self, *, provider_payment_id: str, amount: Decimal, reference: str) -> ProviderRefund:
        """Ask the provider to give ``amount`` of a payment back; ``reference`` makes a retry not refund twice."""
        raise NotImplementedError

    def fetch_payments(self, *, since: datetime.datetime) -> ProviderActivity:
        """Payments and refunds made since ``since`` (reconciliation)."""
        raise NotImplementedError
