from django.apps import AppConfig


class PromotionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "promotions"

    def ready(self) -> None:
        # Cache invalidation for the automatic offers (not business logic: see promotions/signals.py).
        from promotions import signals  # noqa: F401
