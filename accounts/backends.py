from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError

from accounts.phone import normalize_phone


class PhoneOrEmailBackend(ModelBackend):
    """Authenticate with a phone number (any common format) or an email address, plus password."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        username = username if username is not None else kwargs.get("phone")
        if not username or password is None:
            return None
        user_model = get_user_model()
        user = None
        if "@" in username:
            user = user_model.objects.filter(email__iexact=username.strip()).first()
        else:
            try:
                user = user_model.objects.filter(phone=normalize_phone(username)).first()
            except ValidationError:
                user = None
        if user is None:
            # Run the hasher anyway so that timing does not reveal whether the account exists.
            user_model().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
