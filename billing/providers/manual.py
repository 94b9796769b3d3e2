"""Money taken or given back by staff at the door or the desk (cash, card on the clinic's terminal, UPI to the
clinic's account): nothing to ask anyone. A refund is pending until the clinic admin marks it done in the admin."""

from decimal import Decimal

from billing.providers.base import PaymentProvider, ProviderRefund, ProviderUnavailable


class ManualProvider(PaymentProvider):
    name = "manual"
    online = False

    def create_order(self, **kwargs):
        raise ProviderUnavailable("Pay at the door or the desk; there is nothing to check out online.")

    def verify_confirmation(self, payload):
        raise ProviderUnavailable("Payments at the door or desk are recorded by staff.")

    def parse_webhook(self, **kwargs):
        raise ProviderUnavailable("No webhooks for payments at the door or desk.")

    def refund(self, *, provider_payment_id: str, amount: Decimal, reference: str) -> ProviderRefund:
        # Handed back at the desk: pending until the clinic admin marks it done.
        return ProviderRefund(provider_refund_id="", provider_payment_id="", amount=amount, status="pending")

    def fetch_payments(self, **kwargs):
        raise ProviderUnavailable("Nothing to reconcile for payments at the door or desk.")
