"""``GET /healthz`` for load balancers and monitoring.

Reports the database and, when configured, the shared cache (``CACHE_URL``) and the Celery broker
(``CELERY_BROKER_URL``); a part that is not configured is ``"not_configured"``. Each probe gives up after
``HEALTHZ_TIMEOUT`` seconds (1 s).

- database down: **503** ``"unavailable"`` — nothing works without it; a load balancer takes the instance out.
- cache down: **200** ``"degraded"`` — reads answer from the database (the public response cache and the general
  rate limits step aside, ``diagnopet/api/caching.py``, ``diagnopet/api/throttling.py``); what needs the cache
  (quotes and bookings read reference data from it; the login and one-time-code limits) answers 503
  ``service_unavailable`` with ``Retry-After`` and writes nothing. Every instance shares one Redis, so taking them
  out of rotation would only turn the reads that work into errors.
- broker down, the rest up: **200** ``"degraded"`` — bookings, payments and reports still work: a notification is
  stored first and published after commit (a failed publish is logged, not raised), and the
  ``redeliver-notifications`` beat task re-sends pending ones once the broker is back. The instance stays in
  rotation; monitoring alerts on ``"degraded"``.
- ``MEDIA_ROOT``'s disk below ``MEDIA_MIN_FREE_MB`` free: **200** ``"degraded"``, ``"media": "low"`` — uploads
  (prescriptions, reports) may be refused with 507 ``storage_full`` until space is freed; everything else works, so
  the instance stays in rotation (a shared media volume would take every instance out at once). ``media_free_mb``
  is the free space; ``"media": "down"`` when it cannot be read.
- everything configured answers: 200 ``"ok"``.
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.http import JsonResponse
from django.views.defaults import page_not_found
from django.views.defaults import server_error as django_server_error
from kombu import Connection

from diagnopet.storage import media_free_mb

logger = logging.getLogger(__name__)

OK, DOWN, NOT_CONFIGURED, LOW = "ok", "down", "not_configured", "low"


def _database() -> str:
    """``SELECT 1`` under a statement timeout (PostgreSQL); connecting is bounded by ``DATABASE_CONNECT_TIMEOUT``."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Local to this probe's transaction: the persistent connection keeps its own settings.
                cursor.execute("SELECT set_config('statement_timeout', %s, true)", [f"{settings.HEALTHZ_TIMEOUT}s"])
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.warning("healthz: database is down", exc_info=True)
        return DOWN
    return OK


def _cache() -> str:
    if not settings.CACHE_URL:
        return NOT_CONFIGURED
    try:
        cache.get("healthz:probe")  # one round trip to the shared cache (socket timeouts set in settings)
    except Exception:  # noqa: BLE001 - any backend error means the cache is not usable
        logger.warning("healthz: cache is down", exc_info=True)
        return DOWN
    return OK


def _broker() -> str:
    url = settings.CELERY_BROKER_URL
    if not url:
        return NOT_CONFIGURED
    timeout = settings.HEALTHZ_TIMEOUT
    options = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    try:
        with Connection(url, connect_timeout=timeout, transport_options=options) as broker:
            broker.ensure_connection(max_retries=0, timeout=timeout)
    except Exception:  # noqa: BLE001 - kombu raises transport-specific errors
        logger.warning("healthz: broker is down", exc_info=True)
        return DOWN
    return OK


def _media() -> tuple[str, int | None]:
    free = media_free_mb()
    if free is None:
        return DOWN, None
    return (LOW if free < settings.MEDIA_MIN_FREE_MB else OK), free


def healthz(request):
    parts = {"database": _database(), "cache": _cache(), "broker": _broker()}
    parts["media"], free = _media()
    if parts["database"] == DOWN:
        return JsonResponse({"status": "unavailable", **parts, "media_free_mb": free}, status=503)
    status = "degraded" if {DOWN, LOW} & set(parts.values()) else "ok"
    return JsonResponse({"status": status, **parts, "media_free_mb": free})


def is_api_request(request) -> bool:
    """Under /api/: errors are answered as JSON error objects, what API clients parse."""
    return request.path.startswith("/api/")


def api_error(detail: str, code: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code}, status=status)


def not_found(request, exception=None):
    """404 for any path no view matched: a JSON error object under /api/ (what API clients parse), Django's page
    elsewhere. (The site's handler is ``backoffice.views.not_found``, which adds the back-office's page.)"""
    if is_api_request(request):
        return api_error("Not found.", "not_found", 404)
    return page_not_found(request, exception)


def server_error(request):
    """500: a JSON error object under /api/, Django's page elsewhere. (The details are in the log, with the request
    id.)"""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Server error. Please try again later.", "code": "server_error"}, status=500)
    return django_server_error(request)
