"""Strict text fields and the base ModelSerializer every app's serializers build on.

DRF's ``CharField`` turns a JSON number into a string (``0.0`` → ``"0.0"``) and trims surrounding whitespace
before it checks ``max_length``, so a body that breaks the documented schema (``type: string``, ``maxLength``) is
accepted. The fields here refuse anything but a string, and check ``max_length`` on the value as sent; they still
trim it afterwards (a name typed with a trailing space is stored without it). Form and multipart bodies send
strings anyway, so they are unaffected.
"""

from django.db import models
from rest_framework import serializers


class StrictTextMixin:
    """Only strings; ``max_length`` counts the characters sent, before any trimming."""

    default_error_messages = {"not_a_string": "Send text (a JSON string), not {kind}."}

    def run_validation(self, data=serializers.empty):
        # CharField answers "" for blank input before to_internal_value runs, so the raw length is checked here.
        if isinstance(data, str) and self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().run_validation(data)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string", kind=_kind(data))
        return super().to_internal_value(data)


def _kind(value) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "this type"


class StrictCharField(StrictTextMixin, serializers.CharField):
    pass


class StrictEmailField(StrictTextMixin, serializers.EmailField):
    pass


class StrictRegexField(StrictTextMixin, serializers.RegexField):
    pass


class StrictSlugField(StrictTextMixin, serializers.SlugField):
    pass


class StrictURLField(StrictTextMixin, serializers.URLField):
    pass


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer with the strict text fields for the model's text columns."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.EmailField: StrictEmailField,
        models.SlugField: StrictSlugField,
        models.URLField: StrictURLField,
    }
