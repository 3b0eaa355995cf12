from django.db import migrations

from wangge.fixtures import load


def seed(apps, schema_editor):
    BuildingTag = apps.get_model("territory", "BuildingTag")
    for sort, tag in enumerate(load("building_tags.json")["tags"], start=1):
        BuildingTag.objects.update_or_create(
            code=tag["code"], defaults={"name": tag["name"], "sort": sort * 10}
        )


class Migration(migrations.Migration):
    dependencies = [("territory", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
