from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group, Permission
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import (
    Address,
    CollectorArea,
    Notification,
    NotificationDelivery,
    PhoneOTP,
    StaffProfile,
    StaffRole,
    User,
    Weekday,
)
from accounts.phone import PhoneField
from accounts.roles import staff_set_role, staff_unset_role
from accounts.services import user_unlock
from diagnopet.admin_base import LargeTableAdmin, ReadOnlyInline, ReadOnlyModelAdmin, done_message

TIMESTAMPS = ("created_at", "updated_at")

# What decides what a user may do. Only a superuser changes these, and nobody changes their own: otherwise a clinic
# admin could grant themselves the token blacklist or make a friend a superuser.
PRIVILEGE_FIELDS = ("is_superuser", "is_staff", "groups", "user_permissions")


def may_manage(actor: User, target: User | None) -> bool:
    """Only a superuser changes (or deletes, or sets the password of) a superuser."""
    return target is None or actor.is_superuser or not target.is_superuser


def permissions_held(actor: User):
    """The Permission rows ``actor`` holds: what they may hand out to a group (a superuser holds all)."""
    if actor.is_superuser:
        return Permission.objects.all()
    held = actor.get_all_permissions()
    return Permission.objects.filter(
        pk__in=[
            pk
            for pk, app_label, codename in Permission.objects.values_list("pk", "content_type__app_label", "codename")
            if f"{app_label}.{codename}" in held
        ]
    )


class UserCreateForm(AdminUserCreationForm):
    phone = PhoneField()

    class Meta:
        model = User
        fields = ("phone", "full_name", "email")


class UserEditForm(UserChangeForm):
    phone = PhoneField()

    class Meta:
        model = User
        fields = "__all__"


class StaffProfileForm(forms.ModelForm):
    """Working days as a row of tick boxes (stored as a list of weekday numbers)."""

    working_days = forms.TypedMultipleChoiceField(
        choices=Weekday.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Collectors: the weekdays they make visits.",
    )

    class Meta:
        model = StaffProfile
        fields = ("user", "role", "assigned_area", "employee_code", "working_days", "daily_visit_cap")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only collectors have a cap: other staff leave it empty and get the default. A read-only view of the
        # profile (one's own, a superuser's) builds the form without its fields.
        if "daily_visit_cap" in self.fields:
            self.fields["daily_visit_cap"].required = False

    def clean_daily_visit_cap(self):
        cap = self.cleaned_data.get("daily_visit_cap")
        return cap if cap is not None else StaffProfile._meta.get_field("daily_visit_cap").get_default()


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    form = StaffProfileForm
    fields = ("role", "assigned_area", "employee_code", "working_days", "daily_visit_cap")
    max_num = 1
    extra = 0
    verbose_name_plural = "staff profile (the role also sets the user's role group)"

    # ``obj`` is the user being edited: nobody sets their own role (it is their permissions).
    def has_add_permission(self, request, obj):
        return obj != request.user and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return obj != request.user and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return obj != request.user and super().has_delete_permission(request, obj)


@admin.register(User)
class UserAdmin(LargeTableAdmin, DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreateForm
    inlines = [StaffProfileInline]
    list_display = ("phone", "full_name", "email", "role", "is_staff", "is_active", "is_locked", "created_at")
    list_select_related = ("staff_profile",)
    list_filter = ("is_staff", "staff_profile__role", "is_active", "is_locked", "is_verified", "is_superuser", "groups")
    search_fields = ("phone", "full_name", "email")
    ordering = ("-created_at", "-id")
    date_hierarchy = "created_at"
    readonly_fields = (
        "failed_login_attempts",
        "is_locked",
        "locked_until",
        "last_login",
        "deactivated_at",
        "anonymized_at",
        # The customer's own choice (me.notification_channels), checked by their API.
        "notification_channels",
        *TIMESTAMPS,
    )
    fieldsets = (
        (None, {"fields": ("phone", "password")}),
        ("Personal info", {"fields": ("full_name", "email", "is_verified", "notification_channels")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Login lock", {"fields": ("failed_login_attempts", "is_locked", "locked_until")}),
        ("Dates", {"fields": ("last_login", "deactivated_at", "anonymized_at", *TIMESTAMPS)}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("phone", "full_name", "email", "usable_password", "password1", "password2"),
            },
        ),
    )
    actions = ["unlock_accounts"]

    @admin.display(description="role", ordering="staff_profile__role")
    def role(self, obj: User) -> str:
        profile = getattr(obj, "staff_profile", None)
        return profile.get_role_display() if profile else ""

    def has_change_permission(self, request, obj=None):
        # Also guards the password form (UserAdmin.user_change_password asks this for the user it changes).
        return may_manage(request.user, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return may_manage(request.user, obj) and super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        # A clinic admin (role admin) gives back-office access through the staff profile's role, which is a
        # fixed set of permissions that they hold themselves (accounts/roles.py).
        if not request.user.is_superuser or obj == request.user:
            return (*readonly, *PRIVILEGE_FIELDS)
        return readonly

    def get_inlines(self, request, obj):
        # The profile is added on the change page, once the user exists.
        return self.inlines if obj is not None else []

    def save_related(self, request, form, formsets, change):
        user = form.instance
        had_profile = StaffProfile.objects.filter(user=user).exists()
        super().save_related(request, form, formsets, change)
        # After the groups field and the inline are saved: the profile's role decides the role group.
        profile = StaffProfile.objects.filter(user=user).first()
        if profile is not None:
            staff_set_role(user=user, role=profile.role)
        elif change:
            staff_unset_role(user=user)
        if not request.user.is_superuser:
            # is_staff is a superuser's field; for a clinic admin, giving or taking the role opens or closes the
            # back-office.
            is_staff = profile is not None or (user.is_staff and not had_profile)
            if is_staff != user.is_staff:
                user.is_staff = is_staff
                user.save(update_fields=["is_staff", "updated_at"])

    @admin.action(description="Unlock selected accounts", permissions=["change"])
    def unlock_accounts(self, request, queryset):
        unlocked, skipped = [], []
        for user in queryset:
            if not may_manage(request.user, user):  # a superuser's lock is a superuser's to lift
                skipped.append(user.name)
                continue
            user_unlock(user=user)
            unlocked.append(user.name)
        text = done_message(
            unlocked,
            one="Unlocked the account of {name}.",
            singular="Unlocked %(count)d account",
            plural="Unlocked %(count)d accounts",
        )
        if text:
            self.message_user(request, text, messages.SUCCESS)
        if skipped:
            self.message_user(
                request, f"Only a superuser can unlock a superuser: {', '.join(skipped)} left locked.", messages.WARNING
            )


class CollectorAreaInline(admin.TabularInline):
    model = CollectorArea
    fields = ("name", "postal_code", "latitude", "longitude", "radius_km")
    extra = 1


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    """Staff roles; for collectors also their working days, daily visit cap and service areas (inline)."""

    form = StaffProfileForm
    inlines = [CollectorAreaInline]
    list_display = ("user", "role", "assigned_area", "daily_visit_cap", "employee_code", "created_at")
    list_select_related = ("user",)
    list_filter = ("role",)
    search_fields = ("user__phone", "user__full_name", "employee_code", "assigned_area")
    autocomplete_fields = ("user",)
    readonly_fields = TIMESTAMPS

    def get_inlines(self, request, obj):
        # Service areas once the profile exists (and only collectors have them).
        return self.inlines if obj is not None and obj.role == StaffRole.COLLECTOR else []

    def has_change_permission(self, request, obj=None):
        return self._may_edit(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_edit(request, obj) and super().has_delete_permission(request, obj)

    @staticmethod
    def _may_edit(request, profile: StaffProfile | None) -> bool:
        return profile is None or (profile.user_id != request.user.pk and may_manage(request.user, profile.user))

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        class GuardedForm(form):
            def clean_user(self):
                user = self.cleaned_data["user"]
                if user == request.user:
                    raise forms.ValidationError("You cannot change your own role.", code="own_role")
                if not may_manage(request.user, user):
                    raise forms.ValidationError("Only a superuser can change a superuser.", code="superuser")
                return user

        return GuardedForm

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        staff_set_role(user=obj.user, role=obj.role)

    def delete_model(self, request, obj):
        staff_unset_role(user=obj.user)

    def delete_queryset(self, request, queryset):
        for profile in queryset.select_related("user"):
            staff_unset_role(user=profile.user)


@admin.register(CollectorArea)
class CollectorAreaAdmin(admin.ModelAdmin):
    """Every collector's service areas in one list (each collector's own are also inline on their staff profile)."""

    list_display = ("name", "profile", "postal_code", "latitude", "longitude", "radius_km")
    list_select_related = ("profile__user",)
    list_filter = ("name",)
    search_fields = ("name", "postal_code", "profile__user__full_name", "profile__user__phone")
    readonly_fields = TIMESTAMPS

    def get_queryset(self, request):
        return super().get_queryset(request).filter(profile__role=StaffRole.COLLECTOR)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "profile":
            kwargs["queryset"] = StaffProfile.objects.filter(role=StaffRole.COLLECTOR).select_related("user")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    """Collectors see only the addresses of their visits: bookings/admin.py re-registers it with that rule."""

    list_display = ("__str__", "user", "city", "postal_code", "is_default", "created_at")
    list_select_related = ("user",)
    list_filter = ("is_default", "city")
    search_fields = ("line1", "line2", "landmark", "city", "postal_code", "user__phone", "user__full_name")
    autocomplete_fields = ("user",)
    readonly_fields = TIMESTAMPS


@admin.register(PhoneOTP)
class PhoneOTPAdmin(LargeTableAdmin, admin.ModelAdmin):
    """Read-only: codes are issued by the login flow. The code hash is never shown."""

    fields = ("phone", "purpose", "expires_at", "attempts", "consumed_at", *TIMESTAMPS)
    readonly_fields = fields
    list_display = ("phone", "purpose", "created_at", "expires_at", "attempts", "consumed_at")
    list_filter = ("purpose", ("consumed_at", admin.EmptyFieldListFilter))
    search_fields = ("phone",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class NotificationDeliveryInline(ReadOnlyInline):
    model = NotificationDelivery
    fields = ("channel", "status", "attempts", "sent_at", "last_error")
    readonly_fields = fields


@admin.register(Notification)
class NotificationAdmin(LargeTableAdmin, admin.ModelAdmin):
    list_display = ("title", "user", "kind", "read_at", "created_at")
    list_select_related = ("user",)
    list_filter = ("kind", ("read_at", admin.EmptyFieldListFilter))
    search_fields = ("title", "event_key", "user__phone", "user__full_name")
    date_hierarchy = "created_at"
    autocomplete_fields = ("user",)
    readonly_fields = ("read_at", *TIMESTAMPS)
    inlines = [NotificationDeliveryInline]


@admin.register(NotificationDelivery)
class NotificationDeliveryAdmin(LargeTableAdmin, ReadOnlyModelAdmin):
    """Written by the sending workers only: one row per notification and channel, with how its sending went."""

    list_display = ("notification", "user", "channel", "status", "attempts", "sent_at", "created_at")
    list_select_related = ("notification__user",)
    list_filter = ("channel", "status")
    search_fields = ("notification__title", "notification__user__phone", "last_error")
    date_hierarchy = "created_at"
    fields = ("notification", "channel", "status", "attempts", "sent_at", "last_error", *TIMESTAMPS)

    @admin.display(description="user", ordering="notification__user")
    def user(self, delivery: NotificationDelivery):
        return delivery.notification.user


# --- Groups: nobody hands out a permission they do not hold ---------------------------------------------------

admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    """Django's group admin, with two limits for staff who are not superusers: the role groups are read-only (their
    permissions are written in accounts/roles.py and reset by ``setup_roles``), and a group can only be given, or
    keep, permissions the editor holds."""

    def has_change_permission(self, request, obj=None):
        return self._may_edit(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_edit(request, obj) and super().has_delete_permission(request, obj)

    @staticmethod
    def _may_edit(request, group: Group | None) -> bool:
        if group is None or request.user.is_superuser:
            return True
        if group.name in StaffRole.values:
            return False
        return not group.permissions.exclude(pk__in=permissions_held(request.user)).exists()

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        field = super().formfield_for_manytomany(db_field, request=request, **kwargs)
        if db_field.name == "permissions" and not request.user.is_superuser:
            field.queryset = field.queryset.filter(pk__in=permissions_held(request.user))
        return field


# --- Refresh tokens: a superuser may look, nobody may read a token -------------------------------------------

for _model in (OutstandingToken, BlacklistedToken):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


class SuperuserReadOnlyAdmin(ReadOnlyModelAdmin):
    """Visible to superusers only, whatever permissions a group grants, and never editable here."""

    actions = None

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


@admin.register(OutstandingToken)
class OutstandingTokenAdmin(SuperuserReadOnlyAdmin):
    # The token text is a working credential until it expires: its id (jti) identifies it well enough.
    fields = ("user", "jti", "created_at", "expires_at")
    readonly_fields = fields
    list_display = fields
    list_select_related = ("user",)
    search_fields = ("jti", "user__phone")
    ordering = ("-created_at",)


@admin.register(BlacklistedToken)
class BlacklistedTokenAdmin(SuperuserReadOnlyAdmin):
    fields = ("token_jti", "token_user", "blacklisted_at")
    readonly_fields = fields
    list_display = fields
    list_select_related = ("token__user",)
    search_fields = ("token__jti", "token__user__phone")
    ordering = ("-blacklisted_at",)

    @admin.display(description="token id (jti)")
    def token_jti(self, obj):
        return obj.token.jti

    @admin.display(description="user")
    def token_user(self, obj):
        return obj.token.user
