"""Once cases has let go of the models: their tables take the app's name (renames, no row is
copied), the item's link is the notice's ``found_item``, and the notices of items no longer
held are settled, as the grid pages read them before (a found item's notice left the grid's
page once the item was back with its owner)."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery
from django.utils import timezone


def settle(apps, schema_editor):
    db = schema_editor.connection.alias
    Notice = apps.get_model("notices", "Notice")
    FoundItem = apps.get_model("lostfound", "FoundItem")
    Claim = apps.get_model("lostfound", "Claim")
    gone = FoundItem.objects.using(db).exclude(state="held").filter(notice__isnull=False)
    handed = Claim.objects.using(db).filter(item=OuterRef("pk"), state="handed_over")
    for notice_id, at in gone.annotate(
        at=Subquery(handed.order_by("-handed_over_at").values("handed_over_at")[:1])
    ).values_list("notice_id", "at"):
        Notice.objects.using(db).filter(pk=notice_id, settled_at__isnull=True).update(
            settled_at=at or timezone.now()
        )


class Migration(migrations.Migration):
    dependencies = [
        ("lostfound", "0002_founditem_notice"),
        ("notices", "0007_notice_settled_at"),
        ("cases", "0011_lostfound_and_open311_moved_out"),
    ]

    operations = [
        migrations.AlterModelTable(name="founditem", table=None),
        migrations.AlterModelTable(name="claim", table=None),
        migrations.AlterField(
            model_name="founditem",
            name="notice",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="found_item",
                to="notices.notice",
                verbose_name="notice",
            ),
        ),
        migrations.RunPython(settle, migrations.RunPython.noop),
    ]
