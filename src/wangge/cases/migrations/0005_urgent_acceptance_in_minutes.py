"""流浪乞讨 (JZ01) and 突发事件 (SJ05) are to be accepted within half an hour, not 30 hours:
correct the seeded tree where it still says so."""

import secrets
from decimal import Decimal

from django.db import migrations


def correct(apps, schema_editor):
    StageLimit = apps.get_model("cases", "StageLimit")
    StageLimit.objects.filter(
        category__code__in=["JZ01", "SJ05"],
        stage="accept",
        unit="hours",
        amount=Decimal("30"),
    ).update(amount=Decimal("0.5"))
    # Running processes keep time limits until the standards counter changes.
    apps.get_model("core", "Counter").objects.filter(name="standards").update(
        value=secrets.randbits(62)
    )


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_grid_rollup"), ("core", "0004_idempotency_anonymous")]

    operations = [migrations.RunPython(correct, migrations.RunPython.noop)]
