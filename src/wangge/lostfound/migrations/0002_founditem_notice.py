"""A found item points to its notice, not the other way round: the link each notice held is
copied onto its item before the notice's column goes (``notices`` ``0007``, which waits for
this one). Back the other way, the links are copied back before this column goes."""

import django.db.models.deletion
from django.db import migrations, models


def copy_links(apps, schema_editor):
    db = schema_editor.connection.alias
    Notice = apps.get_model("notices", "Notice")
    FoundItem = apps.get_model("lostfound", "FoundItem")
    linked = Notice.objects.using(db).filter(found_item__isnull=False)
    for notice_id, item_id in linked.values_list("pk", "found_item_id"):
        FoundItem.objects.using(db).filter(pk=item_id).update(notice_id=notice_id)


def copy_links_back(apps, schema_editor):
    db = schema_editor.connection.alias
    Notice = apps.get_model("notices", "Notice")
    FoundItem = apps.get_model("lostfound", "FoundItem")
    linked = FoundItem.objects.using(db).filter(notice__isnull=False)
    for item_id, notice_id in linked.values_list("pk", "notice_id"):
        Notice.objects.using(db).filter(pk=notice_id).update(found_item_id=item_id)


class Migration(migrations.Migration):
    dependencies = [
        ("lostfound", "0001_initial"),
        ("notices", "0006_delivery_recorded_not_sent"),
    ]
    run_before = [("notices", "0007_notice_settled_at")]

    operations = [
        migrations.AddField(
            model_name="founditem",
            name="notice",
            # Named "found_item" on the notice once the notice's own field of that name is gone.
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="notices.notice",
                verbose_name="notice",
            ),
        ),
        migrations.RunPython(copy_links, copy_links_back),
    ]
