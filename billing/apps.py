from django.apps import AppConfig


class BillingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billing"

    def ready(self) -> None:
        # Cache invalidation for the distance pricing in force (not business logic: see billing/signals.py).
        from billing import signals  # noqa: F401
