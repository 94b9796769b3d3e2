"""Staff roles (SPEC §4) as Django groups, and the writes that put staff users into them.

Each ``StaffRole`` value names one group whose permissions are exactly ``ROLE_PERMISSIONS[role]``.
A staff user's ``StaffProfile.role`` is the truth; the functions here keep the user's role group in
step with it (one role group per user; groups that are not role groups are left alone).

Decision on the admin role: it is *not* a Django superuser. Clinic admins get every permission of our
apps plus group management through the ``admin`` group, so what they may do is written down here and
can be audited; ``is_superuser`` stays a separate, deliberate act (``createsuperuser``). These functions
never change ``is_superuser`` of an existing user, and create new users with it off.
"""

from collections.abc import Iterable

from django.apps import apps
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q

from accounts.models import StaffProfile, StaffRole, User
from accounts.phone import normalize_phone
from diagnopet.errors import ValidationFailed

CRUD = ("add", "change", "delete", "view")

# Every model of our apps, by app label (model names as Django spells them in permission codenames).
OUR_MODELS: dict[str, tuple[str, ...]] = {
    "accounts": (
        "user",
        "address",
        "phoneotp",
        "staffprofile",
        "collectorarea",
        "notification",
        "notificationdelivery",
    ),
    "pets": ("pet",),
    "catalog": ("testcategory", "testtag", "labtest", "packagecomponent", "analyte", "referencerange"),
    "clinic": ("clinicinfo", "openinghours", "clinicholiday"),
    "promotions": ("offer", "coupon", "couponredemption"),
    "billing": (
        *("distancepricingconfig", "billingrecord", "payment", "invoicesequence", "categorydaytotal"),
        *("billingdocument", "paymentorder", "providerevent", "paymentdaytotal"),
    ),
    "bookings": (
        "collectionslot",
        "collectionday",
        "booking",
        "bookingitem",
        "collectorassignment",
        "testbatchgroup",
        "testreport",
        "prescriptionupload",
        "resultvalue",
        "reportshare",
        "reportshareaccess",
    ),
    "reviews": ("review", "collectorrating"),
    "content": ("faqtopic", "faq", "announcement", "testimonial"),
    "settlement": ("collectorfee", "cashhandover", "collectorpayout", "collectorstatement"),
    "privacy": ("accountclosure",),
    # The run-time system settings (one row): the clinic admin's.
    "diagnopet": ("systemsettings",),
}


def _codenames(models: Iterable[str], actions: Iterable[str] = CRUD) -> frozenset[str]:
    return frozenset(f"{action}_{model}" for model in models for action in actions)


def _view(*models: str) -> frozenset[str]:
    return _codenames(models, ("view",))


# role → app label → permission codenames. Exactly these, nothing more (roles_setup removes extras).
ROLE_PERMISSIONS: dict[str, dict[str, frozenset[str]]] = {
    # Everything in the back-office: every model of our apps, plus staff groups (users are accounts.user).
    StaffRole.ADMIN.value: {
        **{app_label: _codenames(models) for app_label, models in OUR_MODELS.items()},
        "auth": _codenames(["group"]),
    },
    # Their visits: see bookings, items, pets, addresses, tests and slots; mark samples collected; record
    # payments taken at the door. view_billingrecord because a payment is recorded against a billing
    # record, and the admin's billing-record picker is only open to those who may view them.
    StaffRole.COLLECTOR.value: {
        "bookings": _view("booking", "bookingitem", "collectionslot") | {"change_booking", "change_bookingitem"},
        "pets": _view("pet"),
        "accounts": _view("address"),
        "catalog": _view("labtest"),
        "billing": {"add_payment", "view_payment", "view_billingrecord"},
        # Their own average rating only ("My rating"), never the reviews behind it.
        "reviews": _view("collectorrating"),
        # Their own monthly statement (fees, cash held, payouts), never another collector's.
        "settlement": _view("collectorstatement"),
    },
    # The lab: see bookings and items, move items through processing, upload and verify reports, check
    # prescriptions. Nothing of offers, coupons, distance pricing, staff or clinic info.
    StaffRole.LAB_TECH.value: {
        "bookings": _view("booking", "bookingitem")
        | {"change_bookingitem"}
        | _codenames(["testreport"], ("add", "change", "view"))
        | _codenames(["prescriptionupload"], ("change", "view"))
        | _codenames(["resultvalue"], ("add", "change", "view"))
        | _view("reportshare", "reportshareaccess"),
        "pets": _view("pet"),
        "catalog": _view("labtest", "packagecomponent", "analyte", "referencerange"),
    },
    # Read-only bookings, billing and what explains the figures (tests, promotions, distance pricing).
    StaffRole.ANALYST.value: {
        "bookings": _view("booking", "bookingitem"),
        "billing": _view("billingrecord", "payment", "distancepricingconfig", "categorydaytotal", "paymentdaytotal"),
        "promotions": _view("coupon", "offer"),
        "catalog": _view("labtest", "testcategory", "packagecomponent"),
        "reviews": _view("review"),
    },
}


def _role_checked(role: str) -> str:
    if role not in StaffRole.values:
        raise ValidationFailed(
            f"Unknown role {role!r}. Choose one of: {', '.join(StaffRole.values)}.", code="invalid_role", field="role"
        )
    return str(role)


def _role_permissions(role: str) -> list[Permission]:
    """The Permission rows of ``ROLE_PERMISSIONS[role]``; a codename that does not exist is a bug here."""
    wanted = {
        (app_label, codename) for app_label, codenames in ROLE_PERMISSIONS[role].items() for codename in codenames
    }
    condition = Q()
    for app_label, codenames in ROLE_PERMISSIONS[role].items():
        condition |= Q(content_type__app_label=app_label, codename__in=codenames)
    found = list(Permission.objects.filter(condition).select_related("content_type"))
    missing = wanted - {(p.content_type.app_label, p.codename) for p in found}
    if missing:
        raise ImproperlyConfigured(f"Role {role!r} names permissions that do not exist: {sorted(missing)}")
    return found


@transaction.atomic
def roles_setup() -> dict[str, Group]:
    """Create or update one group per staff role with exactly the permissions of ``ROLE_PERMISSIONS``.

    Idempotent. Creates missing permissions first, so it works right after ``migrate`` on a fresh
    database (and in code paths that run before the post-migrate signal has).
    """
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    groups: dict[str, Group] = {}
    for role in StaffRole.values:
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(_role_permissions(role))
        groups[role] = group
    return groups


def _role_group(role: str) -> Group:
    group = Group.objects.filter(name=role).first()
    return group if group is not None else roles_setup()[role]


def _role_groups_set(user: User, role: str | None) -> None:
    """Put ``user`` in the group of ``role`` (none when ``role`` is None) and out of every other role group."""
    user.groups.remove(*Group.objects.filter(name__in=StaffRole.values).exclude(name=role or ""))
    if role is not None:
        user.groups.add(_role_group(role))


def _profile_upsert(user: User, **values) -> StaffProfile:
    """Create the user's StaffProfile, or update the fields in ``values`` that differ (no write otherwise)."""
    profile = StaffProfile.objects.filter(user=user).first()
    if profile is None:
        return StaffProfile.objects.create(user=user, **values)
    changed = [name for name, value in values.items() if getattr(profile, name) != value]
    if changed:
        for name in changed:
            setattr(profile, name, values[name])
        profile.save(update_fields=[*changed, "updated_at"])
    return profile


def staff_role(user) -> str | None:
    """The staff role of ``user``, or None for customers and staff without a profile."""
    profile = getattr(user, "staff_profile", None) if user.is_authenticated else None
    return profile.role if profile is not None else None


def staff_is_collector(user) -> bool:
    """True for a (non-superuser) collector: the back-office shows them only the visits assigned to them."""
    return not user.is_superuser and staff_role(user) == StaffRole.COLLECTOR


@transaction.atomic
def staff_set_role(*, user: User, role: str) -> StaffProfile:
    """Give ``user`` the staff ``role`` (creating the StaffProfile when missing) and the matching group.

    Does not touch ``is_staff``: whether the person may open the back-office is decided separately.
    """
    role = _role_checked(role)
    profile = _profile_upsert(user, role=role)
    _role_groups_set(user, role)
    return profile


@transaction.atomic
def staff_unset_role(*, user: User) -> None:
    """Take the staff role away: delete the StaffProfile and leave every role group."""
    StaffProfile.objects.filter(user=user).delete()
    _role_groups_set(user, None)


def _phone_checked(phone: str) -> str:
    try:
        return normalize_phone(phone)
    except ValidationError as exc:
        raise ValidationFailed("Enter a valid phone number.", code="invalid_phone", field="phone") from exc


def _email_checked(email: str | None, *, user: User | None) -> str | None:
    if email is None:
        return None
    email = BaseUserManager.normalize_email(email.strip())
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationFailed("Enter a valid email address.", code="invalid_email", field="email") from exc
    others = User.objects.filter(email__iexact=email)
    if user is not None:
        others = others.exclude(pk=user.pk)
    if others.exists():
        raise ValidationFailed("Another account uses this email address.", code="email_taken", field="email")
    return email


def _password_checked(password: str, user: User) -> str:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(" ".join(exc.messages), code="invalid_password", field="password") from exc
    return password


@transaction.atomic
def staff_create(
    *,
    phone: str,
    full_name: str,
    role: str,
    password: str | None = None,
    email: str | None = None,
    assigned_area: str = "",
) -> User:
    """Create or update the staff user with this phone: ``is_staff``, a StaffProfile with ``role`` and
    ``assigned_area``, and membership of exactly that role's group.

    Idempotent: a user with the phone is updated, never duplicated, and nothing is written when nothing
    differs. ``password`` None gives a new user an unusable password and leaves an existing one's alone;
    ``email`` None leaves the email as it is. ``is_superuser`` is never turned on (see the module docstring).
    """
    role = _role_checked(role)
    phone = _phone_checked(phone)
    user = User.objects.filter(phone=phone).first()
    email = _email_checked(email, user=user)

    if user is None:
        user = User(phone=phone, full_name=full_name, email=email, is_staff=True, is_superuser=False)
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(_password_checked(password, user))
        user.save()
    else:
        changed = []
        if user.full_name != full_name:
            user.full_name = full_name
            changed.append("full_name")
        if email is not None and (user.email or "").lower() != email.lower():
            user.email = email
            changed.append("email")
        if not user.is_staff:
            user.is_staff = True
            changed.append("is_staff")
        if password is not None and not user.check_password(password):
            user.set_password(_password_checked(password, user))
            changed.append("password")
        if changed:
            user.save(update_fields=[*changed, "updated_at"])

    _profile_upsert(user, role=role, assigned_area=assigned_area)
    _role_groups_set(user, role)
    return user
