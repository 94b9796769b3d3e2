"""Staff role checks for the API: one place that says which role may call what."""

from rest_framework.permissions import BasePermission

from accounts.models import StaffRole


def user_has_role(user, *roles: str) -> bool:
    """An active staff user whose profile has one of ``roles`` (superusers count as clinic admins)."""
    if not (user and user.is_authenticated and user.is_active and user.is_staff):
        return False
    if user.is_superuser:
        return StaffRole.ADMIN in roles
    profile = getattr(user, "staff_profile", None)
    return profile is not None and profile.role in roles


class HasStaffRole(BasePermission):
    """``permission_classes = [HasStaffRole.of("analyst", "admin")]``."""

    roles: tuple[str, ...] = ()
    message = "Your staff role does not allow this."

    @classmethod
    def of(cls, *roles: str) -> type["HasStaffRole"]:
        return type(f"HasStaffRole_{'_'.join(roles)}", (cls,), {"roles": roles})

    def has_permission(self, request, view) -> bool:
        return user_has_role(request.user, *self.roles)
