# Issue 13 item 7 follow-up: a running export reports progress, so a dead worker is noticed.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0005_monthly_margins"),
    ]

    operations = [
        migrations.AddField(
            model_name="exportjob",
            name="heartbeat_at",
            field=models.DateTimeField(
                blank=True, help_text="When the worker last reported progress", null=True
            ),
        ),
    ]
