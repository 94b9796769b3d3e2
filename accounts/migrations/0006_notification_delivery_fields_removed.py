from django.db import migrations


class Migration(migrations.Migration):
    """Delivery state lives in NotificationDelivery now (0004 copied it there); a migration of its own, so the copy
    commits before the columns go."""

    dependencies = [
        ("accounts", "0005_notification_channels"),
    ]

    operations = [
        migrations.RemoveField(
            model_name='notification',
            name='channel',
        ),
        migrations.RemoveField(
            model_name='notification',
            name='delivery_attempts',
        ),
        migrations.RemoveField(
            model_name='notification',
            name='delivery_status',
        ),
        migrations.RemoveField(
            model_name='notification',
            name='last_error',
        ),
        migrations.RemoveField(
            model_name='notification',
            name='sent_at',
        ),
    ]
