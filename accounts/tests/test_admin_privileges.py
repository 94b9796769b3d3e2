"""Staff cannot exceed their role in the back-office: only a superuser changes a superuser or anyone's privileges,
nobody changes their own, nobody hands out a permission they do not hold, refresh tokens stay hidden."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import StaffProfile, StaffRole, User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from accounts.tests.staff import clinic_admin, logged_in, superuser

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
TOKEN = "/api/v1/auth/token"


# --- 1. Only a superuser changes a superuser, or anyone's privileges -------------------------------------------


def test_clinic_admin_cannot_set_a_superusers_password():
    root = superuser()
    client = logged_in(clinic_admin())
    url = f"/admin/accounts/user/{root.pk}/password/"

    assert client.get(url).status_code == 403
    response = client.post(url, {"password1": "Taken-over-2026!", "password2": "Taken-over-2026!"})

    assert response.status_code == 403
    root.refresh_from_db()
    assert root.check_password(DEFAULT_PASSWORD)


def test_clinic_admin_cannot_edit_or_delete_a_superuser():
    root = superuser()
    client = logged_in(clinic_admin())

    page = client.get(f"/admin/accounts/user/{root.pk}/change/")
    response = client.post(f"/admin/accounts/user/{root.pk}/delete/", {"post": "yes"})

    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert response.status_code == 403
    assert User.objects.filter(pk=root.pk, is_superuser=True).exists()


def _change_form_data(user: User, **overrides) -> dict:
    data = {
        "phone": user.phone,
        "full_name": user.full_name,
        "email": user.email or "",
        "is_active": "on",
        "is_verified": "",
        "staff_profile-TOTAL_FORMS": "0",
        "staff_profile-INITIAL_FORMS": "0",
        "staff_profile-MIN_NUM_FORMS": "0",
        "staff_profile-MAX_NUM_FORMS": "1",
    }
    data.update(overrides)
    return data


def test_nobody_grants_themselves_permissions_on_their_own_change_form():
    admin = clinic_admin()
    client = logged_in(admin)
    every_permission = list(Permission.objects.values_list("pk", flat=True))
    before = set(admin.get_all_permissions())

    client.post(
        f"/admin/accounts/user/{admin.pk}/change/",
        _change_form_data(
            admin, user_permissions=every_permission, is_superuser="on", groups=[Group.objects.get(name="admin").pk]
        ),
    )

    admin = User.objects.get(pk=admin.pk)
    assert not admin.is_superuser
    assert admin.user_permissions.count() == 0
    assert set(admin.get_all_permissions()) == before
    assert "token_blacklist.view_outstandingtoken" not in admin.get_all_permissions()


def test_clinic_admin_cannot_make_anyone_a_superuser_or_hand_out_permissions():
    customer = UserFactory()
    client = logged_in(clinic_admin())

    client.post(
        f"/admin/accounts/user/{customer.pk}/change/",
        _change_form_data(
            customer,
            is_superuser="on",
            is_staff="on",
            user_permissions=list(Permission.objects.values_list("pk", flat=True)),
        ),
    )

    customer.refresh_from_db()
    assert (customer.is_superuser, customer.is_staff, customer.user_permissions.count()) == (False, False, 0)


def test_clinic_admin_still_onboards_staff_through_the_role():
    newcomer = UserFactory()
    client = logged_in(clinic_admin())

    response = client.post(
        f"/admin/accounts/user/{newcomer.pk}/change/",
        _change_form_data(
            newcomer,
            **{
                "staff_profile-TOTAL_FORMS": "1",
                "staff_profile-0-role": StaffRole.COLLECTOR,
                "staff_profile-0-assigned_area": "Indiranagar",
                "staff_profile-0-employee_code": "",
            },
        ),
    )

    assert response.status_code == 302, response.content[:2000]
    newcomer.refresh_from_db()
    assert newcomer.is_staff
    assert list(newcomer.groups.values_list("name", flat=True)) == ["collector"]


def test_nobody_gives_a_superuser_or_themselves_a_role_through_staff_profiles():
    admin = clinic_admin()
    root = superuser()
    client = logged_in(admin)

    for target in (root, admin):
        response = client.post(
            "/admin/accounts/staffprofile/add/", {"user": target.pk, "role": StaffRole.ADMIN, "assigned_area": ""}
        )
        assert response.status_code == 200  # the form again, with the error
        assert b"errorlist" in response.content
    assert not StaffProfile.objects.filter(user=root).exists()
    assert StaffProfile.objects.get(user=admin).role == StaffRole.ADMIN


def test_a_clinic_admin_sees_their_own_staff_profile_read_only_without_a_server_error():
    admin = clinic_admin()
    profile = StaffProfile.objects.get(user=admin)
    client = logged_in(admin)

    response = client.get(f"/admin/accounts/staffprofile/{profile.pk}/change/")

    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    posted = client.post(f"/admin/accounts/staffprofile/{profile.pk}/change/", {"role": StaffRole.COLLECTOR})
    assert posted.status_code == 403
    assert StaffProfile.objects.get(user=admin).role == StaffRole.ADMIN


def test_a_group_gets_only_permissions_its_editor_holds_and_role_groups_are_read_only():
    client = logged_in(clinic_admin())
    foreign = Permission.objects.get(codename="view_outstandingtoken")
    own = Permission.objects.get(codename="view_booking")

    refused = client.post("/admin/auth/group/add/", {"name": "Night shift", "permissions": [foreign.pk]})
    accepted = client.post("/admin/auth/group/add/", {"name": "Night shift", "permissions": [own.pk]})
    role_group = Group.objects.get(name="collector")
    role_change = client.post(
        f"/admin/auth/group/{role_group.pk}/change/", {"name": "collector", "permissions": [own.pk]}
    )

    assert refused.status_code == 200
    assert b"errorlist" in refused.content
    assert accepted.status_code == 302
    assert list(Group.objects.get(name="Night shift").permissions.all()) == [own]
    assert role_change.status_code == 403


def test_refresh_tokens_are_for_superusers_only_and_never_show_the_token():
    customer = UserFactory()
    token = str(RefreshToken.for_user(customer))
    admin = clinic_admin()
    # Even a clinic admin given the permissions by hand (as by a careless superuser) does not see them.
    admin.user_permissions.add(*Permission.objects.filter(content_type__app_label="token_blacklist"))
    admin = User.objects.get(pk=admin.pk)

    assert logged_in(admin).get("/admin/token_blacklist/outstandingtoken/").status_code == 403
    page = logged_in(superuser()).get("/admin/token_blacklist/outstandingtoken/")
    assert page.status_code == 200
    assert token.encode() not in page.content
    assert token.split(".")[1].encode() not in page.content
    assert b"Add outstanding token" not in page.content


def test_a_clinic_admin_cannot_unlock_a_superuser():
    root = superuser()
    User.objects.filter(pk=root.pk).update(
        is_locked=True, locked_until=timezone.now() + timedelta(minutes=15), failed_login_attempts=5
    )
    other = UserFactory(is_locked=True, locked_until=timezone.now() + timedelta(minutes=15), failed_login_attempts=5)
    client = logged_in(clinic_admin())

    client.post("/admin/accounts/user/", {"action": "unlock_accounts", "_selected_action": [root.pk, other.pk]})

    root.refresh_from_db()
    other.refresh_from_db()
    assert root.is_currently_locked
    assert not other.is_currently_locked


def test_authenticator_devices_are_not_a_clinic_admins_to_see():
    TOTPDevice.objects.create(user=superuser(), name="phone", confirmed=True)
    client = logged_in(clinic_admin())

    assert client.get("/admin/otp_totp/totpdevice/").status_code == 403
    assert b"otp_totp" not in client.get("/admin/").content
