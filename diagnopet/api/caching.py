"""Cache-friendly public GET responses: rendered bytes in Django's cache, ``ETag``, ``Cache-Control`` and 304.

Each namespace (``"catalog"``, ``"clinic"``) has a version token stored in the cache, and every cached response
is keyed by it. Bumping the token when a row behind the namespace changes makes all of the namespace's entries
unreachable at once: no key scanning, the same on Redis (shared by every instance) and locmem. The token is
random rather than a counter, so a version key lost to eviction can never come back as a value that old entries
were stored under.

Only what the JSON renderer produced for a 200 is cached; the browsable API (HTML with per-user content) and
errors always go to the view. The key holds the full URL (host, path, query string: pagination links are
absolute) and the negotiated media type, never the user: these responses are the same for everyone.
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


def _entry_key(namespace: str, request) -> str:
    identity = f"{request.accepted_media_type}\n{request.build_absolute_uri()}"
    digest = hashlib.sha256(identity.encode()).hexdigest()
    return f"api-cache:{namespace}:{cache_version(namespace)}:{digest}"


def cached_public_response(namespace: str, *, max_age: int = DEFAULT_MAX_AGE, timeout: int = DEFAULT_TIMEOUT):
    """Decorate a DRF view's GET handler (``list``, ``retrieve``, ``get``) whose answer is the same for everyone.

    The handler runs after authentication, permissions, throttling and content negotiation, so those still apply.
    """

    def decorator(handler):
        @functools.wraps(handler)
        def wrapper(view, request, *args, **kwargs):
            if request.accepted_renderer.format != "json":
                return handler(view, request, *args, **kwargs)
            # The version is read before the view reads the database: a change committed after that read is
            # stored under a token the change has already replaced.
            key = _entry_key(namespace, request)
            entry = cache.get(key)
            if entry is None:
                response = handler(view, request, *args, **kwargs)
                if response.status_code != 200:
                    return response
                response.accepted_renderer = request.accepted_renderer
                response.accepted_media_type = request.accepted_media_type
                response.renderer_context = view.get_renderer_context()
                content = response.render().content
                entry = (content, response["Content-Type"], quote_etag(hashlib.sha256(content).hexdigest()[:32]))
                cache.set(key, entry, timeout)
            content, content_type, etag = entry
            response = HttpResponse(content, content_type=content_type)
            response.headers["ETag"] = etag
            patch_cache_control(response, public=True, max_age=max_age)
            # 304 when If-None-Match holds this ETag (it copies ETag and Cache-Control over).
            return get_conditional_response(request, etag=etag, response=response)

        return wrapper

    return decorator
