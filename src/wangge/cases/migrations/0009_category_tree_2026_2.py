"""The category tree 2026.2: homes for lifts, public order, the environment, objects falling
from height, wasp nests, missing people, and praise — which is no problem to solve and counts
in no rate. Categories learn whether they are a problem, which answers make a case urgent (with
its own shorter limits) and which outside agency usually takes the work; the new version is
published from ``fixtures/categories-2026.2.json`` and becomes the current one. Cases filed
under the earlier version keep their categories."""

import secrets

from django.db import migrations

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
    dependencies = [("cases", "0008_category_urgency_and_problems"), ("core", "0005_saved_view")]

    operations = [migrations.RunPython(publish, unpublish)]
