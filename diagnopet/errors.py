"""Business errors and how the API shows them.

Services raise ``DomainError`` subclasses with a stable ``code``; the API turns them into DRF-shaped
bodies ``{"detail": "...", "code": "..."}`` with the error's HTTP status (409 for a state conflict,
400 for a rule the input broke, 404 for something that is not the caller's).
"""

import errno
import logging

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


class DomainError(Exception):
    """A business rule refused the operation."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.field = field


class ValidationFailed(DomainError):
    """The input breaks a business rule (HTTP 400)."""


class Conflict(DomainError):
    """The object is in a state that does not allow this (HTTP 409)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class InvalidTransition(Conflict):
    default_code = "invalid_transition"


class NotFound(DomainError):
    status_code = status.HTTP_404_NOT_FOUND
    default_code = "not_found"


class StorageFull(DomainError):
    """The file could not be written: no space left (HTTP 507, with ``Retry-After``; ``diagnopet.storage``)."""

    status_code = status.HTTP_507_INSUFFICIENT_STORAGE
    default_code = "storage_full"
    retry_after = 300

    def __init__(self, message: str = "The file could not be stored: the server's storage is full. Try again later."):
        super().__init__(message)


# A shared service that is down: the database, the Redis cache, the broker. The request wrote nothing it could not
# keep (every write is one transaction; tasks are queued after commit), so the client may simply retry.
UNAVAILABLE_ERRORS = (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError, BrokerError)
# The file system is full (a request body spooled to a temporary file, a file written outside diagnopet.storage).
SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


def api_exception_handler(exc, context):
    """DRF's handler, plus DomainError → ``{"detail", "code"}`` (and the field when one is named), a lost
    database, cache or broker → 503 ``service_unavailable`` with ``Retry-After`` instead of an HTML 500 (the request
    wrote nothing: every write is one transaction), and a full disk → 507 ``storage_full``.

    A body over Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (or with more form fields or files than it allows) raises
    Django's own exceptions, which DRF leaves to Django's HTML 400 page: here they are JSON, 413
    ``request_too_large`` and 400 ``too_many_fields``."""
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"detail": "The request body is too large.", "code": "request_too_large"},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        return Response(
            {"detail": "The request has too many fields or files.", "code": "too_many_fields"},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, OSError) and exc.errno in SPACE_ERRNOS:
        logger.error("Storage full: %s", exc)
        exc = StorageFull()
    if isinstance(exc, UNAVAILABLE_ERRORS):
        logger.error("A shared service is unavailable: %r", exc)
        response = Response(
            {
                "detail": "The service is temporarily unavailable. Please try again shortly.",
                "code": "service_unavailable",
            },
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
        response["Retry-After"] = "5"
        return response
    if isinstance(exc, DomainError):
        body = {"detail": exc.message, "code": exc.code}
        if exc.field:
            body = {exc.field: [exc.message], "detail": exc.message, "code": exc.code}
        response = Response(body, status=exc.status_code)
        if getattr(exc, "retry_after", None):
            response["Retry-After"] = str(exc.retry_after)
        return response
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, list):
        # A bare list of messages (e.g. a NUL in ?search=) becomes the usual error object.
        response.data = {"detail": " ".join(str(message) for message in response.data), "code": "invalid"}
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        detail = response.data["detail"]
        response.data.setdefault("code", getattr(detail, "code", "error"))
    return response
