"""Run by ``test_migration.py`` in a process of its own, on a fresh database of its own
(``DATABASE_URL``), so the test database and its demo are never migrated back and forth
(and SQLite's schema changes need a connection outside any test transaction).

It migrates the database to where it stood before lost and found and Open311 left cases,
writes found items, claims, notices linked to them, an Open311 client and what names them
by their app with the models of that time, migrates to the latest state and prints, as JSON,
what the current models read back.
"""

import json
import os
import sys

BEFORE = [
    ("cases", "0010_text_limits_and_extension_rule"),
    ("notices", "0006_delivery_recorded_not_sent"),
]


def write_before(apps) -> dict:
    """The rows a database held before the move, written with the models of that time."""
    from django.utils import timezone

    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Node = apps.get_model("territory", "Node")
    FoundItem = apps.get_model("cases", "FoundItem")
    Claim = apps.get_model("cases", "Claim")
    Open311Client = apps.get_model("cases", "Open311Client")
    NoticeKind = apps.get_model("notices", "NoticeKind")
    Notice = apps.get_model("notices", "Notice")
    AuditEvent = apps.get_model("core", "AuditEvent")
    IdempotencyKey = apps.get_model("core", "IdempotencyKey")

    now = timezone.now()
    # What ``migrate`` had made after the apps' migrations: their content types, permissions.
    types = {
        model: ContentType.objects.create(app_label="cases", model=model).pk
        for model in ("founditem", "claim", "open311client")
    }
    permission = Permission.objects.create(
        content_type_id=types["founditem"], codename="add_founditem", name="Can add found item"
    )
    grid = Node.objects.create(kind="grid", path="/1/", code="410102010003001", name="第1网格")
    keys = FoundItem.objects.create(
        grid=grid,
        what="两串钥匙",
        where="绿都城南门",
        found_at=now,
        finder_phone="13800000001",
        kept_at="绿都社区服务站",
    )
    wallet = FoundItem.objects.create(
        grid=grid, what="钱包", where="万达广场1号门", found_at=now, state="handed_over"
    )
    waiting = Claim.objects.create(item=keys, claimant_name="刘洋", claimant_phone="13903710005")
    handed = Claim.objects.create(
        item=wallet,
        claimant_name="王芳",
        claimant_phone="13903710006",
        state="handed_over",
        handed_over_at=now,
    )
    kind = NoticeKind.objects.get(code="lost_found")
    notices = {
        item.pk: Notice.objects.create(
            node=grid,
            kind=kind,
            title=item.what,
            body=item.what,
            state="published",
            publish_at=now,
            found_item=item,
        ).pk
        for item in (keys, wallet)
    }
    client = Open311Client.objects.create(name="市民通", key_hash="0" * 64, prefix="demo-ope")
    AuditEvent.objects.create(
        action="cases.founditem.recorded", target_type="cases.founditem", target_id=str(keys.pk)
    )
    AuditEvent.objects.create(
        action="cases.open311client.created",
        target_type="cases.open311client",
        target_id=str(client.pk),
    )
    IdempotencyKey.objects.create(
        key="k-1",
        operation="cases.founditem.record",
        target_type="cases.founditem",
        target_id=str(keys.pk),
    )
    return {
        "items": {"keys": keys.pk, "wallet": wallet.pk},
        "claims": {"waiting": waiting.pk, "handed": handed.pk},
        "notices": {str(item): notice for item, notice in notices.items()},
        "client": client.pk,
        "types": types,
        "permission": permission.pk,
    }


def read_after() -> dict:
    """The same rows through today's models."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    from wangge.core.models import AuditEvent, IdempotencyKey
    from wangge.lostfound.models import Claim, FoundItem
    from wangge.notices.models import Notice
    from wangge.open311.models import Open311Client

    moved = ["founditem", "claim", "open311client"]
    return {
        "items": [
            {
                "id": item.pk,
                "what": item.what,
                "state": item.state,
                "finder_phone": item.finder_phone,
                "notice": item.notice_id,
                "claims": [claim.pk for claim in item.claims.order_by("pk")],
            }
            for item in FoundItem.objects.order_by("pk")
        ],
        "claims": [
            {"id": claim.pk, "item": claim.item_id, "phone": claim.claimant_phone}
            for claim in Claim.objects.order_by("pk")
        ],
        "notices": [
            {
                "id": notice.pk,
                "found_item": FoundItem.objects.get(notice=notice).pk,
                "settled": notice.settled_at is not None,
            }
            for notice in Notice.objects.order_by("pk")
        ],
        "clients": [client.name for client in Open311Client.objects.all()],
        "types": {
            f"{kind.app_label}.{kind.model}": kind.pk
            for kind in ContentType.objects.filter(
                model__in=["founditem", "claim", "open311client"]
            )
        },
        "permission": {
            "id": (found := Permission.objects.get(codename="add_founditem")).pk,
            "app": found.content_type.app_label,
        },
        "events": sorted(AuditEvent.objects.values_list("action", "target_type")),
        "keys": list(IdempotencyKey.objects.values_list("operation", "target_type")),
        "tables": sorted(
            name for name in connection.introspection.table_names() if name.endswith(tuple(moved))
        ),
    }


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings")
    import django

    django.setup()
    from django.db import connection, transaction
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    with transaction.atomic():
        before = write_before(apps)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    json.dump({"before": before, "after": read_after()}, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
