"""The demo's disputes and people's mediation (矛盾纠纷与人民调解), made through the services
with times backdated from the demo's day.

S8 (观澜社区): Ms Li of 7号院2号楼 against the upstairs neighbour whose dog barks all night,
found in the community's dispute screening drive (矛盾纠纷排查化解) and linked to the story's
case: the community's mediator and the grid worker visit, the neighbour — who works nights —
moves the dog to an inner room and apologises; a written agreement, signed; a follow-up visit
finds it carried out, Ms Li satisfied, no risk; the file closed. Beside it: a leaking bathroom
in 观澜社区 just taken in (the desk's next mediation), a property-fee dispute in 绿都社区 being
mediated, and unpaid wages in 绿都社区 that found no agreement and went on to the labour
inspectors.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from wangge.accounts.choices import Role
from wangge.accounts.models import Membership, User
from wangge.cases.models import CaseEvent
from wangge.demo import district as spec
from wangge.demo.history import story_case
from wangge.fieldwork import services as fieldwork
from wangge.fieldwork.models import Campaign, Dispute, DisputeKind, DisputeSource, DisputeState
from wangge.fieldwork.services import PartySpec
from wangge.people import idnumber
from wangge.people import services as people
from wangge.people.models import Household, Person
from wangge.people.services.checks import id_hash
from wangge.territory.models import Building, Dwelling, Node

S8_DRIVE = "矛盾纠纷排查化解"
MS_LI = "李秀兰"
BORN = datetime.date(1984, 3, 12)


def _free_id_number(born: datetime.date, *, male: bool) -> str:
    """A made-up, valid ID number nobody in the register has."""
    for sequence in range(401, 499):
        number = idnumber.make("410102", born, sequence, male)
        if not Person.objects.filter(id_number_hash=id_hash(number)).exists():
            return number
    raise RuntimeError("no free ID number")


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    zone = timezone.get_current_timezone()
    return datetime.datetime.combine(day, datetime.time(hour, minute), zone)


def _staff(community_code: str) -> User:
    membership = (
        Membership.objects.filter(
            node__code=community_code, role=Role.COMMUNITY_STAFF, is_active=True
        )
        .select_related("user")
        .order_by("user__username", "pk")
        .first()
    )
    assert membership is not None, f"the demo has no staff in {community_code}"
    return membership.user


def _kind(code: str) -> DisputeKind:
    return DisputeKind.objects.get(code=code)


def _ms_li(grid: Node, building: Building | None) -> tuple[Person, Dwelling | None]:
    """Ms Li of 7号院2号楼, from the register: an adult woman named 李 living there if the
    register has one, else registered now in the building's first empty flat that has one
    above it (her household and herself, through the register's services)."""
    if building is not None:
        born_before = datetime.date(2004, 1, 1)
        found = (
            Person.objects.filter(
                household__dwelling__building=building,
                name__startswith="李",
                sex="female",
                birth_date__lt=born_before,
            )
            .select_related("household__dwelling")
            .order_by("pk")
            .first()
        )
        if found is not None:
            return found, found.household.dwelling
        taken = set(
            Household.objects.filter(dwelling__building=building).values_list(
                "dwelling_id", flat=True
            )
        )
        dwellings = list(building.dwellings.select_related("unit").order_by("floor", "number"))
        labels = {(d.unit_id, d.number) for d in dwellings}
        for dwelling in dwellings:
            above = _upstairs(dwelling)
            if dwelling.pk not in taken and (dwelling.unit_id, above) in labels:
                household = people.create_household(actor=None, dwelling=dwelling, note="")
                person = people.create_person(
                    actor=None,
                    name=MS_LI,
                    household=household,
                    relation="head",
                    sex="female",
                    birth_date=BORN,
                    id_number=_free_id_number(BORN, male=False),
                    phone="13703710702",
                )
                return person, dwelling
    person = people.create_person(
        actor=None, name=MS_LI, grid=grid, sex="female", phone="13703710702"
    )
    return person, None


def _upstairs(dwelling: Dwelling) -> str:
    """The flat above: ``201`` → ``301``."""
    number = dwelling.number
    if number.isdigit() and len(number) >= 3:
        return str(int(number[:-2]) + 1) + number[-2:]
    return number


def _day_of(case, action: str, default: datetime.date) -> datetime.date:
    event = CaseEvent.objects.filter(case=case, action=action).order_by("at").first()
    return timezone.localdate(event.at) if event else default


def build_disputes(*, today: datetime.date) -> int:
    """The demo's disputes (run once, after the year of cases); returns how many."""
    if Dispute.objects.exists():
        return 0
    made = [_s8(today), _leak(today), _property_fee(today), _wages(today)]
    return len(made)


def _s8(today: datetime.date) -> Dispute:
    case = story_case("S8")
    grid = case.grid
    staff = _staff(spec.GUANLAN)
    worker = User.objects.get(username="gridworker_guanlan1")
    building = case.building
    li, dwelling = _ms_li(grid, building)
    taken = timezone.localdate(case.created_at)
    visit = _day_of(case, "finish", taken + datetime.timedelta(days=1))
    closed = _day_of(case, "close", visit + datetime.timedelta(days=2))
    upstairs = ""
    if dwelling is not None:
        place = dwelling.building.address or f"{dwelling.building.compound}{dwelling.building.name}"
        upper = _upstairs(dwelling)
        upstairs = f"{place} {dwelling.unit.number}-{upper}" if dwelling.unit_id else place
    dispute = fieldwork.create_dispute(
        actor=staff,
        grid=grid,
        kind=_kind("neighbour"),
        title="7号院2号楼邻居家犬只夜间吠叫纠纷",
        facts=(
            "李秀兰反映：楼上邻居张先生家的狗每天夜里在阳台上叫，孩子没法写作业，老人睡不好觉；"
            "多次上门敲门，邻居都不在家，双方未能见面沟通。"
        ),
        points="张先生家犬只夜间吠叫是否扰民；张先生应采取何种措施避免影响楼下住户休息。",
        source=DisputeSource.SCREENING,
        drive=S8_DRIVE,
        campaign=Campaign.objects.filter(title=spec.DISPUTE_CAMPAIGN).first(),
        case=case,
        mediators=[staff, worker],
        parties=[
            PartySpec(role="applicant", person=li),
            PartySpec(
                role="respondent",
                name="张建军",
                phone="13803710301",
                id_number=idnumber.make("410102", datetime.date(1987, 6, 15), 88, True),
                address=upstairs,
            ),
        ],
        at=case.created_at + datetime.timedelta(minutes=75),
    )
    parties = list(dispute.parties.order_by("sort"))
    fieldwork.record_session(
        actor=worker,
        dispute=dispute,
        held_on=visit,
        place="7号院2号楼张先生家",
        record=(
            "调解员与网格员上门。张先生上夜班、白天休息，不知道狗夜里叫得厉害。向其讲解《郑州市"
            "养犬管理条例》关于犬只不得干扰他人正常生活的规定；张先生当即表示把狗移到里屋，"
            "并向李女士当面道歉。李女士表示接受。"
        ),
        present=parties,
        mediators=[staff, worker],
        at=_at(visit, 17, 0),
    )
    fieldwork.record_outcome(
        actor=staff,
        dispute=dispute,
        outcome=DisputeState.AGREED,
        responsibilities=(
            "张先生饲养的犬只夜间在阳台吠叫，影响楼下住户休息，张先生应承担管束犬只的责任。"
        ),
        terms=(
            "一、张先生自即日起将犬只移至里屋饲养，夜间不再放在阳台；\n"
            "二、张先生就此前犬只吠叫给李女士一家造成的影响当面道歉；\n"
            "三、今后如犬只再有夜间吠叫，李女士可直接与张先生联系，双方友好协商解决。"
        ),
        performance="张先生自行履行，社区网格员回访督促",
        deadline=visit,
        signed_on=visit,
        at=_at(visit, 17, 20),
    )
    fieldwork.record_follow_up(
        actor=worker,
        dispute=dispute,
        visited_on=closed,
        carried_out=True,
        satisfied=True,
        risk=False,
        note="回访李女士：狗已移到里屋，夜里安静了，对调解结果满意。",
        at=_at(closed, 10, 0),
    )
    fieldwork.close_dispute(actor=staff, dispute=dispute, at=_at(closed, 10, 30))
    return dispute


def _leak(today: datetime.date) -> Dispute:
    """Just taken in at 观澜社区's desk: water from the flat above (the next mediation)."""
    grid = Node.objects.get(code=spec.GUANLAN_GRID1)
    staff = _staff(spec.GUANLAN)
    worker = User.objects.get(username="gridworker_guanlan1")
    day = today - datetime.timedelta(days=1)
    return fieldwork.create_dispute(
        actor=staff,
        grid=grid,
        kind=_kind("neighbour"),
        title="7号院3号楼楼上卫生间漏水渗至楼下",
        facts=(
            "王女士来社区反映：楼上住户卫生间防水层老化，漏水渗到自家卫生间顶棚，墙皮脱落；"
            "楼上住户认为是楼道公共管道的问题，不同意维修。"
        ),
        points="漏水原因是户内防水还是公共管道；维修费用和楼下墙面修复费用由谁承担。",
        source=DisputeSource.WALK_IN,
        mediators=[staff, worker],
        parties=[
            PartySpec(role="applicant", name="王丽华", phone="13603710311"),
            PartySpec(role="respondent", name="陈志强", phone="13503710411"),
        ],
        at=_at(day, 15, 40),
    )


def _property_fee(today: datetime.date) -> Dispute:
    """Being mediated in 绿都社区: a family that stopped paying the property fee."""
    grid = Node.objects.get(code=spec.LVDU_GRID1)
    staff = _staff(spec.LVDU)
    worker = User.objects.get(username="gridworker_lvdu1")
    taken = today - datetime.timedelta(days=9)
    dispute = fieldwork.create_dispute(
        actor=worker,
        grid=grid,
        kind=_kind("property"),
        title="业主拒交物业费与物业公司纠纷",
        facts=(
            "业主刘先生因地下车库长期渗水、物业维修不及时，拒交2026年度物业费；物业公司多次"
            "催缴未果，准备起诉。"
        ),
        points="车库渗水维修责任；物业费是否应当减免。",
        source=DisputeSource.WALK_IN,
        mediators=[staff, worker],
        parties=[
            PartySpec(role="applicant", name="绿都物业服务中心（赵经理）", phone="037167180011"),
            PartySpec(role="respondent", name="刘国庆", phone="13903710123"),
        ],
        at=_at(taken, 10, 0),
    )
    session_day = taken + datetime.timedelta(days=3)
    fieldwork.record_session(
        actor=worker,
        dispute=dispute,
        held_on=session_day,
        place="绿都社区党群服务中心调解室",
        record=(
            "双方到场。物业表示车库渗水需业委会动用维修资金，已提交申请；刘先生同意维修完成后"
            "补交物业费。约定待维修方案确定后再次调解。"
        ),
        present=list(dispute.parties.all()),
        mediators=[staff, worker],
        at=_at(session_day, 15, 0),
    )
    return dispute


def _wages(today: datetime.date) -> Dispute:
    """No agreement in 绿都社区: unpaid wages, referred on to the labour inspectors."""
    grid = Node.objects.get(code=spec.LVDU_GRID2)
    staff = _staff(spec.LVDU)
    taken = today - datetime.timedelta(days=30)
    dispute = fieldwork.create_dispute(
        actor=staff,
        grid=grid,
        kind=_kind("wages"),
        title="装修工人追讨拖欠工资",
        facts="装修工人孙师傅等3人为小区内一户装修，完工后包工头拖欠工资1.2万元。",
        points="工资数额和支付时间。",
        source=DisputeSource.WALK_IN,
        mediators=[staff],
        parties=[
            PartySpec(role="applicant", name="孙建国", phone="15803710222"),
            PartySpec(role="respondent", name="周某（包工头）", phone="15903710333"),
        ],
        at=_at(taken, 9, 30),
    )
    session_day = taken + datetime.timedelta(days=2)
    fieldwork.record_session(
        actor=staff,
        dispute=dispute,
        held_on=session_day,
        place="绿都社区党群服务中心调解室",
        record="包工头称业主未结清工程款，拒绝支付；双方分歧较大，未能达成一致。",
        present=list(dispute.parties.all()),
        mediators=[staff],
        at=_at(session_day, 14, 0),
    )
    fieldwork.record_outcome(
        actor=staff,
        dispute=dispute,
        outcome=DisputeState.REFERRED,
        note="调解不成。涉及拖欠劳动报酬，引导当事人向劳动保障监察部门投诉。",
        referred_to="中原区人力资源和社会保障局劳动保障监察大队",
        at=_at(session_day, 16, 0),
    )
    return dispute


def remove_disputes() -> None:
    """For the demo's reset: the disputes go before the places and cases they lie in."""
    Dispute.objects.all().delete()
