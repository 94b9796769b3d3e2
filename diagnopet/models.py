"""Shared model building blocks."""

import secrets
from pathlib import PurePath

from django.db import models


class TimeStampedModel(models.Model):
    """Every table carries when a row was created and last changed."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def default_currency() -> str:
    from django.conf import settings

    return settings.CURRENCY


def money_field(**kwargs) -> models.DecimalField:
    """A money column: Decimal with 12 digits, 2 after the point (currency from settings.CURRENCY)."""
    kwargs.setdefault("max_digits", 12)
    kwargs.setdefault("decimal_places", 2)
    return models.DecimalField(**kwargs)


def random_upload_path(folder: str, filename: str) -> str:
    """A random stored name that keeps only a short, safe extension of the original file name.

    The original name is kept in its own column for display; nothing of it reaches the file system
    except the extension, so path-traversal or script names cannot matter.
    """
    suffix = PurePath(filename).suffix.lower()
    if not suffix[1:].isalnum() or len(suffix) > 6:
        suffix = ""
    token = secrets.token_hex(16)
    return f"{folder}/{token[:2]}/{token}{suffix}"


class ScheduledRun(models.Model):
    """When each scheduled job (``CELERY_BEAT_SCHEDULE``) last finished: a run handles what fell due since then, so a
    tick lost while the broker was down is made up by the next one (``diagnopet/scheduling.py``)."""

    name = models.CharField(max_length=100, unique=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "scheduled run"

    def __str__(self) -> str:
        return f"{self.name} (last success {self.last_success_at or 'never'})"
