import contextlib

from auditlog.context import auditlog_value
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication


class AuditedJWTAuthentication(JWTAuthentication):
    """simplejwt's authentication, and the authenticated user becomes the actor of the audit trail.

    django-auditlog's middleware reads ``request.user`` before DRF authenticates a bearer token, so for API
    requests it sees an anonymous user; this fills in the actor of the request's audit context once the token is
    checked.
    """

    def authenticate(self, request):
        authenticated = super().authenticate(request)
        if authenticated is not None:
            # Outside a request there is no audit context (LookupError): nothing to fill in.
            with contextlib.suppress(LookupError):
                auditlog_value.get()["actor"] = authenticated[0]
        return authenticated


class AuditedJWTScheme(SimpleJWTScheme):
    """OpenAPI: the same bearer-JWT security scheme as simplejwt's own class."""

    target_class = "diagnopet.api.authentication.AuditedJWTAuthentication"
