from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("files", "0002_upload"),
    ]

    operations = [
        migrations.AddField(
            model_name="upload",
            name="storage_key",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AlterField(
            model_name="upload",
            name="state",
            field=models.CharField(
                choices=[
                    ("active", "Receiving bytes"),
                    ("finishing", "All bytes in; being hashed and attached"),
                    ("completed", "Attached"),
                    ("expired", "Expired"),
                ],
                default="active",
                max_length=10,
            ),
        ),
    ]
