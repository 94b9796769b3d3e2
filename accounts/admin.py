from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Address, Notification, PhoneOTP, StaffProfile, User
from accounts.phone import normalize_phone
from accounts.roles import staff_set_role, staff_unset_role
from diagnopet.admin_base import LargeTableAdmin

TIMESTAMPS = ("created_at", "updated_at")


@transaction.atomic
def user_unlock(*, user: User) -> User:
    """Lift a brute-force lock: clear ``is_locked``/``locked_until`` and the failed-login counter.

    Lives here until accounts/services.py exists; it belongs there, beside the login code that locks.
    """
    user.is_locked = False
    user.locked_until = None
    user.failed_login_attempts = 0
    user.save(update_fields=["is_locked", "locked_until", "failed_login_attempts", "updated_at"])
    return user


class PhoneFormMixin:
    """Accept a phone number in any common format and store it as E.164."""

    def clean_phone(self):
        try:
            return normalize_phone(self.cleaned_data["phone"])
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages[0], code="invalid_phone") from exc


# Longer than the stored E.164 (16): what people type ("+91 98765-43210") is normalised before saving.
_phone_field = forms.CharField(max_length=32, help_text="Any common format; stored as +<country><number>.")


class UserCreateForm(PhoneFormMixin, AdminUserCreationForm):
    phone = _phone_field

    class Meta:
        model = User
        fields = ("phone", "full_name", "email")


class UserEditForm(PhoneFormMixin, UserChangeForm):
    phone = _phone_field

    class Meta:
        model = User
        fields = "__all__"


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    fields = ("role", "assigned_area", "employee_code")
    max_num = 1
    extra = 0
    verbose_name_plural = "staff profile (the role also sets the user's role group)"


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
        *TIMESTAMPS,
    )
    fieldsets = (
        (None, {"fields": ("phone", "password")}),
        ("Personal info", {"fields": ("full_name", "email", "is_verified")}),
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

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        # Only a superuser makes superusers; a clinic admin (role admin) has its permissions through a group.
        return readonly if request.user.is_superuser else (*readonly, "is_superuser")

    def get_inlines(self, request, obj):
        # The profile is added on the change page, once the user exists.
        return self.inlines if obj is not None else []

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # After the groups field and the inline are saved: the profile's role decides the role group.
        user = form.instance
        profile = StaffProfile.objects.filter(user=user).first()
        if profile is not None:
            staff_set_role(user=user, role=profile.role)
        elif change:
            staff_unset_role(user=user)

    @admin.action(description="Unlock selected accounts", permissions=["change"])
    def unlock_accounts(self, request, queryset):
        count = 0
        for user in queryset:
            user_unlock(user=user)
            count += 1
        self.message_user(request, f"Unlocked {count} account(s).", messages.SUCCESS)


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "assigned_area", "employee_code", "created_at")
    list_select_related = ("user",)
    list_filter = ("role",)
    search_fields = ("user__phone", "user__full_name", "employee_code", "assigned_area")
    autocomplete_fields = ("user",)
    readonly_fields = TIMESTAMPS

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        staff_set_role(user=obj.user, role=obj.role)

    def delete_model(self, request, obj):
        staff_unset_role(user=obj.user)

    def delete_queryset(self, request, queryset):
        for profile in queryset.select_related("user"):
            staff_unset_role(user=profile.user)


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
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


@admin.register(Notification)
class NotificationAdmin(LargeTableAdmin, admin.ModelAdmin):
    list_display = ("title", "user", "kind", "channel", "delivery_status", "read_at", "sent_at", "created_at")
    list_select_related = ("user",)
    list_filter = ("kind", "channel", "delivery_status", ("read_at", admin.EmptyFieldListFilter))
    search_fields = ("title", "event_key", "user__phone", "user__full_name")
    date_hierarchy = "created_at"
    autocomplete_fields = ("user",)
    # Delivery state is written by the sending workers.
    readonly_fields = ("read_at", "delivery_attempts", "sent_at", "last_error", *TIMESTAMPS)
