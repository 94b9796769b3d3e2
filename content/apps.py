from django.apps import AppConfig


class ContentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "content"
    verbose_name = "Site content"

    def ready(self) -> None:
        # Cache invalidation for the public content endpoints (not business logic: see content/signals.py).
        from content import signals  # noqa: F401
