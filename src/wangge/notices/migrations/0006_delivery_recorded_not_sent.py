"""Messages only written in the worker's log (no SMS gateway; a staff member without an
e-mail address) are recorded as such, never as sent: the ones recorded as sent before are
moved to the new state, and so are the demo's text messages, which no phone received."""

from django.db import migrations, models
from django.db.models import Q

NOT_SENT = Q(answer_code="log") | Q(channel="sms", answer_code="demo")


def recorded_not_sent(apps, schema_editor):
    Delivery = apps.get_model("notices", "Delivery")
    DeliveryAttempt = apps.get_model("notices", "DeliveryAttempt")
    logged = Delivery.objects.filter(NOT_SENT, state="sent")
    DeliveryAttempt.objects.filter(delivery__in=logged, outcome="sent").update(outcome="logged")
    logged.update(state="logged", sent_at=None)


class Migration(migrations.Migration):
    dependencies = [("notices", "0005_text_limits")]

    operations = [
        migrations.AlterField(
            model_name="delivery",
            name="state",
            field=models.CharField(
                choices=[
                    ("pending", "Waiting"),
                    ("sending", "Sending"),
                    ("sent", "Sent"),
                    ("logged", "Recorded, not sent"),
                    ("failed", "Failed, to be retried"),
                    ("dead", "Given up"),
                ],
                default="pending",
                max_length=8,
                verbose_name="state",
            ),
        ),
        migrations.AlterField(
            model_name="deliveryattempt",
            name="outcome",
            field=models.CharField(
                blank=True,
                choices=[
                    ("sent", "Sent"),
                    ("logged", "Recorded in the log only, not sent"),
                    ("retry", "Failed, to be retried"),
                    ("rate_limited", "Too many messages: waiting"),
                    ("dead", "Refused: given up"),
                    ("abandoned", "Worker stopped before the answer"),
                ],
                max_length=16,
                verbose_name="outcome",
            ),
        ),
        migrations.RunPython(recorded_not_sent, migrations.RunPython.noop),
    ]
