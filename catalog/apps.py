from django.apps import AppConfig


class CatalogConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "catalog"

    def ready(self) -> None:
        # Cache invalidation for the public catalog endpoints (not business logic: see catalog/signals.py).
        from catalog import signals  # noqa: F401
