from django.db import migrations

from wangge.fixtures import load


def seed(apps, schema_editor):
    NoticeKind = apps.get_model("notices", "NoticeKind")
    NoticeTemplate = apps.get_model("notices", "NoticeTemplate")
    MessageTemplate = apps.get_model("notices", "MessageTemplate")
    data = load("notices.json")
    kinds = {}
    for sort, kind in enumerate(data["kinds"], start=1):
        kinds[kind["code"]], _created = NoticeKind.objects.update_or_create(
            code=kind["code"], defaults={"name": kind["name"], "sort": sort * 10}
        )
    for sort, template in enumerate(data["templates"], start=1):
        NoticeTemplate.objects.update_or_create(
            name=template["name"],
            defaults={
                "kind": kinds[template["kind"]],
                "title": template["title"],
                "body": template["body"],
                "sort": sort * 10,
            },
        )
    for message in data["messages"]:
        MessageTemplate.objects.update_or_create(
            event=message["event"],
            defaults={
                "description": message.get("description", ""),
                "subject": message.get("subject", ""),
                "text": message["text"],
                "is_active": message.get("is_active", True),
            },
        )


class Migration(migrations.Migration):
    dependencies = [("notices", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
