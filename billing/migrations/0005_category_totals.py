"""The bill's collection type (copied from its booking) and the ledger of category totals, both filled from the
existing rows."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count, F, OuterRef, Subquery, Sum


def backfill(apps, schema_editor):
    BillingRecord = apps.get_model("billing", "BillingRecord")
    Booking = apps.get_model("bookings", "Booking")
    CategoryDayTotal = apps.get_model("billing", "CategoryDayTotal")
    BillingRecord.objects.update(
        collection_type=Subquery(Booking.objects.filter(pk=OuterRef("booking_id")).values("collection_type")[:1])
    )
    # Frozen copy of billing.services.category_totals_from_items (a migration must not import live code).
    items = "booking__items__"
    rows = (
        BillingRecord.objects.exclude(status="void")
        .filter(booking__items__isnull=False)
        .values(day=F("billing_date"), category=F(f"{items}test__category_id"))
        .annotate(items=Count(f"{items}id"), amount=Sum(F(f"{items}unit_price") * F(f"{items}quantity")))
        .order_by("day", "category")
    )
    CategoryDayTotal.objects.bulk_create(
        (
            CategoryDayTotal(day=r["day"], category_id=r["category"], items=r["items"], amount=r["amount"])
            for r in rows.iterator()
        ),
        batch_size=5000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0004_billing_amount_paid"),
        ("bookings", "0003_remove_booking_bookings_booking_discount_within_subtotal_and_more"),
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="billingrecord",
            name="collection_type",
            field=models.CharField(editable=False, max_length=4, null=True),
        ),
        migrations.CreateModel(
            name="CategoryDayTotal",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("day", models.DateField(db_index=True)),
                ("items", models.IntegerField()),
                ("amount", models.DecimalField(decimal_places=2, max_digits=14)),
                (
                    "category",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="catalog.testcategory"
                    ),
                ),
            ],
            options={"verbose_name": "category day total", "ordering": ["-day", "category"]},
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="billingrecord",
            name="collection_type",
            field=models.CharField(editable=False, max_length=4),
        ),
    ]
