"""SMS delivery through a pluggable backend named by ``settings.SMS_BACKEND`` (a dotted path to a class).

The default, ``LogSmsBackend``, writes each message to the log so development needs no provider. A real provider is
a subclass of ``BaseSmsBackend`` that implements ``send``.
"""

import logging
from dataclasses import dataclass
from typing import ClassVar

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class BaseSmsBackend:
    """Sends one text message to one E.164 phone number; raises on failure."""

    def send(self, phone: str, message: str) -> None:
        raise NotImplementedError


class LogSmsBackend(BaseSmsBackend):
    """Development backend: the message (one-time codes included) goes to the log instead of a phone."""

    def send(self, phone: str, message: str) -> None:
        logger.info("SMS to %s: %s", phone, message)


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    message: str


class MemorySmsBackend(BaseSmsBackend):
    """Test backend standing in for a provider: messages collect in the class-level ``outbox``.

    Process memory only, so never for production; tests clear ``outbox`` between runs.
    """

    outbox: ClassVar[list[SmsMessage]] = []

    def send(self, phone: str, message: str) -> None:
        self.outbox.append(SmsMessage(phone=phone, message=message))


def get_sms_backend() -> BaseSmsBackend:
    return import_string(settings.SMS_BACKEND)()


def send_sms(*, phone: str, message: str) -> bool:
    """Send through the configured backend. A provider failure is logged, never raised: callers run after commit."""
    try:
        get_sms_backend().send(phone, message)
    except Exception:
        logger.exception("SMS to %s could not be sent", phone)
        return False
    return True
