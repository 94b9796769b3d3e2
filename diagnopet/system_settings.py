"""The one way to read the run-time system settings (``SystemSettings``): ``system_settings()``.

The row's values live in the shared cache (Redis in production) through ``diagnopet.reference_cache``: an entry is
used only while its version token is current, and a save of the row replaces the token when it commits. So every
web worker, Celery worker and command sees a change on its next read, and none keeps its own copy (nothing is held
in process memory). Before the first row is saved, the environment's values apply (read live from Django settings).
"""

from dataclasses import dataclass, fields

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from diagnopet.api.caching import invalidate_cached_responses
from diagnopet.models import SystemSettings
from diagnopet.reference_cache import reference_get, reference_invalidate, reference_key

SYSTEM_SETTINGS_CACHE = reference_key("system_settings")
# The public clinic answer shows the cancellation cutoff (clinic/signals.py names this namespace too).
CLINIC_RESPONSES = "clinic"


@dataclass(frozen=True)
class Settings:
    cancellation_cutoff_hours: int
    booking_pending_hold_minutes: int
    home_visit_prepayment_required: bool
    prepayment_hold_minutes: int
    booking_max_open_per_customer_per_day: int
    booking_max_open_per_pet_per_day: int
    sms_enabled: bool
    whatsapp_enabled: bool
    email_enabled: bool

    def channel_enabled(self, channel: str) -> bool:
        return {"sms": self.sms_enabled, "whatsapp": self.whatsapp_enabled, "email": self.email_enabled}.get(
            channel, True
        )


FIELDS = tuple(f.name for f in fields(Settings))


def _from_environment() -> Settings:
    return Settings(
        cancellation_cutoff_hours=SystemSettings._meta.get_field("cancellation_cutoff_hours").get_default(),
        booking_pending_hold_minutes=settings.BOOKING_PENDING_HOLD_MINUTES,
        home_visit_prepayment_required=settings.HOME_VISIT_PREPAYMENT_REQUIRED,
        prepayment_hold_minutes=settings.PREPAYMENT_HOLD_MINUTES,
        booking_max_open_per_customer_per_day=settings.BOOKING_MAX_OPEN_PER_CUSTOMER_PER_DAY,
        booking_max_open_per_pet_per_day=settings.BOOKING_MAX_OPEN_PER_PET_PER_DAY,
        sms_enabled=True,
        whatsapp_enabled=True,
        email_enabled=True,
    )


def _load() -> dict | None:
    # None (no row yet) is cached too, so that a clinic without a row reads no table on each request.
    return SystemSettings.objects.values(*FIELDS).first()


def system_settings() -> Settings:
    """The settings in force now: the row's, or the environment's while there is no row."""
    row = reference_get(SYSTEM_SETTINGS_CACHE, _load)
    return _from_environment() if row is None else Settings(**row)


@receiver(post_save, sender=SystemSettings, dispatch_uid="system_settings_saved")
@receiver(post_delete, sender=SystemSettings, dispatch_uid="system_settings_deleted")
def system_settings_changed(**kwargs) -> None:
    reference_invalidate(SYSTEM_SETTINGS_CACHE)
    invalidate_cached_responses(CLINIC_RESPONSES)
