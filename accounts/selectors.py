from django.core.exceptions import ValidationError

from accounts.models import User
from accounts.phone import normalize_phone


def user_get_by_login(login: str) -> User | None:
    """The user a login name points at: an email address (any case) or a phone number (any common format)."""
    login = (login or "").strip()
    if not login:
        return None
    if "@" in login:
        return User.objects.filter(email__iexact=login).first()
    try:
        phone = normalize_phone(login)
    except ValidationError:
        return None
    return User.objects.filter(phone=phone).first()
