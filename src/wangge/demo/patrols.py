"""Patrols (巡查) of the demo, through the services, backdated before the pinned day:

- S12, 平安街社区: a night safety patrol planned by the community for the whole community,
  walked by its two grid workers with two party members. The phone's screen went off for a
  few minutes between grid 1 and grid 2, so the trace has a gap. Two findings became cases: a
  man sleeping rough under the bridge, handed on to the city's aid station; and a tree branch
  bent by the snow over the pavement, waiting for the gardeners. The community's two
  checkpoints (the bridge underpass in grid 1, the back alley's end in grid 2) carry QR labels;
  the walkers scanned both.
- S10, 开元社区: a courtyard round in grid 2; a resident's car battery was flat, the worker
  had bystanders push-start it: solved on the spot, the case closed at once.
"""

from __future__ import annotations

import datetime

import shapely
from django.utils import timezone

from wangge.accounts import services as accounts
from wangge.accounts.choices import Role
from wangge.accounts.models import Membership, User
from wangge.cases import services as cases
from wangge.cases.models import Agency, Category
from wangge.demo import district as spec
from wangge.fieldwork import services as fieldwork
from wangge.fieldwork.models import Patrol, PatrolKind
from wangge.territory.models import Node


def _at(day: datetime.date, hour: int, minute: int) -> datetime.datetime:
    zone = timezone.get_current_timezone()
    return datetime.datetime.combine(day, datetime.time(hour, minute), zone)


def _holder(node: Node, role: str) -> User:
    membership = (
        Membership.objects.filter(node=node, role=role, is_active=True)
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    assert membership is not None, f"no {role} on {node.code}"
    return membership.user


def _walk(grid: Node, start: datetime.datetime, end: datetime.datetime, step: int, inset: float):
    """Fixes every ``step`` seconds from ``start`` to ``end`` along a loop inside ``grid``."""
    shape = shapely.geometry.shape(grid.geometry).buffer(-inset)
    ring = shapely.LineString(shape.exterior.coords)
    count = int((end - start).total_seconds() // step) + 1
    points = []
    for index in range(count):
        spot = ring.interpolate(index / max(count - 1, 1), normalized=True)
        moment = start + datetime.timedelta(seconds=index * step)
        points.append(
            {"t": moment, "lng": round(spot.x, 7), "lat": round(spot.y, 7), "accuracy": 8.0}
        )
    return points


def _send(actor: User, patrol: Patrol, points: list[dict], label: str) -> None:
    """The trace as a phone sends it: batches of at most a hundred points."""
    for number, first in enumerate(range(0, len(points), 100)):
        fieldwork.record_trace(
            actor=actor,
            patrol=patrol,
            batch=f"demo-{label}-{number}",
            points=points[first : first + 100],
        )


def build_patrols(*, today: datetime.date) -> list[Patrol]:
    """The demo's patrols (S12, S10); run once, on a fresh demo."""
    categories = {c.code: c for c in Category.objects.filter(tree__is_current=True, is_active=True)}
    by_code = {node.code: node for node in Node.objects.filter(code__startswith="410102")}
    made = []

    # S12 — 平安街社区's night safety patrol, three nights ago.
    community = by_code[spec.PINGANJIE]
    party = []
    for username, display, role, where in spec.PATROL_ACCOUNTS:
        user = accounts.create_user(actor=None, username=username, display_name=display)
        accounts.add_membership(actor=None, user=user, node=by_code[where], role=role)
        party.append(user)
    grid1, grid2 = by_code[f"{spec.PINGANJIE}001"], by_code[f"{spec.PINGANJIE}002"]
    worker1, worker2 = _holder(grid1, Role.GRID_WORKER), _holder(grid2, Role.GRID_WORKER)
    staff = _holder(community, Role.COMMUNITY_STAFF)
    night = today - datetime.timedelta(days=3)
    # The community's checkpoints, labelled before the winter: where a night patrol must pass.
    underpass_spot = _walk(grid1, _at(night, 20, 32), _at(night, 21, 15), 10, 0.0008)[200]
    alley_spot = _walk(grid2, _at(night, 21, 23), _at(night, 22, 2), 10, 0.0008)[60]
    underpass = fieldwork.create_checkpoint(
        actor=staff, grid=grid1, name="桥洞下", lng=underpass_spot["lng"], lat=underpass_spot["lat"]
    )
    alley = fieldwork.create_checkpoint(
        actor=staff, grid=grid2, name="背街小巷尽头", lng=alley_spot["lng"], lat=alley_spot["lat"]
    )
    patrol = fieldwork.create_patrol(
        actor=staff,
        grid=community,
        kind=PatrolKind.ORDINARY,
        leader=worker1,
        members=[worker2, *party],
        planned_start=_at(night, 20, 30),
        planned_end=_at(night, 22, 30),
        start=False,
        note="冬季夜间平安巡查：桥洞、背街小巷、积雪树木",
    )
    fieldwork.start_patrol(actor=worker1, patrol=patrol, at=_at(night, 20, 32))
    first = _walk(grid1, _at(night, 20, 32), _at(night, 21, 15), 10, 0.0008)
    _send(worker1, patrol, first, "s12a")
    rough = fieldwork.record_finding(
        actor=worker1,
        patrol=patrol,
        category=categories["JZ01"],
        title=spec.PATROL_FINDINGS["S12-rough"],
        description=(
            "夜间平安巡查时，在桥洞下发现一名男子裹着旧被子露宿，衣着单薄。经询问，外地来郑"
            "务工未找到工作，无处落脚，同意接受救助。"
        ),
        lng=first[200]["lng"],
        lat=first[200]["lat"],
        address="桥洞下",
        at=first[200]["t"],
    )
    # The phone's screen went off between grid 1 and grid 2: eight minutes without a fix.
    second = _walk(grid2, _at(night, 21, 23), _at(night, 22, 2), 10, 0.0008)
    second[0]["gap"] = True
    _send(worker1, patrol, second, "s12b")
    fieldwork.scan_checkpoint(
        actor=worker1,
        patrol=patrol,
        checkpoint=underpass,
        lng=first[200]["lng"],
        lat=first[200]["lat"],
        at=first[200]["t"],
    )
    fieldwork.scan_checkpoint(
        actor=worker2,
        patrol=patrol,
        checkpoint=alley,
        lng=second[60]["lng"],
        lat=second[60]["lat"],
        at=second[60]["t"],
    )
    tree = fieldwork.record_finding(
        actor=worker2,
        patrol=patrol,
        category=categories["AQ04"],
        title=spec.PATROL_FINDINGS["S12-tree"],
        description="雪后人行道旁一棵槐树的粗枝被积雪压弯，垂到人行道上方，行人需弯腰通过，有折断砸人隐患。",
        lng=second[120]["lng"],
        lat=second[120]["lat"],
        attributes={"danger_now": True},
        at=second[120]["t"],
    )
    fieldwork.finish_patrol(actor=worker1, patrol=patrol, at=_at(night, 22, 5))
    # The man is handed on to the city's aid station (转办) by the community on duty.
    case = rough.case
    accepted = rough.case.created_at + datetime.timedelta(minutes=10)
    case = cases.act(actor=staff, case=case, action="accept", at=accepted)
    agency = Agency.objects.get(name="郑州市救助管理站")
    cases.act(
        actor=staff,
        case=case,
        action="transfer",
        agency=agency,
        note="已带到社区临时救助点，送上热水和棉衣；联系市救助管理站派车接送。",
        at=accepted + datetime.timedelta(minutes=10),
    )
    del tree
    made.append(patrol)

    # S10 — 开元社区's courtyard round in grid 2, yesterday morning.
    grid = by_code[f"{spec.KAIYUAN}002"]
    worker = _holder(grid, Role.GRID_WORKER)
    morning = today - datetime.timedelta(days=1)
    patrol = fieldwork.create_patrol(
        actor=worker,
        grid=grid,
        kind=PatrolKind.ORDINARY,
        note="院落巡查",
        at=_at(morning, 8, 30),
    )
    round_ = _walk(grid, _at(morning, 8, 30), _at(morning, 9, 15), 15, 0.0025)
    _send(worker, patrol, round_, "s10")
    fieldwork.record_finding(
        actor=worker,
        patrol=patrol,
        category=categories["BM02"],
        title=spec.PATROL_FINDINGS["S10-car"],
        description="院落巡查时看到一位居民的汽车电瓶亏电，打不着火。",
        lng=round_[40]["lng"],
        lat=round_[40]["lat"],
        solved_note="招呼路过的居民帮忙推车，车辆顺利启动；提醒车主及时保养车辆，有事找社区。",
        at=round_[40]["t"],
    )
    fieldwork.finish_patrol(actor=worker, patrol=patrol, at=_at(morning, 9, 16))
    made.append(patrol)
    return made
