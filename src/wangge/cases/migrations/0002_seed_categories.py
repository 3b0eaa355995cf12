from django.db import migrations


def seed(apps, schema_editor):
    from wangge.cases.seed import load_tree

    load_tree(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0001_initial"),
        ("core", "0003_form_ratelimithit_notification_question"),
    ]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
