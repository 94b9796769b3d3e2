"""The cancellation cutoff moves from the clinic's details to the run-time system settings (one admin page for what
operations change at run time). A clinic row's cutoff becomes the first settings row's, with the environment's values
for the other settings."""

from django.conf import settings
from django.db import migrations


def forwards(apps, schema_editor):
    ClinicInfo = apps.get_model("clinic", "ClinicInfo")
    SystemSettings = apps.get_model("diagnopet", "SystemSettings")
    clinic = ClinicInfo.objects.first()
    if clinic is None or SystemSettings.objects.exists():
        return
    SystemSettings.objects.create(
        cancellation_cutoff_hours=clinic.cancellation_cutoff_hours,
        booking_pending_hold_minutes=settings.BOOKING_PENDING_HOLD_MINUTES,
        home_visit_prepayment_required=settings.HOME_VISIT_PREPAYMENT_REQUIRED,
        prepayment_hold_minutes=max(settings.PREPAYMENT_HOLD_MINUTES, 5),
        booking_max_open_per_customer_per_day=settings.BOOKING_MAX_OPEN_PER_CUSTOMER_PER_DAY,
        booking_max_open_per_pet_per_day=settings.BOOKING_MAX_OPEN_PER_PET_PER_DAY,
    )


def backwards(apps, schema_editor):
    ClinicInfo = apps.get_model("clinic", "ClinicInfo")
    SystemSettings = apps.get_model("diagnopet", "SystemSettings")
    row = SystemSettings.objects.first()
    if row is not None:
        ClinicInfo.objects.update(cancellation_cutoff_hours=row.cancellation_cutoff_hours)


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0003_weekly_hours_exceptions_caps"),
        ("diagnopet", "0003_systemsettings"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(model_name="clinicinfo", name="cancellation_cutoff_hours"),
    ]
