"""Billing's Celery tasks: periodic housekeeping (scheduled by CELERY_BEAT_SCHEDULE) and the invoice and receipt
PDFs (queued after commit by billing.documents). Thin wrappers around services."""

from celery import shared_task

from billing.documents import invoice_document_render, receipt_document_render
from billing.gateway import provider_event_process, provider_events_retry, refund_send
from billing.providers import ProviderError
from billing.services import category_totals_rebuild


@shared_task(acks_late=True)
def category_totals_rebuild_task() -> int:
    # A whole rebuild each time: a missed tick leaves nothing behind for the next one to catch up on.
    return category_totals_rebuild()


# Rendering again is harmless (an existing document is returned as it is): safe to retry and to run late.
@shared_task(acks_late=True)
def invoice_render_task(record_id: int) -> int | None:
    document = invoice_document_render(record_id=record_id)
    return document.pk if document else None


@shared_task(acks_late=True)
def receipt_render_task(payment_id: int) -> int | None:
    document = receipt_document_render(payment_id=payment_id)
    return document.pk if document else None


@shared_task(acks_late=True)
def provider_event_process_task(event_id: int) -> str:
    """Apply one stored provider event (queued after the webhook's commit)."""
    return provider_event_process(event_id=event_id).outcome


@shared_task(acks_late=True)
def provider_events_retry_task(provider_name: str) -> int:
    """Events that waited for a payment (a refund that came first), tried again once the payment is recorded."""
    return provider_events_retry(provider_name=provider_name)


@shared_task(acks_late=True, autoretry_for=(ProviderError,), retry_backoff=30, max_retries=5)
def refund_send_task(refund_id: int) -> str:
    """Ask the provider for a refund recorded as pending (retried while the provider cannot be reached or fails, a
    5xx; after that ``payments_reconcile`` sends it). A refusal (a 4xx) is not retried: ``refund_send`` fails the
    refund at once and returns."""
    return refund_send(refund_id=refund_id).status
