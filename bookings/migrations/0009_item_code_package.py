# Per-item (tube) codes and the package an item was booked in.

import django.contrib.postgres.indexes
import django.db.models.deletion
import django.db.models.functions.text
import diagnopet.indexes
from django.db import migrations, models
from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat, LPad

from diagnopet.migration_operations import AddIndexOnPostgreSQL


def fill_item_codes(apps, schema_editor):
    """Every existing item gets its booking's code and its number on two digits (bookings.codes.item_code), in one
    UPDATE whatever the number of items."""
    Booking = apps.get_model("bookings", "Booking")
    BookingItem = apps.get_model("bookings", "BookingItem")
    booking_code = Subquery(Booking.objects.filter(pk=OuterRef("booking_id")).values("code")[:1])
    number = Cast("sequence", output_field=CharField())
    BookingItem.objects.filter(code__isnull=True).update(
        code=Concat(booking_code, Value("-"), LPad(number, 2, Value("0")), output_field=CharField())
    )


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0008_no_show_reason_collector_assignment"),
        ("catalog", "0002_package_components"),
    ]

    operations = [
        migrations.AddField(
            model_name="bookingitem",
            name="code",
            field=models.CharField(editable=False, max_length=16, null=True),
        ),
        migrations.AddField(
            model_name="bookingitem",
            name="package",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="package_booking_items",
                to="catalog.labtest",
            ),
        ),
        migrations.RunPython(fill_item_codes, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="bookingitem",
            name="code",
            field=models.CharField(
                editable=False,
                help_text="The tube's scannable code, e.g. DP-7K3Q9X-01.",
                max_length=16,
                unique=True,
            ),
        ),
        AddIndexOnPostgreSQL(
            model_name="bookingitem",
            index=diagnopet.indexes.TrigramIndex(field='code', name='bookings_item_code_trgm'),
        ),
    ]
