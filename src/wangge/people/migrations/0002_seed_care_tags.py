from django.db import migrations

from wangge.fixtures import load


def seed(apps, schema_editor):
    CareTag = apps.get_model("people", "CareTag")
    for sort, tag in enumerate(load("care_tags.json")["tags"], start=1):
        CareTag.objects.update_or_create(
            code=tag["code"],
            defaults={
                "name": tag["name"],
                "description": tag["description"],
                "has_disability_detail": tag["has_disability_detail"],
                "sort": sort * 10,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
