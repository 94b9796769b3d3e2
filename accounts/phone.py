"""Phone numbers: the one place that turns what a person typed into E.164."""

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError


def normalize_phone(raw: str) -> str:
    """Return ``raw`` as E.164 (``+919876543210``) or raise ``ValidationError``.

    Numbers without a country code are read in ``settings.PHONE_DEFAULT_REGION``.
    """
    try:
        number = phonenumbers.parse(str(raw or "").strip(), settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError("Enter a valid phone number.", code="invalid_phone") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError("Enter a valid phone number.", code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_e164(value: str) -> None:
    """Model-field validator: the stored value must already be in normalised E.164 form."""
    if normalize_phone(value) != value:
        raise ValidationError("Phone numbers are stored in E.164 form, e.g. +919876543210.")
