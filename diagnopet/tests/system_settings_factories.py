import factory

from diagnopet.models import SystemSettings


class SystemSettingsFactory(factory.django.DjangoModelFactory):
    """The one settings row (the environment's values unless given)."""

    class Meta:
        model = SystemSettings
        django_get_or_create = ("singleton",)

    singleton = True


def system_settings_form(row: SystemSettings | None = None, **changes) -> dict:
    """The admin form's fields for ``row`` (or the environment's values), with ``changes``."""
    row = row or SystemSettings()
    data = {
        "cancellation_cutoff_hours": row.cancellation_cutoff_hours,
        "booking_pending_hold_minutes": row.booking_pending_hold_minutes,
        "prepayment_hold_minutes": row.prepayment_hold_minutes,
        "booking_max_open_per_customer_per_day": row.booking_max_open_per_customer_per_day,
        "booking_max_open_per_pet_per_day": row.booking_max_open_per_pet_per_day,
    }
    for flag in ("home_visit_prepayment_required", "sms_enabled", "whatsapp_enabled", "email_enabled"):
        if getattr(row, flag):
            data[flag] = "on"
    data.update(changes)
    return {name: value for name, value in data.items() if value is not False}
