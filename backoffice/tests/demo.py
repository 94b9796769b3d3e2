"""What the tests of the demo day share: the demo data (``seed_demo``, as ``make run`` loads it) and its staff."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import User

# The demo logins (backoffice.demo.demo_logins): clinic admin, collectors, lab technicians.
ADMIN, COLLECTOR, TECH, OTHER_TECH = "+919000000101", "+919000000102", "+919000000104", "+919000000105"


@pytest.fixture
def demo_data(settings):
    """The demo data, seeded with a fast password hasher (the demo's users each get a password)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", stdout=StringIO())


def staff(phone: str) -> Client:
    """A browser-like client logged in as the demo staff member with this phone."""
    client = Client()
    client.force_login(User.objects.get(phone=phone))
    return client
