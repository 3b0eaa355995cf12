"""The category tree 2026.2: homes for lifts, public order, the environment, objects falling
from height, wasp nests, missing people, and praise — which is no problem to solve and counts
in no rate. Categories learn whether they are a problem, which answers make a case urgent (with
its own shorter limits) and which outside agency usually takes the work; the new version is
published from ``fixtures/categories-2026.2.json`` and becomes the current one. Cases filed
under the earlier version keep their categories."""

import secrets

import django.db.models.deletion
from django.db import migrations, models

VERSION = "2026.2"


def publish(apps, schema_editor):
    from wangge.cases.seed import load_tree
    from wangge.fixtures import load

    if apps.get_model("cases", "CategoryTree").objects.filter(version=VERSION).exists():
        return  # published by hand already (``wangge import-categories``)
    load_tree(apps, load(f"categories-{VERSION}.json"))
    # Running processes keep categories and limits until the standards counter changes.
    apps.get_model("core", "Counter").objects.filter(name="standards").update(
        value=secrets.randbits(62)
    )


def unpublish(apps, schema_editor):
    CategoryTree = apps.get_model("cases", "CategoryTree")
    tree = CategoryTree.objects.filter(version=VERSION).first()
    if tree is None or tree.categories.filter(cases__isnull=False).exists():
        return  # cases were filed under it: it stays
    tree.delete()
    earlier = CategoryTree.objects.order_by("-created_at", "-id").first()
    if earlier is not None:
        CategoryTree.objects.filter(pk=earlier.pk).update(is_current=True)


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
        migrations.RunPython(publish, unpublish),
    ]
