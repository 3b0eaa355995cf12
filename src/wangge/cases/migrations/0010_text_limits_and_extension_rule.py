"""Typed text gets its limits (notes 2,000 characters, descriptions 4,000: the columns keep
what they hold, the services refuse longer text from now on), an extension remembers the
promised time it moved, and every category tree gets the hotline's rule for extensions as
data: all extensions of a case together at most 10 working days (``stage="extension"``), where
a tree has no such rule yet."""

import secrets
from decimal import Decimal

from django.db import migrations, models


def add_extension_rule(apps, schema_editor):
    CategoryTree = apps.get_model("cases", "CategoryTree")
    StageLimit = apps.get_model("cases", "StageLimit")
    for tree in CategoryTree.objects.all():
        if not StageLimit.objects.filter(tree=tree, category=None, stage="extension").exists():
            StageLimit.objects.create(
                tree=tree,
                category=None,
                stage="extension",
                amount=Decimal("10"),
                unit="working_days",
            )
    # Running processes keep time limits until the standards counter changes.
    apps.get_model("core", "Counter").objects.filter(name="standards").update(
        value=secrets.randbits(62)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0009_category_tree_2026_2"),
        ("core", "0005_saved_view"),
    ]

    operations = [
        migrations.AddField(
            model_name="extension",
            name="due_before",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="due before the extension"
            ),
        ),
        migrations.AlterField(
            model_name="agency",
            name="note",
            field=models.TextField(blank=True, max_length=2000, verbose_name="note"),
        ),
        migrations.AlterField(
            model_name="case",
            name="description",
            field=models.TextField(blank=True, max_length=4000, verbose_name="description"),
        ),
        migrations.AlterField(
            model_name="case",
            name="rating_comment",
            field=models.TextField(blank=True, max_length=2000, verbose_name="resident's words"),
        ),
        migrations.AlterField(
            model_name="case",
            name="stage",
            field=models.CharField(
                blank=True,
                choices=[
                    ("accept", "Acceptance"),
                    ("dispatch", "Dispatch"),
                    ("sign", "Signing for"),
                    ("handle", "Handling"),
                    ("verify", "Verification"),
                    ("callback", "Callback"),
                    ("extension", "Extensions, at most"),
                ],
                max_length=16,
                verbose_name="stage",
            ),
        ),
        migrations.AlterField(
            model_name="caseevent",
            name="note",
            field=models.TextField(
                blank=True,
                help_text="For staff only, never shown to residents.",
                max_length=2000,
                verbose_name="internal note",
            ),
        ),
        migrations.AlterField(
            model_name="category",
            name="description",
            field=models.TextField(blank=True, max_length=4000, verbose_name="description"),
        ),
        migrations.AlterField(
            model_name="categorytree",
            name="source",
            field=models.TextField(blank=True, max_length=4000, verbose_name="source"),
        ),
        migrations.AlterField(
            model_name="claim",
            name="note",
            field=models.TextField(blank=True, max_length=2000, verbose_name="note"),
        ),
        migrations.AlterField(
            model_name="claim",
            name="proof",
            field=models.TextField(
                blank=True, max_length=2000, verbose_name="how they showed it is theirs"
            ),
        ),
        migrations.AlterField(
            model_name="extension",
            name="decision_note",
            field=models.TextField(blank=True, max_length=2000, verbose_name="decision"),
        ),
        migrations.AlterField(
            model_name="extension",
            name="reason",
            field=models.TextField(max_length=2000, verbose_name="reason"),
        ),
        migrations.AlterField(
            model_name="stagelimit",
            name="stage",
            field=models.CharField(
                choices=[
                    ("accept", "Acceptance"),
                    ("dispatch", "Dispatch"),
                    ("sign", "Signing for"),
                    ("handle", "Handling"),
                    ("verify", "Verification"),
                    ("callback", "Callback"),
                    ("extension", "Extensions, at most"),
                ],
                max_length=16,
                verbose_name="stage",
            ),
        ),
        migrations.AlterField(
            model_name="task",
            name="instructions",
            field=models.TextField(blank=True, max_length=2000, verbose_name="instructions"),
        ),
        migrations.AlterField(
            model_name="task",
            name="result",
            field=models.TextField(blank=True, max_length=2000, verbose_name="result"),
        ),
        migrations.RunPython(add_extension_rule, migrations.RunPython.noop),
    ]
