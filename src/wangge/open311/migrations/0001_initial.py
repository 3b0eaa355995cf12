"""Open311's clients move out of cases without losing a row: the model is taken over in the
migration state only (its table stays where it is until ``0002``), and what names it by its
app — the content type its permissions hang on, audit events' targets and actions — follows."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Value
from django.db.models.functions import Replace

MOVED = ["open311client"]


def relabel(old: str, new: str):
    def run(apps, schema_editor):
        db = schema_editor.connection.alias
        ContentType = apps.get_model("contenttypes", "ContentType")
        AuditEvent = apps.get_model("core", "AuditEvent")
        IdempotencyKey = apps.get_model("core", "IdempotencyKey")
        for model in MOVED:
            types = ContentType.objects.using(db)
            if not types.filter(app_label=new, model=model).exists():
                types.filter(app_label=old, model=model).update(app_label=new)
            was, now = f"{old}.{model}", f"{new}.{model}"
            for rows in (AuditEvent.objects.using(db), IdempotencyKey.objects.using(db)):
                rows.filter(target_type=was).update(target_type=now)
            AuditEvent.objects.using(db).filter(action__startswith=f"{was}.").update(
                action=Replace("action", Value(f"{was}."), Value(f"{now}."))
            )
            IdempotencyKey.objects.using(db).filter(operation__startswith=f"{was}.").update(
                operation=Replace("operation", Value(f"{was}."), Value(f"{now}."))
            )

    return run


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("cases", "0010_text_limits_and_extension_rule"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0005_saved_view"),
        ("territory", "0003_text_limits"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Open311Client",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("name", models.CharField(max_length=100, verbose_name="name")),
                        ("key_hash", models.CharField(max_length=64, unique=True)),
                        ("prefix", models.CharField(max_length=8, verbose_name="prefix")),
                        ("is_active", models.BooleanField(default=True, verbose_name="active")),
                        (
                            "created_at",
                            models.DateTimeField(auto_now_add=True, verbose_name="created at"),
                        ),
                        (
                            "node",
                            models.ForeignKey(
                                blank=True,
                                help_text="Requests outside this node are refused. Empty: anywhere.",
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                to="territory.node",
                                verbose_name="within",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "Open311 client",
                        "verbose_name_plural": "Open311 clients",
                        "db_table": "cases_open311client",
                    },
                ),
            ],
        ),
        migrations.RunPython(relabel("cases", "open311"), relabel("open311", "cases")),
    ]
