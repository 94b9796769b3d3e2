#!/usr/bin/env python
"""Django's command-line utility for administrative tasks.

``manage.py`` is the developer's and operator's tool: with ``DEBUG`` unset it runs in development mode, so a bare
``python manage.py makemigrations --check`` works on a fresh clone. Production sets ``DEBUG=0`` (and its
``SECRET_KEY``) in the environment (``deploy/production.env.example``, ``make serve``), and the web server starts from
``diagnopet.wsgi``, which has no such default.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "diagnopet.settings")
    os.environ.setdefault("DEBUG", "1")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 - load the settings now, so a configuration error is shown as such
    except ImproperlyConfigured as exc:
        sys.exit(f"Configuration error: {exc}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
