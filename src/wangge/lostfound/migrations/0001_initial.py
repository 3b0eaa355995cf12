"""Found items and their claims move out of cases without losing a row: the models are taken
over in the migration state only (their tables stay where they are until ``0003``), and what
names them by their app — the content types their permissions hang on, audit events' targets
and actions, idempotency keys' operations — follows."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import Value
from django.db.models.functions import Replace

import wangge.core.fields

MOVED = ["founditem", "claim"]


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
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="FoundItem",
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
                        ("what", models.CharField(max_length=200, verbose_name="what")),
                        ("where", models.CharField(max_length=200, verbose_name="where found")),
                        ("found_at", models.DateTimeField(verbose_name="when found")),
                        (
                            "finder_name",
                            models.CharField(blank=True, max_length=64, verbose_name="finder"),
                        ),
                        (
                            "finder_phone",
                            wangge.core.fields.EncryptedCharField(verbose_name="finder's phone"),
                        ),
                        (
                            "kept_at",
                            models.CharField(blank=True, max_length=200, verbose_name="kept at"),
                        ),
                        (
                            "contact_phone",
                            models.CharField(
                                blank=True,
                                help_text="The office's, for notices.",
                                max_length=32,
                                verbose_name="phone to call",
                            ),
                        ),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("held", "In our keeping"),
                                    ("handed_over", "Handed to its owner"),
                                    ("disposed", "Passed on (unclaimed)"),
                                ],
                                default="held",
                                max_length=16,
                                verbose_name="state",
                            ),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(auto_now_add=True, verbose_name="recorded at"),
                        ),
                        (
                            "case",
                            models.OneToOneField(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="found_item",
                                to="cases.case",
                                verbose_name="case",
                            ),
                        ),
                        (
                            "grid",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="territory.node",
                                verbose_name="grid",
                            ),
                        ),
                        (
                            "recorded_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "found item",
                        "verbose_name_plural": "found items",
                        "ordering": ["-found_at"],
                        "db_table": "cases_founditem",
                    },
                ),
                migrations.CreateModel(
                    name="Claim",
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
                        ("claimant_name", models.CharField(max_length=64, verbose_name="claimant")),
                        (
                            "claimant_phone",
                            wangge.core.fields.EncryptedCharField(verbose_name="claimant's phone"),
                        ),
                        (
                            "claimant_address",
                            models.CharField(
                                blank=True, max_length=200, verbose_name="claimant's address"
                            ),
                        ),
                        (
                            "proof",
                            models.TextField(
                                blank=True,
                                max_length=2000,
                                verbose_name="how they showed it is theirs",
                            ),
                        ),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("pending", "To be checked"),
                                    ("verified", "Verified"),
                                    ("rejected", "Not theirs"),
                                    ("handed_over", "Handed over"),
                                ],
                                default="pending",
                                max_length=16,
                                verbose_name="state",
                            ),
                        ),
                        (
                            "handed_over_at",
                            models.DateTimeField(
                                blank=True, null=True, verbose_name="handed over at"
                            ),
                        ),
                        (
                            "note",
                            models.TextField(blank=True, max_length=2000, verbose_name="note"),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(auto_now_add=True, verbose_name="claimed at"),
                        ),
                        (
                            "checked_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "handed_over_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "item",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="claims",
                                to="lostfound.founditem",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "claim",
                        "verbose_name_plural": "claims",
                        "ordering": ["created_at"],
                        "db_table": "cases_claim",
                    },
                ),
            ],
        ),
        migrations.RunPython(relabel("cases", "lostfound"), relabel("lostfound", "cases")),
    ]
