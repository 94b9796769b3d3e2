from django.apps import AppConfig


class ClinicConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "clinic"

    def ready(self) -> None:
        # Cache invalidation for the public clinic endpoints (not business logic: see clinic/signals.py).
        from clinic import signals  # noqa: F401
