"""WhatsApp delivery through a pluggable backend named by ``settings.WHATSAPP_BACKEND`` (a dotted path to a class),
the same interface as ``accounts.sms``: ``send(phone, message)``, raising on failure.

The default, ``LogWhatsAppBackend``, writes each message to the log so development needs no provider. A real
provider (the WhatsApp Business API, or a gateway such as Twilio) is a subclass of ``BaseWhatsAppBackend``.
"""

import logging
from dataclasses import dataclass
from typing import ClassVar

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class BaseWhatsAppBackend:
    """Sends one WhatsApp message to one E.164 phone number; raises on failure."""

    def send(self, phone: str, message: str) -> None:
        raise NotImplementedError


class LogWhatsAppBackend(BaseWhatsAppBackend):
    """Development backend: the message goes to the log instead of a phone."""

    def send(self, phone: str, message: str) -> None:
        logger.info("WhatsApp to %s: %s", phone, message)


@dataclass(frozen=True)
class WhatsAppMessage:
    phone: str
    message: str


class MemoryWhatsAppBackend(BaseWhatsAppBackend):
    """Test backend standing in for a provider: messages collect in the class-level ``outbox`` (its own, apart from
    the SMS one). Process memory only, so never for production; tests clear ``outbox`` between runs."""

    outbox: ClassVar[list[WhatsAppMessage]] = []

    def send(self, phone: str, message: str) -> None:
        self.outbox.append(WhatsAppMessage(phone=phone, message=message))


def get_whatsapp_backend() -> BaseWhatsAppBackend:
    return import_string(settings.WHATSAPP_BACKEND)()
