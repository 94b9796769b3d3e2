"""Clinic services: the single ClinicInfo row."""

from django.core.exceptions import ValidationError
from django.db import transaction

from clinic.locks import lock_clinic_info
from clinic.models import ClinicInfo
from diagnopet.errors import ValidationFailed

# Fields callers may set; ``singleton`` and the timestamps are the model's own business.
_EDITABLE = frozenset(
    f.name for f in ClinicInfo._meta.concrete_fields if f.editable and f.name not in {"id", "created_at", "updated_at"}
)


@transaction.atomic
def clinic_info_upsert(**fields) -> ClinicInfo:
    """Create the clinic's info row, or update it with ``fields``; returns the single row.

    The row is locked while it changes. Values are validated like the admin form would (E.164 numbers, opening
    before closing, …) and a problem raises ``ValidationFailed`` naming the field. Nothing is saved when nothing
    changes, so running it twice with the same values is a no-op.
    """
    unknown = set(fields) - _EDITABLE
    if unknown:
        raise TypeError(f"ClinicInfo has no editable field(s): {', '.join(sorted(unknown))}")
    info = lock_clinic_info()
    if info is None:
        info = ClinicInfo(**fields)
    else:
        changed = {name: value for name, value in fields.items() if getattr(info, name) != value}
        if not changed:
            return info
        for name, value in changed.items():
            setattr(info, name, value)
    try:
        info.full_clean()
    except ValidationError as exc:
        errors = exc.message_dict
        first = next(iter(errors))
        message = " ".join(m for name in errors for m in errors[name])
        raise ValidationFailed(
            message, code="invalid_clinic_info", field=None if first == "__all__" else first
        ) from exc
    info.save()
    return info
