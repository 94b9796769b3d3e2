"""Staff users of each role with a known password, and admin clients logged in as them, for the back-office tests."""

from django.test import Client

from accounts.models import StaffRole, User
from accounts.roles import staff_create
from accounts.tests.factories import UserFactory

PASSWORD = "Vet-lab-2026!"


def staff_of(role: str, phone: str = "+919800000001") -> User:
    """A staff user of ``role`` (made as ``create_staff`` makes them) whose password is ``PASSWORD``."""
    return staff_create(phone=phone, full_name=f"A {role}", role=role, password=PASSWORD)


def clinic_admin(phone: str = "+919800000101") -> User:
    return staff_create(phone=phone, full_name="Clinic Admin", role=StaffRole.ADMIN, password=PASSWORD)


def superuser() -> User:
    return UserFactory(is_staff=True, is_superuser=True)


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client
