"""Cache-friendly public GET responses: whole responses in Django's shared cache, ``ETag``, ``Cache-Control``, 304.

Each namespace (``"catalog"``, ``"clinic"``) has a version token stored in the cache, and every stored response
carries the token it was made under. Bumping the token when a row behind the namespace changes makes all of the
namespace's responses stale at once: no key scanning, the same on Redis (shared by every instance) and locmem. The
token is random rather than a counter, so a version key lost to eviction can never come back as a value that old
responses were stored under.

Two pieces:

- ``cached_public_response`` decorates a DRF GET handler whose answer is the same for everyone: it reads the
  version before the view reads the database, renders the JSON, adds ``ETag`` and ``Cache-Control`` (304 for a
  matching ``If-None-Match``) and marks the response as storable under that version. Its view inherits
  ``PublicCacheMixin`` and so reads no token: the answer does not depend on the caller, and an expired token must
  not break the catalog.
- ``PublicCacheMiddleware`` sits near the top of ``MIDDLEWARE`` (after the request id and security middleware). On
  the way out it stores a marked 200 with the headers every inner middleware gave it; on the way in it answers a
  plain JSON GET or HEAD (no ``Accept``, ``*/*`` or ``application/json``; no ``?format=``) of a path such a handler
  answers (found by URL routing once per path) from a current entry, with one cache round trip (the entry and every
  namespace's version in one ``get_many``) and none of the session, authentication, DRF, throttling or database
  work. Other paths never touch the cache here. Only URLs that a view answered 200 are ever
  stored, so a hit needs no check; throttles apply to misses (per client IP), which is what they protect.

The key holds the host and path (pagination links are absolute) and the query string normalized
(``_normalized_query``: only the operation's documented parameters, sorted, re-encoded; anything else is neither
served nor stored), never the user. Each client IP may add at most ``PUBLIC_CACHE_STORE_RATE`` entries (then its
answers are served but not stored), so junk or endless distinct searches cannot fill the cache; the cache's own
memory limit (Redis ``maxmemory`` with LRU eviction, README "Scaling") bounds the rest. Other media types (the
browsable API, ``; indent=4``) and errors always go to the view and are not stored.

The cache is an accelerator, never a dependency: when it cannot be reached (``CACHE_ERRORS``), the middleware and
the decorator log it and let the view answer from the database, storing nothing.
"""

import functools
import hashlib
import logging
import secrets
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpResponse
from django.urls import Resolver404, resolve
from django.utils.cache import cc_delim_re, get_conditional_response, patch_cache_control, quote_etag
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


def cache_versions(namespaces) -> dict[str, str]:
    """Several namespaces' current version tokens in one round trip (those not created yet, as ``cache_version``)."""
    found = cache.get_many([_version_key(namespace) for namespace in namespaces])
    return {namespace: found.get(_version_key(namespace)) or cache_version(namespace) for namespace in namespaces}


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
# Every namespace a handler caches under (registered as the views are imported).
_namespaces: dict[str, None] = {}


def _entry_key(uri: str) -> str:
    return f"api-cache:entry:{hashlib.sha256(uri.encode()).hexdigest()}"


def cached_public_response(namespace: str, *, max_age: int = DEFAULT_MAX_AGE, timeout: int = DEFAULT_TIMEOUT):
    """Decorate a DRF view's GET handler (``list``, ``retrieve``, ``get``) whose answer is the same for everyone; the
    view inherits ``PublicCacheMixin``. Permissions, throttles and content negotiation apply to what reaches it."""
    _namespaces[namespace] = None

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
                response.public_cache = (namespace, version, timeout)  # PublicCacheMiddleware stores it
            # 304 when If-None-Match holds this ETag (it copies ETag and Cache-Control over).
            return get_conditional_response(request, etag=etag, response=response)

        wrapper.public_cache_namespace = namespace
        return wrapper

    return decorator


@functools.lru_cache(maxsize=4096)
def _cached_namespace(path: str, urlconf: str | None) -> str | None:
    """The namespace of the ``cached_public_response`` handler that answers GET ``path``, or None (URL routing is
    fixed for the process, so the answer is remembered; one entry per distinct path, at most 4,096)."""
    try:
        match = resolve(path, urlconf)
    except Resolver404:
        return None
    view_class = getattr(match.func, "cls", None) or getattr(match.func, "view_class", None)
    actions = getattr(match.func, "actions", None)  # a viewset's method → action
    handler = getattr(view_class, actions.get("get", "") if actions else "get", None)
    return getattr(handler, "public_cache_namespace", None)


@receiver(setting_changed, dispatch_uid="diagnopet.api.caching.routes")
def _forget_routes(*, setting, **kwargs) -> None:
    if setting == "ROOT_URLCONF":
        _cached_namespace.cache_clear()
        _known_query.cache_clear()


@functools.lru_cache(maxsize=4096)
def _known_query(path: str, urlconf: str | None) -> frozenset[str] | None:
    """The query parameters the GET operation of ``path`` documents (its OpenAPI schema, as ``StrictQueryMixin``
    checks them), or None when it is not an operation of the schema."""
    from diagnopet.api.filters import documented_query_parameters  # it builds the schema from every app's views

    try:
        match = resolve(path, urlconf)
    except Resolver404:
        return None
    view_class = getattr(match.func, "cls", None) or getattr(match.func, "view_class", None)
    actions = getattr(match.func, "actions", None)
    documented = documented_query_parameters().get((view_class, actions.get("get") if actions else None, "GET"))
    return None if documented is None else frozenset(documented)


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
    is read (see the module's docstring), and its own per-IP rate limit applies to what reaches it."""

    authentication_classes: tuple = ()
    throttle_classes = (PublicRateThrottle,)


class PublicCacheMiddleware:
    """Stores and serves the responses of ``cached_public_response`` handlers (see the module's docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.method not in ("GET", "HEAD")
            or request.headers.get("Accept", "") not in PLAIN_JSON_ACCEPT
            or api_settings.URL_FORMAT_OVERRIDE in request.GET
            or _cached_namespace(request.path_info, getattr(request, "urlconf", None)) is None
        ):
            return self.get_response(request)
        query = _normalized_query(request, _known_query(request.path_info, getattr(request, "urlconf", None)))
        if query is None:  # a query string the view refuses (400) or too long to be worth a key: not cached
            return self.get_response(request)
        key = _entry_key(f"{request.scheme}://{request.get_host()}{request.path}?{query}")
        names = list(_namespaces)
        try:
            found = cache.get_many([key, *(_version_key(name) for name in names)])
        except CACHE_ERRORS as exc:
            logger.warning("Public cache unavailable, %s answered by its view: %r", request.path, exc)
            return self.get_response(request)
        entry = found.get(key)
        if entry is not None:
            namespace, version, headers, content = entry
            if found.get(_version_key(namespace)) == version:
                response = HttpResponse(content)
                for name, value in headers:
                    response.headers[name] = value
                return get_conditional_response(request, etag=response.headers["ETag"], response=response)
        response = self.get_response(request)
        mark = getattr(response, "public_cache", None)
        if mark is not None and response.status_code == 200:
            # The session middleware adds "Vary: Cookie" when anything read the session (the audit log's actor);
            # this answer reads no cookie, and a shared cache (CDN) would keep one copy per cookie.
            vary = [name for name in cc_delim_re.split(response.get("Vary", "")) if name and name.lower() != "cookie"]
            if vary:
                response.headers["Vary"] = ", ".join(vary)
            else:
                response.headers.pop("Vary", None)
            namespace, version, timeout = mark
            try:
                if PublicCacheStoreBudget().allow_request(request, None):
                    cache.set(key, (namespace, version, list(response.items()), response.content), timeout)
            except CACHE_ERRORS as exc:
                logger.warning("Public cache unavailable, %s not stored: %r", request.path, exc)
        return response
