"""A customer's saved addresses."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.locks import lock_user
from accounts.models import Address, User
from diagnopet.errors import ValidationFailed

ADDRESS_FIELDS = (
    "label",
    "line1",
    "line2",
    "landmark",
    "city",
    "state",
    "postal_code",
    "latitude",
    "longitude",
)


def _check_coordinates(address: Address) -> None:
    if (address.latitude is None) != (address.longitude is None):
        raise ValidationFailed(
            "Give both latitude and longitude, or neither.", code="coordinates_incomplete", field="latitude"
        )


@transaction.atomic(durable=True)
def address_create(
    *,
    user: User,
    line1: str,
    city: str,
    postal_code: str,
    label: str = "",
    line2: str = "",
    landmark: str = "",
    state: str = "",
    latitude=None,
    longitude=None,
    is_default: bool = False,
) -> Address:
    """Add an address. The first one becomes the default; a new default replaces the old one."""
    address = Address(
        user=user,
        label=label,
        line1=line1,
        line2=line2,
        landmark=landmark,
        city=city,
        state=state,
        postal_code=postal_code,
        latitude=latitude,
        longitude=longitude,
    )
    _check_coordinates(address)
    lock_user(user_id=user.pk)
    defaults = Address.objects.filter(user=user, is_default=True)
    if is_default:
        defaults.update(is_default=False, updated_at=timezone.now())
    address.is_default = is_default or not defaults.exists()
    address.save()
    return address


@transaction.atomic(durable=True)
def address_update(*, address: Address, data: dict[str, Any]) -> Address:
    """Change an address. ``is_default=True`` moves the default here; the default cannot be unset, only moved."""
    for field in ADDRESS_FIELDS:
        if field in data:
            setattr(address, field, data[field])
    _check_coordinates(address)
    lock_user(user_id=address.user_id)
    # Re-read under the lock: a concurrent request may have moved the default since this row was loaded.
    address.is_default = Address.objects.filter(pk=address.pk, is_default=True).exists()
    if "is_default" in data and data["is_default"] != address.is_default:
        if not data["is_default"]:
            raise ValidationFailed(
                "One address is always the default: mark another address as default instead.",
                code="default_required",
                field="is_default",
            )
        Address.objects.filter(user_id=address.user_id, is_default=True).update(
            is_default=False, updated_at=timezone.now()
        )
        address.is_default = True
    address.save()
    return address


@transaction.atomic(durable=True)
def address_delete(*, address: Address) -> None:
    """Delete an address; when it was the default, the oldest remaining address takes over."""
    lock_user(user_id=address.user_id)
    was_default = Address.objects.filter(pk=address.pk, is_default=True).exists()
    address.delete()
    if was_default:
        successor = Address.objects.filter(user_id=address.user_id).order_by("id").first()
        if successor is not None:
            successor.is_default = True
            successor.save(update_fields=["is_default", "updated_at"])
