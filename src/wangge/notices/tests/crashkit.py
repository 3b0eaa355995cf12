"""What the crash test runs in its own database, as a separate process (the test's database
is a transaction the workers cannot see):

``python -m wangge.notices.tests.crashkit setup ROBOTS`` — a district, a community and a grid
per robot, each grid with its robot (keys ``crash-key-1`` …);
``… burst COUNT`` — COUNT notices to the community, published: one delivery per robot each;
``… report`` — every delivery with its robot's key, words, state and attempts, as JSON.
"""

import json
import sys


def _square(col: int) -> dict:
    west, south = 113.55 + col * 0.01, 34.72
    ring = [[west, south], [west + 0.01, south], [west + 0.01, south + 0.01], [west, south + 0.01]]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def setup(robots: int) -> None:
    from wangge.notices import services
    from wangge.territory import services as territory

    district = territory.create_node(actor=None, kind="district", code="410102", name="中原区")
    street = territory.create_node(
        actor=None, kind="street", code="410102010", name="中原西路街道", parent=district
    )
    community = territory.create_node(
        actor=None, kind="community", code="410102010003", name="绿都社区", parent=street
    )
    for number in range(1, robots + 1):
        grid = territory.create_node(
            actor=None,
            kind="grid",
            code=f"410102010003{number:03d}",
            name=f"第{number}网格",
            parent=community,
            geometry_json=_square(number),
        )
        services.create_robot(actor=None, grid=grid, name=grid.name, key=f"crash-key-{number}")


def burst(count: int) -> None:
    from wangge.notices import services
    from wangge.notices.models import NoticeKind
    from wangge.territory.models import Node

    community = Node.objects.get(code="410102010003")
    kind = NoticeKind.objects.get(code="convenience")
    for number in range(count):
        notice = services.create_notice(
            actor=None,
            kind=kind,
            title=f"压力测试第{number:03d}号",
            body="worker crash test",
            nodes=[community],
            to_web=False,
        )
        services.publish_notice(actor=None, notice=notice)


def report() -> None:
    from wangge.notices.models import Delivery

    rows = []
    deliveries = Delivery.objects.select_related("robot").prefetch_related("tries").order_by("pk")
    for delivery in deliveries:
        rows.append(
            {
                "id": delivery.pk,
                "key": delivery.robot.key,
                "content": delivery.payload["text"]["content"],
                "state": delivery.state,
                "created": delivery.created_at.timestamp(),
                "attempts": [
                    {
                        "worker": attempt.worker,
                        "outcome": attempt.outcome,
                        "started": attempt.started_at.timestamp(),
                        "answered": attempt.finished_at is not None,
                    }
                    for attempt in delivery.tries.all()
                ],
            }
        )
    json.dump(rows, sys.stdout, ensure_ascii=False)


def main(argv: list[str]) -> None:
    import django

    django.setup()
    command, *args = argv
    {"setup": setup, "burst": burst, "report": report}[command](*(int(a) for a in args))


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings")
    main(sys.argv[1:])
