"""Shared OpenAPI pieces: the error bodies every endpoint can answer with."""

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "detail": serializers.CharField(help_text="A message a client can show."),
        "code": serializers.CharField(help_text="Stable machine-readable code."),
    },
)

# A 400 body: field names map to lists of messages; business rules add "detail" and "code".
ValidationErrorSerializer = inline_serializer(
    name="ValidationError",
    fields={
        "detail": serializers.CharField(required=False),
        "code": serializers.CharField(required=False),
        "field_name": serializers.ListField(child=serializers.CharField(), required=False),
    },
)


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    """``responses=`` entries for the given error statuses."""
    text = {
        400: "Invalid input; the body says which field and why.",
        401: "Not authenticated, or the token is invalid or expired.",
        403: "Authenticated but not allowed.",
        404: "Not found (or not yours).",
        409: "The object's state does not allow this.",
        429: "Too many requests; retry later.",
        503: "A service the request needs is unavailable.",
    }
    return {
        status: OpenApiResponse(
            ValidationErrorSerializer if status == 400 else ErrorSerializer, description=text[status]
        )
        for status in statuses
    }
