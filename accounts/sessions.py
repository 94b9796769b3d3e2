"""Back-office sessions: an idle limit and an absolute limit.

Sessions are the admin's (staff); the API authenticates with JWT and never opens one. A session ends
``STAFF_SESSION_IDLE_MINUTES`` after its last request, and ``STAFF_SESSION_MAX_HOURS`` after the login whatever
the activity; the next request is then anonymous, so the admin sends it to its login page.

The login time is stored in the session when the user logs in (``user_logged_in``), the last activity on each
request — written at most once a minute (``TOUCH_SECONDS``), so a busy admin page costs no session write per
request. Each write also moves the stored session's own expiry (``SESSION_COOKIE_AGE`` = the idle time, set in
the settings), so an idle session is gone from the database too.
"""

import time

from django.conf import settings
from django.contrib.auth import logout

# Session keys: seconds since the epoch of the login and of the last recorded request.
LOGIN_AT = "staff_login_at"
SEEN_AT = "staff_seen_at"
# The last activity is recorded at most this often; the idle limit is exact to within it.
TOUCH_SECONDS = 60


def session_started(sender, request, user, **kwargs) -> None:
    """``user_logged_in`` receiver: the session's login time (and first activity)."""
    session = getattr(request, "session", None)
    if session is not None:
        session[LOGIN_AT] = session[SEEN_AT] = int(time.time())


def session_expired(session, now: float) -> bool:
    """True when ``session`` has been idle too long, or was opened too long ago (or before these limits)."""
    login_at, seen_at = session.get(LOGIN_AT), session.get(SEEN_AT)
    if login_at is None or seen_at is None:
        return True
    idle = settings.STAFF_SESSION_IDLE_MINUTES * 60
    return now - seen_at > idle or now - login_at > settings.STAFF_SESSION_MAX_HOURS * 3600


class StaffSessionMiddleware:
    """Logs out a session past its idle or absolute limit; records activity. After ``AuthenticationMiddleware``.

    Requests without a session cookie (the API) are left alone: their session is not even read.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.SESSION_COOKIE_NAME in request.COOKIES and request.user.is_authenticated:
            now = time.time()
            if session_expired(request.session, now):
                logout(request)
            elif now - request.session[SEEN_AT] >= TOUCH_SECONDS:
                request.session[SEEN_AT] = int(now)
        return self.get_response(request)
