"""The audit trail's registration: django-auditlog's app, following each model's own fields only.

django-auditlog registers ``AUDITLOG_INCLUDE_TRACKING_MODELS`` (settings). When it logs a row's creation or
deletion it lists every field ``Model._meta.get_fields()`` gives, reverse relations included: a new booking's entry
read ``"items": ["None", "bookings.BookingItem.None"]`` for each of them (a related manager's repr), built one manager
per relation on every save (upstream issue jazzband/django-auditlog#551). An update compares the concrete fields
only. So here every tracked model also leaves out its reverse relations, whichever are added later: creation,
update and deletion then log the same fields, the row's own.
"""

from auditlog.apps import AuditlogConfig
from django.apps import apps
from django.conf import settings


def reverse_relation_names(model) -> list[str]:
    """The model's relations declared on other models (reverse foreign keys, one-to-ones and many-to-manys)."""
    return [field.name for field in model._meta.get_fields() if field.auto_created and not field.concrete]


class AuditConfig(AuditlogConfig):
    """django-auditlog's own app config (label ``auditlog``), whose registrations exclude reverse relations."""

    def ready(self):
        super().ready()
        from auditlog.registry import auditlog

        for item in settings.AUDITLOG_INCLUDE_TRACKING_MODELS:
            options = dict(item) if isinstance(item, dict) else {"model": item}
            label = options.pop("model")
            # "app.Model", or (as django-auditlog allows for a plain string) every model of an app.
            models = [apps.get_model(label)] if "." in label else apps.get_app_config(label).get_models()
            for model in models:
                excluded = [*options.get("exclude_fields", ()), *reverse_relation_names(model)]
                auditlog.register(model, **{**options, "exclude_fields": list(dict.fromkeys(excluded))})

        # The log's admin, searching our user model's fields (importing it registers it in place of auditlog's).
        import diagnopet.admin_auditlog  # noqa: F401
