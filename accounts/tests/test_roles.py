"""Staff roles as groups: exact permissions, idempotent setup, staff users kept in their role's group,
the two commands, and what each role can open in the admin."""

import io
import re

import pytest
from django.contrib import admin
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from accounts.models import StaffProfile, StaffRole, User
from accounts.roles import ROLE_PERMISSIONS, roles_setup, staff_create, staff_set_role, staff_unset_role
from accounts.tests.factories import StaffUserFactory, UserFactory
from accounts.tests.staff import PASSWORD
from accounts.tests.staff import logged_in as _client
from accounts.tests.staff import staff_of as _staff
from diagnopet.errors import ValidationFailed

OUR_APPS = ("accounts", "pets", "catalog", "clinic", "promotions", "billing", "bookings", "reviews", "content")


def _group_perms(name: str) -> set[str]:
    group = Group.objects.get(name=name)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def _expected(role: str) -> set[str]:
    return {f"{app}.{codename}" for app, codenames in ROLE_PERMISSIONS[role].items() for codename in codenames}


# --- roles_setup ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_roles_setup_creates_one_group_per_role_with_exactly_its_permissions():
    groups = roles_setup()

    assert set(groups) == {"admin", "collector", "lab_tech", "analyst"}
    for role in StaffRole.values:
        assert groups[role].name == role
        assert _group_perms(role) == _expected(role)


@pytest.mark.django_db
def test_roles_setup_twice_changes_nothing():
    first = {name: (group.pk, _group_perms(name)) for name, group in roles_setup().items()}

    second = {name: (group.pk, _group_perms(name)) for name, group in roles_setup().items()}

    assert second == first
    assert Group.objects.filter(name__in=StaffRole.values).count() == 4


@pytest.mark.django_db
def test_roles_setup_removes_permissions_added_by_hand():
    roles_setup()
    collector = Group.objects.get(name="collector")
    collector.permissions.add(Permission.objects.get(codename="change_offer"))

    roles_setup()

    assert "promotions.change_offer" not in _group_perms("collector")
    assert _group_perms("collector") == _expected("collector")


@pytest.mark.django_db
def test_roles_setup_creates_missing_permissions_first():
    # As on a fresh database where the post-migrate permissions are not there yet.
    Permission.objects.filter(content_type__app_label="bookings").delete()

    roles_setup()

    assert "bookings.change_booking" in _group_perms("collector")


@pytest.mark.django_db
def test_admin_role_has_every_permission_of_our_apps_and_group_management():
    roles_setup()
    ours = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.filter(content_type__app_label__in=OUR_APPS).select_related("content_type")
    }

    perms = _group_perms("admin")

    # Fails when a model is added to one of our apps but not to roles.OUR_MODELS.
    assert ours <= perms
    assert {"auth.add_group", "auth.change_group", "auth.delete_group", "auth.view_group"} <= perms


@pytest.mark.django_db
def test_analyst_has_view_permissions_only():
    roles_setup()

    perms = _group_perms("analyst")

    assert perms
    assert all(p.split(".")[1].startswith("view_") for p in perms)
    assert {"bookings.view_booking", "billing.view_billingrecord", "billing.view_payment"} <= perms


@pytest.mark.django_db
def test_lab_tech_permissions():
    user = _staff(StaffRole.LAB_TECH)

    for perm in (
        "bookings.view_booking",
        "bookings.change_bookingitem",
        "bookings.add_testreport",
        "bookings.change_testreport",
        "bookings.change_prescriptionupload",
    ):
        assert user.has_perm(perm), perm
    for perm in (
        "promotions.change_offer",
        "promotions.view_offer",
        "promotions.change_coupon",
        "billing.change_distancepricingconfig",
        "clinic.change_clinicinfo",
        "accounts.change_staffprofile",
        "accounts.change_user",
        "bookings.change_booking",
    ):
        assert not user.has_perm(perm), perm


@pytest.mark.django_db
def test_collector_permissions():
    user = _staff(StaffRole.COLLECTOR)

    for perm in ("billing.add_payment", "bookings.change_booking", "bookings.change_bookingitem", "pets.view_pet"):
        assert user.has_perm(perm), perm
    for perm in ("billing.change_payment", "promotions.view_offer", "bookings.add_testreport", "pets.change_pet"):
        assert not user.has_perm(perm), perm


# --- staff_create / staff_set_role ------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_create_makes_a_staff_user_in_the_role_group():
    user = staff_create(
        phone="98000 00001", full_name="Ravi K", role="collector", email="ravi@lab.example", assigned_area="HSR"
    )

    assert user.phone == "+919800000001"
    assert user.is_staff
    assert not user.is_superuser
    assert not user.has_usable_password()
    assert user.staff_profile.role == StaffRole.COLLECTOR
    assert user.staff_profile.assigned_area == "HSR"
    assert list(user.groups.values_list("name", flat=True)) == ["collector"]


@pytest.mark.django_db
def test_staff_create_twice_keeps_one_user_and_changes_nothing():
    first = staff_create(phone="+919800000001", full_name="Ravi K", role="collector", password=PASSWORD)

    second = staff_create(phone="9800000001", full_name="Ravi K", role="collector", password=PASSWORD)

    assert second.pk == first.pk
    assert User.objects.filter(phone="+919800000001").count() == 1
    assert StaffProfile.objects.filter(user=first).count() == 1
    assert second.updated_at == first.updated_at
    assert second.password == first.password
    assert list(second.groups.values_list("name", flat=True)) == ["collector"]


@pytest.mark.django_db
def test_staff_create_promotes_an_existing_customer_and_keeps_their_password():
    customer = UserFactory(phone="+919800000002")
    password_hash = customer.password

    user = staff_create(phone=customer.phone, full_name="Now staff", role="analyst")

    assert user.pk == customer.pk
    assert user.is_staff
    assert user.password == password_hash
    assert user.full_name == "Now staff"


@pytest.mark.django_db
def test_staff_create_never_changes_superuser_status():
    owner = UserFactory(phone="+919800000003", is_staff=True, is_superuser=True)

    staff_create(phone=owner.phone, full_name="Owner", role="admin")

    owner.refresh_from_db()
    assert owner.is_superuser
    assert not staff_create(phone="+919800000004", full_name="Clinic admin", role="admin").is_superuser


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"role": "cashier"}, "invalid_role"),
        ({"phone": "12345"}, "invalid_phone"),
        ({"password": "123"}, "invalid_password"),
        ({"email": "not-an-email"}, "invalid_email"),
    ],
)
def test_staff_create_refuses_bad_input(kwargs, code):
    arguments = {"phone": "+919800000005", "full_name": "X", "role": "collector"} | kwargs

    with pytest.raises(ValidationFailed) as caught:
        staff_create(**arguments)

    assert caught.value.code == code
    assert not User.objects.filter(phone="+919800000005").exists()


@pytest.mark.django_db
def test_staff_create_refuses_an_email_of_another_account():
    UserFactory(email="taken@lab.example")

    with pytest.raises(ValidationFailed) as caught:
        staff_create(phone="+919800000006", full_name="X", role="collector", email="TAKEN@lab.example")

    assert caught.value.code == "email_taken"


@pytest.mark.django_db
def test_staff_set_role_moves_the_user_to_the_new_group_only():
    user = _staff(StaffRole.COLLECTOR)
    other_group = Group.objects.create(name="night shift")
    user.groups.add(other_group)

    profile = staff_set_role(user=user, role=StaffRole.LAB_TECH)

    assert profile.role == StaffRole.LAB_TECH
    assert set(user.groups.values_list("name", flat=True)) == {"lab_tech", "night shift"}
    assert user.has_perm("bookings.add_testreport")
    assert not User.objects.get(pk=user.pk).has_perm("billing.add_payment")


@pytest.mark.django_db
def test_staff_unset_role_removes_profile_and_role_group():
    user = _staff(StaffRole.ANALYST)

    staff_unset_role(user=user)

    assert not StaffProfile.objects.filter(user=user).exists()
    assert not user.groups.exists()


# --- commands -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_setup_roles_command_is_safe_to_run_twice():
    out = io.StringIO()
    call_command("setup_roles", stdout=out)
    first = _group_perms("lab_tech")

    again = io.StringIO()
    call_command("setup_roles", stdout=again)

    assert "Set up 4 staff role groups." in out.getvalue()
    assert again.getvalue().count("(unchanged)") == 4
    assert _group_perms("lab_tech") == first


@pytest.mark.django_db
def test_create_staff_command_creates_the_user_and_prints_the_password_once():
    out = io.StringIO()

    call_command(
        "create_staff", "--phone", "9800000007", "--name", "Meera", "--role", "lab_tech", "--area", "Lab", stdout=out
    )

    user = User.objects.get(phone="+919800000007")
    password = re.search(r"Password \(shown only this once\): (\S+)", out.getvalue()).group(1)
    assert "Created staff user" in out.getvalue()
    assert authenticate(username="+919800000007", password=password) == user
    assert user.staff_profile.role == StaffRole.LAB_TECH
    assert list(user.groups.values_list("name", flat=True)) == ["lab_tech"]


@pytest.mark.django_db
def test_create_staff_command_second_run_changes_nothing():
    args = ["create_staff", "--phone", "+919800000008", "--name", "Meera", "--role", "collector"]
    call_command(*args, stdout=io.StringIO())
    before = User.objects.get(phone="+919800000008")

    out = io.StringIO()
    call_command(*args, stdout=out)

    after = User.objects.get(phone="+919800000008")
    assert "up to date" in out.getvalue()
    assert "Password" not in out.getvalue()
    assert (after.password, after.updated_at) == (before.password, before.updated_at)
    assert after.staff_profile.updated_at == before.staff_profile.updated_at
    assert User.objects.filter(phone="+919800000008").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--phone", "+919800000009", "--name", "X", "--role", "cashier"], "invalid choice: 'cashier'"),
        (["--phone", "12", "--name", "X", "--role", "analyst"], "Invalid --phone"),
        (["--phone", "+919800000009", "--name", "X", "--role", "analyst", "--password", "123"], "too short"),
    ],
)
def test_create_staff_command_refuses_bad_input(args, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("create_staff", *args, stdout=io.StringIO())

    assert not User.objects.filter(phone="+919800000009").exists()


@pytest.mark.django_db
def test_create_staff_dry_run_saves_nothing():
    out = io.StringIO()

    call_command(
        "create_staff", "--phone", "+919800000010", "--name", "X", "--role", "analyst", "--dry-run", stdout=out
    )

    assert "[dry run]" in out.getvalue()
    assert not User.objects.filter(phone="+919800000010").exists()


# --- what each role can open in the admin ---------------------------------------------------------------


@pytest.mark.django_db
def test_collector_opens_bookings_but_not_offers():
    collector = _staff(StaffRole.COLLECTOR)
    client = _client(collector)

    assert client.get(reverse("admin:bookings_booking_changelist")).status_code == 200
    assert client.get(reverse("admin:billing_payment_add")).status_code == 200
    assert client.get(reverse("admin:promotions_offer_changelist")).status_code == 403


@pytest.mark.django_db
def test_lab_tech_opens_reports_and_items_but_not_pricing():
    client = _client(_staff(StaffRole.LAB_TECH))

    assert client.get(reverse("admin:bookings_testreport_changelist")).status_code == 200
    assert client.get(reverse("admin:bookings_bookingitem_changelist")).status_code == 200
    assert client.get(reverse("admin:billing_distancepricingconfig_changelist")).status_code == 403
    assert client.get(reverse("admin:clinic_clinicinfo_changelist")).status_code == 403


# --- staff profiles edited in the admin keep the group in step ----------------------------------------------


@pytest.mark.django_db
def test_staff_profile_added_and_deleted_in_the_admin_moves_the_group(admin_client):
    user = StaffUserFactory()

    response = admin_client.post(
        reverse("admin:accounts_staffprofile_add"),
        {"user": user.pk, "role": "analyst", "assigned_area": "", "employee_code": "E-7"},
    )

    assert response.status_code == 302
    assert list(user.groups.values_list("name", flat=True)) == ["analyst"]

    profile = StaffProfile.objects.get(user=user)
    response = admin_client.post(reverse("admin:accounts_staffprofile_delete", args=[profile.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not StaffProfile.objects.filter(user=user).exists()
    assert not user.groups.exists()


@pytest.mark.django_db
def test_role_set_on_the_user_page_sets_the_group(admin_client):
    user = StaffUserFactory(phone="+919800000011", full_name="Lab person")
    data = {
        "phone": user.phone,
        "full_name": user.full_name,
        "email": user.email,
        "is_active": "on",
        "is_staff": "on",
        "staff_profile-TOTAL_FORMS": "1",
        "staff_profile-INITIAL_FORMS": "0",
        "staff_profile-MIN_NUM_FORMS": "0",
        "staff_profile-MAX_NUM_FORMS": "1",
        "staff_profile-0-role": "lab_tech",
        "staff_profile-0-assigned_area": "",
        "staff_profile-0-employee_code": "",
        "_save": "Save",
    }

    response = admin_client.post(reverse("admin:accounts_user_change", args=[user.pk]), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert StaffProfile.objects.get(user=user).role == StaffRole.LAB_TECH
    assert list(user.groups.values_list("name", flat=True)) == ["lab_tech"]


@pytest.mark.django_db
def test_clinic_admin_role_opens_every_page_of_our_apps_but_cannot_make_superusers():
    clinic_admin = _staff(StaffRole.ADMIN)
    client = _client(clinic_admin)

    for model in admin.site._registry:
        if model._meta.app_label in (*OUR_APPS, "auth"):
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            assert client.get(url, follow=True).status_code == 200, url
    page = client.get(reverse("admin:accounts_user_change", args=[clinic_admin.pk]))
    assert b'name="is_superuser"' not in page.content
    assert b'name="is_staff"' not in page.content  # privileges are a superuser's to change
