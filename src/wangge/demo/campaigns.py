"""The demo's inspection campaigns (排查), played through the field work and case services with
times backdated from the demo's day, as the year of history is.

S6: 一中社区 checks every building before the blizzard, one team per grid. Most buildings are
checked over the last working days; a few hazards are found — flying-wire charging (飞线充电)
among them — and each opens a case; some of those are fixed and closed, some still open. A
few buildings of grid 1 are left for the phone (the browser test checks one).

A dispute screening drive (矛盾纠纷排查化解) is open in 观澜社区 with two buildings talked to.
"""

from __future__ import annotations

import datetime
import random
from zoneinfo import ZoneInfo

from django.conf import settings

from wangge.accounts.models import User
from wangge.cases import services as cases
from wangge.demo import district as spec
from wangge.fieldwork import services as fieldwork
from wangge.fieldwork.models import CampaignTeam, Checklist
from wangge.territory.models import Building, Node

# Hazards found, by building (in the order of the community's buildings), and which of their
# cases are fixed by now.
HAZARDS = {
    2: ["flying_wire"],
    5: ["shed_snow"],
    8: ["flying_wire", "wiring"],
    11: ["trees_bent"],
    14: ["flying_wire"],
    17: ["eaves_ice"],
    20: ["pipes"],
    23: ["flying_wire"],
    26: ["fire_lane"],
}
FIXED = {2, 5, 11, 17, 26}
FIX_NOTES = {
    "flying_wire": "已约谈车主，飞线已收回，引导到小区集中充电桩充电。",
    "shed_snow": "组织物业清扫车棚顶积雪，已清理完毕。",
    "wiring": "私拉电线已拆除，提醒住户安全用电。",
    "trees_bent": "联系园林部门修剪被雪压弯的树枝，隐患已消除。",
    "eaves_ice": "屋檐冰凌已敲除，设置警示标志。",
    "pipes": "室外水管已包裹保温棉。",
    "fire_lane": "楼道堆放杂物已清理，消防通道畅通。",
}
LEFT_IN_GRID1 = 2  # buildings of grid 1 still to check (for the phone)
UNCHECKED_EVERY = 9  # elsewhere, one building in so many not checked yet


def _answers(checklist: Checklist, hazards: list[str]) -> dict:
    answers: dict = {}
    for question in checklist.form.questions.all():
        if question.kind == "boolean":
            answers[question.code] = question.code in hazards
        elif question.code == "pipes":
            answers[question.code] = "bare" if "pipes" in hazards else "wrapped"
    return answers


def build_campaigns(*, today: datetime.date, log=None) -> None:
    zone = ZoneInfo(settings.TIME_ZONE)

    def at(days_ago: int, hour: int, minute: int = 0) -> datetime.datetime:
        day = today - datetime.timedelta(days=days_ago)
        return datetime.datetime.combine(day, datetime.time(hour, minute), zone)

    rng = random.Random(6)  # the campaigns' own draws: the rest of the demo stays as it was
    yizhong = Node.objects.get(code=spec.YIZHONG)
    staff = User.objects.get(username="community_yizhong")
    blizzard = Checklist.objects.get(code="before-blizzard")
    campaign = fieldwork.create_campaign(
        actor=staff,
        title=spec.BLIZZARD_CAMPAIGN,
        checklist=blizzard,
        node=yizhong,
        starts_on=today - datetime.timedelta(days=6),
        ends_on=today + datetime.timedelta(days=3),
        note="气象台发布暴雪预警。各网格分组逐栋排查：车棚积雪、屋檐雨棚、被雪压弯的树枝、"
        "管网防冻、用电用火，重点查飞线充电，发现隐患立即上报、跟进到整改完毕。",
        created_at=at(7, 16, 30),
    )
    campaign = fieldwork.open_campaign(actor=staff, campaign=campaign, at=at(6, 8, 30))
    teams = {
        team.grid_id: team
        for team in CampaignTeam.objects.filter(campaign=campaign).prefetch_related("members")
    }
    buildings = list(
        Building.objects.filter(grid__path__startswith=yizhong.path)
        .select_related("grid")
        .order_by("grid__code", "name", "pk")
    )
    grid1 = [b for b in buildings if b.grid.code == spec.YIZHONG_GRID1]
    skip = {b.pk for b in grid1[-LEFT_IN_GRID1:]}
    opened = []
    for number, building in enumerate(buildings, start=1):
        if building.pk in skip or number % UNCHECKED_EVERY == 0:
            continue
        team = teams.get(building.grid_id) or teams.get(building.grid.parent_id)
        members = [m for m in team.members.all() if m.username != "gridworker_yz1"] if team else []
        checker = members[0] if members else staff
        hazards = HAZARDS.get(number, [])
        when = at(1 + number % 5, 9 + number % 8, rng.randint(0, 59))
        check = fieldwork.record_check(
            actor=checker,
            campaign=campaign,
            building=building,
            answers=_answers(blizzard, hazards),
            note="" if not hazards else "已当场提醒住户，隐患已上报社区。",
            checked_at=when,
        )
        for case in check.cases.all().order_by("pk"):
            opened.append((number, case, checker, when))
    for number, case, checker, when in opened:
        if number == max(HAZARDS):
            continue  # the newest waits for the community to accept it
        moment = when + datetime.timedelta(minutes=40)
        case = cases.act(actor=staff, case=case, action="accept", at=moment)
        moment += datetime.timedelta(minutes=5)
        case = cases.act(actor=staff, case=case, action="dispatch", assignees=[checker], at=moment)
        if number not in FIXED:
            continue
        moment += datetime.timedelta(minutes=20)
        case = cases.act(actor=checker, case=case, action="sign", at=moment)
        moment += datetime.timedelta(hours=3)
        note = FIX_NOTES.get(HAZARDS[number][0], "隐患已整改。")
        case = cases.act(actor=checker, case=case, action="finish", note=note, at=moment)
        moment += datetime.timedelta(hours=2)
        case = cases.act(actor=staff, case=case, action="verify", at=moment)
        moment += datetime.timedelta(hours=1)
        cases.act(
            actor=staff, case=case, action="close", note="复查整改到位，隐患消除。", at=moment
        )
    if log:
        log(f"campaigns: {len(buildings)} buildings, {len(opened)} hazard cases")

    # 观澜社区's dispute screening drive, open; S8's dispute will belong to it.
    guanlan = Node.objects.get(code=spec.GUANLAN)
    guanlan_staff = User.objects.get(username="community_guanlan")
    drive = fieldwork.create_campaign(
        actor=guanlan_staff,
        title=spec.DISPUTE_CAMPAIGN,
        checklist=Checklist.objects.get(code="dispute-screening"),
        node=guanlan,
        starts_on=today - datetime.timedelta(days=10),
        ends_on=today + datetime.timedelta(days=20),
        note="年底矛盾纠纷集中排查化解：邻里、家庭、物业租赁、拖欠工资，早发现、早化解。",
        created_at=at(11, 10),
    )
    drive = fieldwork.open_campaign(actor=guanlan_staff, campaign=drive, at=at(10, 9))
    worker = User.objects.get(username="gridworker_guanlan1")
    for days_ago, building in enumerate(
        Building.objects.filter(grid__code=spec.GUANLAN_GRID1).order_by("name", "pk")[:2],
        start=2,
    ):
        fieldwork.record_check(
            actor=worker,
            campaign=drive,
            building=building,
            answers={"neighbours": False, "family": False, "property": False, "wages": False},
            checked_at=at(days_ago, 15),
        )
