from auditlog.context import auditlog_value
from rest_framework_simplejwt.authentication import JWTAuthentication


class AuditedJWTAuthentication(JWTAuthentication):
    """simplejwt's authentication, and the authenticated user becomes the actor of the audit trail.

    django-auditlog's middleware reads ``request.user`` before DRF authenticates a bearer token, so for API
    requests it sees an anonymous user; this fills in the actor of the request's audit context once the token is
    checked.
    """

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            try:
                auditlog_value.get()["actor"] = result[0]
            except LookupError:  # outside a request (no audit context)
                pass
        return result
