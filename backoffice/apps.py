from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    """The top layer: what spans several apps (the staff dashboard on the admin index, the demo data and
    ``seed_demo``). It may import every app; no app imports it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "backoffice"
