# Issue 17 item 4: one message to many people, their addresses in the envelope only.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_render_at_send"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboundmessage",
            name="bcc",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="Recipients in the SMTP envelope only, never in a header",
            ),
        ),
        migrations.AlterField(
            model_name="outboundmessage",
            name="to",
            field=models.JSONField(help_text="Recipient addresses, named in the To header"),
        ),
    ]
