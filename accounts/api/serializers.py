from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.settings import api_settings

from accounts.models import NOTIFICATION_CHANNELS, Address, Notification, User
from accounts.phone import normalize_phone
from accounts.services import ADDRESS_FIELDS
from diagnopet.api.serializers import ModelSerializer, StrictCharField, StrictEmailField, StrictRegexField


def _phone(value: str) -> str:
    try:
        return normalize_phone(value)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.messages) from exc


def _check_password(password: str, *, user: User) -> None:
    try:
        password_validation.validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.messages) from exc


def _password_field() -> StrictCharField:
    return StrictCharField(write_only=True, trim_whitespace=False, max_length=128, style={"input_type": "password"})


# --- Users and tokens -----------------------------------------------------------------------------


class UserSerializer(ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "phone", "email", "full_name", "is_verified"]
        read_only_fields = fields


class MeSerializer(ModelSerializer):
    """The caller's profile: ``email``, ``full_name`` and ``notification_channels`` can be changed."""

    notification_channels = serializers.ListField(
        child=serializers.ChoiceField(choices=NOTIFICATION_CHANNELS),
        allow_empty=True,
        max_length=len(NOTIFICATION_CHANNELS) * 2,
        required=False,
        help_text="Where notifications are sent besides the in-app inbox: any of sms, whatsapp, email (email needs "
        "an email address on the account). Stored without repeats in that order; an empty list means in-app only.",
    )

    class Meta:
        model = User
        fields = ["id", "phone", "email", "full_name", "is_verified", "notification_channels"]
        read_only_fields = ["id", "phone", "is_verified"]


class RegisterSerializer(serializers.Serializer):
    phone = StrictCharField(max_length=32, help_text="Any common format; stored as E.164.")
    password = _password_field()
    full_name = StrictCharField(max_length=150)
    email = StrictEmailField(required=False, allow_blank=True, allow_null=True, max_length=254)

    def validate_phone(self, value: str) -> str:
        return _phone(value)

    def validate(self, attrs):
        # The similarity validator compares the password with the would-be user's phone, email and name.
        candidate = User(phone=attrs["phone"], email=attrs.get("email") or None, full_name=attrs["full_name"])
        try:
            _check_password(attrs["password"], user=candidate)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"password": exc.detail}) from exc
        return attrs


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class RegisteredSerializer(TokenPairSerializer):
    user = UserSerializer()


class LoginSerializer(serializers.Serializer):
    username = StrictCharField(max_length=254, help_text="Phone number or email address.")
    password = _password_field()
    otp_token = StrictCharField(
        max_length=8,
        required=False,
        help_text="The current code of the account's authenticator app (staff accounts that set one up).",
    )


class RefreshTokenSerializer(serializers.Serializer):
    refresh = StrictCharField()


class OtpRequestSerializer(serializers.Serializer):
    phone = StrictCharField(max_length=32)

    def validate_phone(self, value: str) -> str:
        return _phone(value)


class OtpRequestedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    expires_in = serializers.IntegerField(help_text="Seconds a code stays valid.")
    resend_after = serializers.IntegerField(help_text="Seconds before another code can be requested.")


class OtpVerifySerializer(OtpRequestSerializer):
    code = StrictRegexField(r"^\d{6}$", max_length=6, error_messages={"invalid": "Enter the 6-digit code."})


class PasswordChangeSerializer(serializers.Serializer):
    old_password = _password_field()
    new_password = _password_field()

    def validate_new_password(self, value: str) -> str:
        _check_password(value, user=self.context["request"].user)
        return value


# --- Addresses and notifications ------------------------------------------------------------------


class CoordinateField(serializers.DecimalField):
    """Degrees with 6 decimals (about 10 cm); longer GPS readings are rounded instead of refused."""

    def __init__(self, *, limit: int, **kwargs):
        kwargs.update(max_digits=9, decimal_places=6, min_value=Decimal(-limit), max_value=Decimal(limit))
        super().__init__(**kwargs)

    def validate_precision(self, value: Decimal) -> Decimal:
        # The range first: quantizing a 30-digit value to 6 places exceeds the decimal context (InvalidOperation).
        if value > self.max_value:
            self.fail("max_value", max_value=self.max_value)
        if value < self.min_value:
            self.fail("min_value", min_value=self.min_value)
        return super().validate_precision(value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP))


class AddressSerializer(ModelSerializer):
    latitude = CoordinateField(limit=90, required=False, allow_null=True)
    longitude = CoordinateField(limit=180, required=False, allow_null=True)

    class Meta:
        model = Address
        fields = ["id", *ADDRESS_FIELDS, "is_default"]
        read_only_fields = ["id"]


class NotificationSerializer(ModelSerializer):
    data = serializers.DictField(read_only=True, help_text='Ids of what the message is about, e.g. {"booking": 12}.')

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "data", "read_at", "created_at"]
        read_only_fields = fields


class MarkedReadSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="How many notifications were unread and are now read.")


# --- Error bodies (for the schema) ----------------------------------------------------------------


OtpCooldownErrorSerializer = inline_serializer(
    name="OtpCooldownError",
    fields={
        "detail": serializers.CharField(),
        "code": serializers.CharField(),
        "retry_after": serializers.IntegerField(
            required=False, help_text="Seconds until a new code can be requested (code `otp_cooldown`)."
        ),
    },
)


@cache
def validation_error_serializer(serializer_class: type[serializers.Serializer]) -> serializers.Serializer:
    """The 400 body for an input serializer: each writable field → its messages; business rules add detail/code."""

    def messages():
        return serializers.ListField(child=serializers.CharField(), required=False)

    fields = {name: messages() for name, field in serializer_class().fields.items() if not field.read_only}
    fields[api_settings.NON_FIELD_ERRORS_KEY] = messages()
    fields["detail"] = serializers.CharField(required=False)
    if "code" in fields:
        # An input field named "code" (the one-time code): its messages (a list) or the error's code (a string).
        fields["code"] = serializers.JSONField(
            required=False, help_text="Messages about the `code` field, or the error's code."
        )
    else:
        fields["code"] = serializers.CharField(required=False)
    name = serializer_class.__name__.removesuffix("Serializer")
    return inline_serializer(name=f"{name}ValidationError", fields=fields)
