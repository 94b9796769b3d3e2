"""Cache-friendly public GET responses: whole responses in Django's shared cache, ``ETag``, ``Cache-Control``, 304.

Each namespace (``"catalog"``, ``"clinic"``) has a version token stored in the cache, and every stored response
carries the token it was made under. Bumping the token when a row behind the namespace changes makes all of the
namespace's responses stale at once: no key scanning, the same on Redis (shared by every instance) and locmem. The
token is random rather than a counter, so a version key lost to eviction can never come back as a value that old
responses were stored under.

Two pieces, both on the view:

- ``cached_public_response`` decorates a DRF GET handler whose answer is the same for everyone: it reads the
  version before the view reads the database, renders the JSON, adds ``ETag`` and ``Cache-Control: public,
  max-age=60`` (so nginx or a CDN may micro-cache it; 304 for a matching ``If-None-Match``) and marks the response
  as storable under that version.
- ``PublicCacheMixin.dispatch`` (the view's own entry point, after Django's middleware and URL routing, before
  DRF's request handling, as ``cache_page`` on ``dispatch`` would be) answers a plain JSON GET or HEAD (no
  ``Accept``, ``*/*`` or ``application/json``; no ``?format=``) from a current entry, with one cache round trip (the
  entry and the namespace's version in one ``get_many``), and stores a marked 200. The view has no authentication
  and reads no token: the answer does not depend on the caller, and an expired token must not break the catalog.
  Only answers the view gave are ever stored, so a hit needs no check; the view's throttle applies to misses (per
  client IP), which is what it protects. Headers the middleware adds (``Vary: Cookie`` from the session middleware,
  security headers) are added on the way out to hits and misses alike, as with ``cache_page``.

``cache_page`` itself does not fit: its key prefix is fixed when the view is decorated (the version is read per
request), it keys on the raw query string, and it has no store budget nor a way to fall through on a cache error.

The key holds the host and path (pagination links are absolute) and the query string normalized
(``_normalized_query``: only the operation's documented parameters, sorted, re-encoded; anything else is neither
served nor stored), never the user. Each client IP may add at most ``PUBLIC_CACHE_STORE_RATE`` entries (then its
answers are served but not stored), so junk or endless distinct searches cannot fill the cache; the cache's own
memory limit (Redis ``maxmemory`` with LRU eviction, README "Scaling") bounds the rest. Other media types (the
browsable API, ``; indent=4``) and errors always go to the view and are not stored.

The cache is an accelerator, never a dependency: when it cannot be reached (``CACHE_ERRORS``), ``dispatch`` and the
decorator log it and let the view answer from the database, storing nothing.
"""

import functools
import hashlib
import logging
import secrets
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control, quote_etag
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from diagnopet.api.throttling import CACHE_ERRORS, CountingThrottle

logger = logging.getLogger(__name__)

# How long clients and shared caches may reuse a response before revalidating with If-None-Match.
DEFAULT_MAX_AGE = 60
# How long an entry stays in the server cache. Versioning makes changes visible at once; this only bounds memory
# and the staleness after writes that send no signals (QuerySet.update(), bulk_create()).
DEFAULT_TIMEOUT = 300

IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="The ETag of a copy you hold; the answer is 304 with no body while it is current.",
)
NOT_MODIFIED = {
    304: OpenApiResponse(description="Not modified: the ETag sent in If-None-Match is still current."),
}


def _version_key(namespace: str) -> str:
    return f"api-cache:{namespace}:version"


def cache_version(namespace: str) -> str:
    """The namespace's current version token (created on first use)."""
    key = _version_key(namespace)
    version = cache.get(key)
    if version is None:
        # add() is atomic: of two instances racing here, both end up with the token that won.
        cache.add(key, secrets.token_hex(8), timeout=None)
        version = cache.get(key)
    return version


def cache_version_bump(namespace: str) -> None:
    """Replace the namespace's version token: whatever was stored under the old one is never read again."""
    cache.set(_version_key(namespace), secrets.token_hex(8), timeout=None)


def invalidate_cached_responses(namespace: str) -> None:
    """Make every cached response of ``namespace`` stale.

    Bumped at once, so later reads in this transaction miss, and again after commit: a request running while the
    transaction was open read the old rows and may have cached them under the first new token.
    """
    cache_version_bump(namespace)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: cache_version_bump(namespace))


# A longer query string is not cached (no operation of a cached view needs one: the longest search box is shorter).
MAX_CACHED_QUERY = 256
# Accept headers that DRF answers with its JSON renderer as plain ``application/json``.
PLAIN_JSON_ACCEPT = frozenset({"", "*/*", "application/json"})


def _entry_key(uri: str) -> str:
    return f"api-cache:entry:{hashlib.sha256(uri.encode()).hexdigest()}"


def cached_public_response(namespace: str, *, max_age: int = DEFAULT_MAX_AGE, timeout: int = DEFAULT_TIMEOUT):
    """Decorate a DRF view's GET handler (``list``, ``retrieve``, ``get``) whose answer is the same for everyone; the
    view inherits ``PublicCacheMixin``. Permissions, throttles and content negotiation apply to what reaches it."""

    def decorator(handler):
        @functools.wraps(handler)
        def wrapper(view, request, *args, **kwargs):
            if view.authentication_classes:
                # A stored answer is served to everyone: it must not depend on who asks.
                raise ImproperlyConfigured(f"{type(view).__name__} caches public answers: inherit PublicCacheMixin.")
            if request.accepted_renderer.format != "json":
                return handler(view, request, *args, **kwargs)
            # Read before the view reads the database: a change committed after this read has already replaced the
            # version, so what is stored under it is never served.
            try:
                version = cache_version(namespace)
            except CACHE_ERRORS as exc:
                logger.warning("Public cache unavailable, %s answered from the database: %r", request.path, exc)
                version = None  # nothing is stored
            response = handler(view, request, *args, **kwargs)
            if response.status_code != 200:
                return response
            response.accepted_renderer = request.accepted_renderer
            response.accepted_media_type = request.accepted_media_type
            response.renderer_context = view.get_renderer_context()
            content = response.render().content
            etag = quote_etag(hashlib.sha256(content).hexdigest()[:32])
            response = HttpResponse(content, content_type=response["Content-Type"])
            response.headers["ETag"] = etag
            patch_cache_control(response, public=True, max_age=max_age)
            if request.accepted_media_type == "application/json" and version is not None:
                response.public_cache = (version, timeout)  # PublicCacheMixin.dispatch stores it
            # 304 when If-None-Match holds this ETag (it copies ETag and Cache-Control over).
            return get_conditional_response(request, etag=etag, response=response)

        wrapper.public_cache_namespace = namespace
        return wrapper

    return decorator


def _normalized_query(request, known: frozenset[str] | None) -> str | None:
    """The query string as a cache key: its parameters sorted by name, each value decoded and encoded again (so
    ``?b=1&a=2``, ``?a=2&b=1`` and ``?a=%32&b=1`` are one entry). None, and the request is neither served from nor
    stored in the cache, when the operation would refuse it (an unknown, repeated or empty parameter: a 400 that is
    never stored anyway) or when it is longer than ``MAX_CACHED_QUERY`` characters. Values keep their case and
    spaces: the view reads them as sent, so two spellings that may answer differently never share an entry."""
    if not request.META.get("QUERY_STRING"):
        return ""
    if known is None or len(request.META["QUERY_STRING"]) > MAX_CACHED_QUERY:
        return None
    items = []
    for name, values in request.GET.lists():
        if name not in known or len(values) != 1 or not values[0].strip():
            return None
        items.append((name, values[0]))
    return urlencode(sorted(items))


class PublicCacheStoreBudget(CountingThrottle, SimpleRateThrottle):
    """How many new entries one client IP may add to the cache (``PUBLIC_CACHE_STORE_RATE``, e.g. ``60/min``): past
    it, its answers are still served, only not stored. Every valid search is a new URL; without a budget one client
    could fill the cache with an entry per request (600/min at the public rate, each kept ``DEFAULT_TIMEOUT``)."""

    scope = "public_store"

    def get_rate(self) -> str | None:
        return settings.PUBLIC_CACHE_STORE_RATE or None

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PublicRateThrottle(CountingThrottle, SimpleRateThrottle):
    """Per client IP, scope ``public``: what reaches the view of a public cached endpoint (its cache misses)."""

    scope = "public"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PublicCacheMixin:
    """For a view whose GET handler is ``cached_public_response``: the answer is the same for everyone, so no token
    is read, its answers are served from and stored in the cache here (see the module's docstring), and its own
    per-IP rate limit applies to what reaches it."""

    authentication_classes: tuple = ()
    throttle_classes = (PublicRateThrottle,)

    def dispatch(self, request, *args, **kwargs):
        action = (getattr(self, "action_map", None) or {}).get("get")  # a viewset's GET action, as DRF routes it
        namespace = getattr(getattr(self, action or "get", None), "public_cache_namespace", None)
        if (
            namespace is None
            or request.method not in ("GET", "HEAD")
            or request.headers.get("Accept", "") not in PLAIN_JSON_ACCEPT
            or api_settings.URL_FORMAT_OVERRIDE in request.GET
        ):
            return super().dispatch(request, *args, **kwargs)
        # Imported here: it builds the schema from every app's views.
        from diagnopet.api.filters import documented_query_parameters

        known = documented_query_parameters().get((type(self), action, "GET"))
        query = _normalized_query(request, None if known is None else frozenset(known))
        if query is None:  # a query string the view refuses (400) or too long to be worth a key: not cached
            return super().dispatch(request, *args, **kwargs)
        key = _entry_key(f"{request.scheme}://{request.get_host()}{request.path}?{query}")
        try:
            found = cache.get_many([key, _version_key(namespace)])
        except CACHE_ERRORS as exc:
            logger.warning("Public cache unavailable, %s answered by its view: %r", request.path, exc)
            return super().dispatch(request, *args, **kwargs)
        entry = found.get(key)
        if entry is not None:
            version, headers, content = entry
            if found.get(_version_key(namespace)) == version:
                response = HttpResponse(content)
                for name, value in headers:
                    response.headers[name] = value
                return get_conditional_response(request, etag=response.headers["ETag"], response=response)
        response = super().dispatch(request, *args, **kwargs)
        mark = getattr(response, "public_cache", None)
        if mark is not None and response.status_code == 200:
            version, timeout = mark
            try:
                if PublicCacheStoreBudget().allow_request(request, None):
                    cache.set(key, (version, list(response.items()), response.content), timeout)
            except CACHE_ERRORS as exc:
                logger.warning("Public cache unavailable, %s not stored: %r", request.path, exc)
        return response
