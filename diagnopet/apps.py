from django.apps import AppConfig


class DiagnopetConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "diagnopet"
    verbose_name = "System"

    def ready(self):
        # Connects the system settings' cache invalidation.
        from diagnopet import system_settings  # noqa: F401
