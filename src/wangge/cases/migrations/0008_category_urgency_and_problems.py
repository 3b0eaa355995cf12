"""What the category tree 2026.2 needs of categories: whether a category is a problem to solve
(praise is not), which answers make a case urgent, with limits of its own, and which outside
agency usually takes the work. The tree itself is published by the next migration, on its
own: PostgreSQL builds this one's indexes at its end, which it cannot do after rows were
written in the same transaction."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cases", "0007_case_event_reply_notes_internal"), ("core", "0005_saved_view")]

    operations = [
        migrations.RemoveConstraint(
            model_name="stagelimit",
            name="cases_stagelimit_unique",
        ),
        migrations.AddField(
            model_name="case",
            name="urgent",
            field=models.BooleanField(
                default=False,
                help_text="Its answers made it urgent (someone trapped, someone hurt): short limits.",
                verbose_name="urgent",
            ),
        ),
        migrations.AddField(
            model_name="category",
            name="agency",
            field=models.ForeignKey(
                blank=True,
                help_text="The outside agency whose work it usually is: offered first on handing over.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="cases.agency",
                verbose_name="usually handed to",
            ),
        ),
        migrations.AddField(
            model_name="category",
            name="counts_as_problem",
            field=models.BooleanField(
                default=True,
                help_text="Off for praise and thanks: recorded, thanked and closed at once, and never counted in the rates, the late marks or the dashboard.",
                verbose_name="a problem to solve",
            ),
        ),
        migrations.AddField(
            model_name="category",
            name="urgent_agency",
            field=models.ForeignKey(
                blank=True,
                help_text="Who to call at once when the case is urgent (119 for people trapped).",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="cases.agency",
                verbose_name="when urgent, call",
            ),
        ),
        migrations.AddField(
            model_name="category",
            name="urgent_when",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text='Answers that make a case urgent, e.g. {"trapped": true}: it then runs on the urgent time limits.',
                verbose_name="urgent when answered",
            ),
        ),
        migrations.AddField(
            model_name="stagelimit",
            name="urgent",
            field=models.BooleanField(
                default=False,
                help_text="Applies to the urgent cases of the category (see “urgent when answered”).",
                verbose_name="for urgent cases",
            ),
        ),
        migrations.AddConstraint(
            model_name="stagelimit",
            constraint=models.UniqueConstraint(
                fields=("tree", "category", "stage", "urgent"), name="cases_stagelimit_unique"
            ),
        ),
    ]
