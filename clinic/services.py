"""Clinic services: the single ClinicInfo row and its weekly hours."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from clinic.locks import lock_clinic_info
from clinic.models import ClinicInfo, OpeningHours, Weekday
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


@transaction.atomic
def opening_hours_set(*, week: dict[int, list[tuple[datetime.time, datetime.time]]]) -> list[OpeningHours]:
    """Replace the clinic's weekly opening hours: ``week`` maps a weekday (0 = Monday) to its windows; a weekday
    left out is closed. Windows of one day must not overlap. Setting the same hours again changes nothing, so the
    demo data can run it twice. Slots already generated are not touched (``slot_regenerate`` does that)."""
    clinic = lock_clinic_info()
    if clinic is None:
        raise ValidationFailed("Set up the clinic's information first.", code="clinic_not_configured")
    wanted = set()
    for weekday, windows in week.items():
        if weekday not in Weekday.values:
            raise ValidationFailed(f"No weekday {weekday}: use 0 (Monday) to 6 (Sunday).", code="invalid_hours")
        ordered = sorted(windows)
        for (opens, closes), following in zip(ordered, [*ordered[1:], None], strict=True):
            if opens >= closes:
                raise ValidationFailed("A window must open before it closes.", code="invalid_hours")
            if following is not None and following[0] < closes:
                raise ValidationFailed("Windows of one day must not overlap.", code="invalid_hours")
            wanted.add((weekday, opens, closes))
    current = {(h.weekday, h.opens_at, h.closes_at): h for h in clinic.opening_hours.all()}
    stale = [h.pk for key, h in current.items() if key not in wanted]
    if stale:
        OpeningHours.objects.filter(pk__in=stale).delete()
    OpeningHours.objects.bulk_create(
        OpeningHours(clinic=clinic, weekday=weekday, opens_at=opens, closes_at=closes)
        for weekday, opens, closes in sorted(wanted - set(current))
    )
    return list(clinic.opening_hours.order_by("weekday", "opens_at"))
