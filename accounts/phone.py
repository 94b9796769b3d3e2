"""Phone numbers: the one place that turns what a person typed into E.164."""

import phonenumbers
from django import forms
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


class PhoneField(forms.CharField):
    """A form field for a phone number as people type it ("98450 12345", "098450-12345", "+91 98450 12345"): read in
    ``PHONE_DEFAULT_REGION`` and cleaned to E.164, or a message on the field."""

    default_error_messages = {"invalid_phone": "Enter a valid phone number, e.g. 98450 12345 or +91 98450 12345."}

    def __init__(self, **kwargs):
        kwargs["max_length"] = 32  # longer than the stored E.164 (16): spaces, dashes and a leading 0 are typed
        kwargs.setdefault("help_text", "Any common format; stored as +<country><number>.")
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        try:
            return normalize_phone(value)
        except ValidationError as exc:
            raise ValidationError(self.error_messages["invalid_phone"], code="invalid_phone") from exc


class PhoneAdminMixin:
    """For a ModelAdmin: every model field validated as E.164 (``validate_e164``) gets a ``PhoneField`` on the form."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if validate_e164 in getattr(db_field, "validators", ()):
            # The model's help text asks for E.164; the form takes any common format (PhoneField's help text).
            kwargs = {"required": not db_field.blank, "label": db_field.verbose_name.capitalize(), **kwargs}
            return PhoneField(**kwargs)
        return super().formfield_for_dbfield(db_field, request, **kwargs)
