"""A notice may be settled (what it was about is over: off the grid pages' lists, still at its
own address); the notice no longer holds a link to a found item, the item holds it."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notices", "0006_delivery_recorded_not_sent"),
    ]

    operations = [
        migrations.AddField(
            model_name="notice",
            name="settled_at",
            field=models.DateTimeField(
                blank=True,
                help_text=(
                    "What it was about is over: off the grid pages' lists, still readable at "
                    "its own address."
                ),
                null=True,
                verbose_name="settled at",
            ),
        ),
        migrations.RemoveField(model_name="notice", name="found_item"),
    ]
