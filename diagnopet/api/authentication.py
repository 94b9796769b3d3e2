import contextlib

from auditlog.context import auditlog_value
from django.core.exceptions import ValidationError
from django.utils.functional import SimpleLazyObject, empty
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings


class DeferredUser(SimpleLazyObject):
    """A bearer token's user whose row is read only when more than its id is asked for.

    Its id, ``is_authenticated``, ``is_anonymous`` and truth come from the verified token; anything else (an
    attribute, ``isinstance``, ``==``) reads the row once, through simplejwt's checks: a user who is gone or
    inactive gets a 401 there. It is given only to views that ask for it (``defers_user()``, see
    ``ValuesReadMixin.owner_field``): their rows' query itself proves that the owner is the token's user and is
    active, and when no row answers or the request fails with a client error they call ``confirm()``, so that a
    refused user's 401 comes before an empty answer, a 404, a 400 or a 429. A query that reads the owner's row with
    a row it owns (a booking's pet) hands it over with ``provide()``: the row is then not read again.
    """

    is_authenticated = True
    is_anonymous = False

    def __init__(self, user_id, load):
        # LazyObject's __setattr__ would load the user: the id goes into the instance's own dict.
        self.__dict__["_user_id"] = user_id
        super().__init__(load)

    @property
    def pk(self):
        return self.__dict__["_user_id"]

    id = pk

    def __bool__(self) -> bool:
        return True

    @property
    def loaded(self) -> bool:
        return self._wrapped is not empty

    def confirm(self) -> None:
        """Read the user now (if not yet): a 401 when it is gone or inactive."""
        if self._wrapped is empty:
            self._setup()

    def provide(self, row) -> None:
        """Take the user's row as another query read it (joined to a row it owns) instead of reading it again:
        only this user's row, and only while it is active (what ``confirm`` would check)."""
        if self._wrapped is empty and row.pk == self.pk and row.is_active:
            self._wrapped = row


def user_confirmed(user) -> None:
    """A deferred user is read now (401 when gone or inactive); any other user already was."""
    if type(user) is DeferredUser:
        user.confirm()


def user_provided(user, row) -> None:
    """A deferred user takes ``row``, its own row read by the view's query (see ``DeferredUser.provide``)."""
    if type(user) is DeferredUser:
        user.provide(row)


class AuditedJWTAuthentication(JWTAuthentication):
    """simplejwt's authentication, and the authenticated user becomes the actor of the audit trail.

    django-auditlog's middleware reads ``request.user`` before DRF authenticates a bearer token, so for API
    requests it sees an anonymous user; this fills in the actor of the request's audit context once the token is
    checked.

    A view whose ``defers_user()`` says so gets a ``DeferredUser``: the user row is not read before the view runs
    (its own query checks the owner). That is only possible with simplejwt's default user checks (the user exists
    and is active, by its primary key); with ``CHECK_REVOKE_TOKEN`` every request reads the row.
    """

    def authenticate(self, request):
        header = self.get_header(request)
        if header is None:
            return None
        raw_token = self.get_raw_token(header)
        if raw_token is None:
            return None
        validated_token = self.get_validated_token(raw_token)
        defer = self._may_defer(request)
        user = self._deferred_user(validated_token) if defer else self.get_user(validated_token)
        # Outside a request there is no audit context (LookupError): nothing to fill in. A deferred user is read
        # if an audited write asks for its actor.
        with contextlib.suppress(LookupError):
            auditlog_value.get()["actor"] = user
        return user, validated_token

    def _may_defer(self, request) -> bool:
        view = (getattr(request, "parser_context", None) or {}).get("view")
        defers = getattr(view, "defers_user", None)
        return (
            defers is not None
            and defers()
            and not api_settings.CHECK_REVOKE_TOKEN
            and api_settings.CHECK_USER_IS_ACTIVE
            and self.user_model._meta.pk.attname == api_settings.USER_ID_FIELD
        )

    def _deferred_user(self, validated_token) -> DeferredUser:
        try:
            user_id = self.user_model._meta.pk.to_python(validated_token[api_settings.USER_ID_CLAIM])
        except (KeyError, ValidationError) as exc:
            raise InvalidToken("Token contained no recognizable user identification") from exc
        return DeferredUser(user_id, lambda: self.get_user(validated_token))


class AuditedJWTScheme(SimpleJWTScheme):
    """OpenAPI: the same bearer-JWT security scheme as simplejwt's own class."""

    target_class = "diagnopet.api.authentication.AuditedJWTAuthentication"
