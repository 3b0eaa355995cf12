from django.db import migrations

from wangge.fixtures import load


def seed(apps, schema_editor):
    CareTag = apps.get_model("people", "CareTag")
    VisitRule = apps.get_model("fieldwork", "VisitRule")
    tags = {tag.code: tag for tag in CareTag.objects.all()}
    for rule in load("visit_rules.json")["rules"]:
        tag = tags.get(rule["tag"])
        if tag is None:  # a care tag an administrator removed before this ran
            continue
        VisitRule.objects.update_or_create(
            node=None,
            tag=tag,
            min_age=rule.get("min_age"),
            max_disability_grade=rule.get("max_disability_grade"),
            defaults={
                "every_days": rule["every_days"],
                "window_days": rule["window_days"],
                "note": rule["note"],
            },
        )


class Migration(migrations.Migration):
    dependencies = [("fieldwork", "0001_initial"), ("people", "0002_seed_care_tags")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
