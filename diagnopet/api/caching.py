"""Cache-friendly public GET responses: rendered bytes in Django's cache, ``ETag``, ``Cache-Control`` and 304.

Each namespace (``"catalog"``, ``"clinic"``) has a version token stored in the cache, and every cached response
is keyed by it. Bumping the token when a row behind the namespace changes makes all of the namespace's entries
unreachable at once: no key scanning, the same on Redis (shared by every instance) and locmem. The token is
random rather than a counter, so a version key lost to eviction can never come back as a value that old entries
were stored under.

Only what the JSON renderer produced for a 200 is cached; the browsable API (HTML with per-user content) and
errors always go to the view. The key holds the full URL (host, path, query string: pagination links are
absolute) and the negotiated media type, never the user: these responses are the same for everyone. An entry carries
the version it was made under and is read together with the current version in one round trip (``get_many``).

Views with such handlers inherit ``PublicCacheMixin``: they read no token (the answer does not depend on the
caller, and an expired token must not break the catalog), and a request that a stored entry answers is served
from ``dispatch``, before DRF wraps the request, checks permissions and throttles and negotiates content — a hit
costs one cache round trip. Only plain JSON requests (no ``Accept``, ``*/*`` or ``application/json``) take that
path; anything else, and every miss, goes through DRF, which fills the cache. Only URLs that passed the view's
checks (200) are ever stored, so a hit needs no check; throttles apply to misses (per client IP), which is what
they protect: the database.
"""

import functools
import hashlib
import secrets

from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control, quote_etag
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.settings import api_settings

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


# Accept headers that DRF answers with its JSON renderer as ``application/json``: answered from the cache at once.
PLAIN_JSON_ACCEPT = frozenset({"", "*/*", "application/json"})
JSON = "application/json"


def _entry_key(namespace: str, media_type: str, uri: str) -> str:
    digest = hashlib.sha256(f"{media_type}\n{uri}".encode()).hexdigest()
    return f"api-cache:{namespace}:entry:{digest}"


def _lookup(namespace: str, entry_key: str) -> tuple[str | None, tuple | None]:
    """The namespace's current version and the entry at ``entry_key`` if it was made under that version."""
    version_key = _version_key(namespace)
    found = cache.get_many([version_key, entry_key])
    version, entry = found.get(version_key), found.get(entry_key)
    if entry is None or version is None or entry[0] != version:
        return version, None
    return version, entry


def _response(request, entry: tuple, max_age: int):
    _version, content, content_type, etag = entry
    response = HttpResponse(content, content_type=content_type)
    response.headers["ETag"] = etag
    patch_cache_control(response, public=True, max_age=max_age)
    # 304 when If-None-Match holds this ETag (it copies ETag and Cache-Control over).
    return get_conditional_response(request, etag=etag, response=response)


def cached_public_response(namespace: str, *, max_age: int = DEFAULT_MAX_AGE, timeout: int = DEFAULT_TIMEOUT):
    """Decorate a DRF view's GET handler (``list``, ``retrieve``, ``get``) whose answer is the same for everyone.

    The handler runs after permissions, throttling and content negotiation, so those still apply to a miss; its
    view inherits ``PublicCacheMixin``, which serves hits earlier.
    """

    def decorator(handler):
        @functools.wraps(handler)
        def wrapper(view, request, *args, **kwargs):
            if request.accepted_renderer.format != "json":
                return handler(view, request, *args, **kwargs)
            key = _entry_key(namespace, request.accepted_media_type, request.build_absolute_uri())
            # The version is read before the view reads the database: a change committed after that read is
            # stored under a version the change has already replaced, so it is never served.
            version, entry = _lookup(namespace, key)
            if entry is None:
                version = version or cache_version(namespace)
                response = handler(view, request, *args, **kwargs)
                if response.status_code != 200:
                    return response
                response.accepted_renderer = request.accepted_renderer
                response.accepted_media_type = request.accepted_media_type
                response.renderer_context = view.get_renderer_context()
                content = response.render().content
                etag = quote_etag(hashlib.sha256(content).hexdigest()[:32])
                entry = (version, content, response["Content-Type"], etag)
                cache.set(key, entry, timeout)
            return _response(request, entry, max_age)

        wrapper.public_cache = (namespace, max_age)
        return wrapper

    return decorator


class PublicCacheMixin:
    """For a view whose GET handler is ``cached_public_response``: no token is read, and a stored answer is served
    before DRF's request handling (see the module's docstring)."""

    authentication_classes: tuple = ()

    def dispatch(self, request, *args, **kwargs):
        response = self._cached_response(request, kwargs)
        if response is None:
            return super().dispatch(request, *args, **kwargs)
        self.args, self.kwargs, self.request = args, kwargs, request
        self.headers = self.default_response_headers  # Allow, Vary: Accept — as DRF's own responses carry
        return self.finalize_response(request, response, *args, **kwargs)

    def _cached_response(self, request, kwargs):
        if request.method not in ("GET", "HEAD") or "format" in kwargs:
            return None
        if request.headers.get("Accept", "") not in PLAIN_JSON_ACCEPT:
            return None
        if api_settings.URL_FORMAT_OVERRIDE in request.GET:
            return None
        action_map = getattr(self, "action_map", None)  # a viewset's method → action
        handler = getattr(self, action_map.get("get", "") if action_map else "get", None)
        namespace, max_age = getattr(handler, "public_cache", (None, None))
        if namespace is None:
            return None
        _version, entry = _lookup(namespace, _entry_key(namespace, JSON, request.build_absolute_uri()))
        return None if entry is None else _response(request, entry, max_age)
