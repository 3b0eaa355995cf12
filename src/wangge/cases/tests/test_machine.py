"""The state machine: every branch of the loop, and illegal moves refused with a reason."""

import datetime

import pytest
import shapely
from django.utils import timezone

from wangge.accounts.models import User
from wangge.cases import services
from wangge.cases.choices import State, TaskState
from wangge.cases.machine import MOVES, Refused
from wangge.cases.models import Agency, Case, Category, Follower
from wangge.core.models import AuditEvent, Notification
from wangge.demo.district import LVDU_GRID1
from wangge.territory.models import Node

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return {
        name: User.objects.get(username=name)
        for name in (
            "community_lvdu",
            "gridworker_lvdu1",
            "gridworker_lvdu2",
            "street_zyxl",
            "district",
            "partymember_lvdu",
        )
    }


@pytest.fixture
def point():
    grid = Node.objects.get(code=LVDU_GRID1)
    return shapely.geometry.shape(grid.geometry).representative_point()


def new_case(people, point, code="MD05", **kwargs):
    """A case entered by community staff: accepted and dispatched to grid 1's worker."""
    options = {"channel": "phone", "description": "楼道里堆放杂物，邻里有争执", **kwargs}
    return services.report(
        actor=people["community_lvdu"],
        category=Category.objects.get(tree__is_current=True, code=code),
        lng=point.x,
        lat=point.y,
        **options,
    )


def do(case, action, who, **kwargs):
    return services.act(actor=who, case=case, action=action, **kwargs)


def test_staff_entry_is_accepted_and_routed_to_the_grid_worker(people, point):
    case = new_case(people, point)
    assert case.state == State.DISPATCHED
    assert case.handler == people["gridworker_lvdu1"]
    assert case.accepted_at and case.due_at and case.respond_by
    assert [e.action for e in case.events.all()] == ["reported", "accepted", "dispatch"]
    assert case.tasks.get().assignee == people["gridworker_lvdu1"]


def test_the_whole_loop(people, point):
    staff, worker = people["community_lvdu"], people["gridworker_lvdu1"]
    case = new_case(people, point)
    case = do(case, "sign", worker)
    assert case.state == State.SIGNED and case.tasks.get().state == TaskState.SIGNED
    case = do(case, "start", worker)
    case = do(case, "finish", worker, note="已清理楼道")
    assert case.state == State.DONE and case.done_at
    case = do(case, "verify", staff)
    assert case.state == State.VERIFIED
    case = do(case, "close", staff, rating="satisfied", note="电话回访：满意")
    assert case.state == State.CLOSED and case.rating == "satisfied" and case.closed_at
    actions = [e.action for e in case.events.all()]
    assert actions[-5:] == ["sign", "start", "finish", "verify", "close"]
    assert AuditEvent.objects.filter(target_id=str(case.pk), action="cases.case.close").exists()


def test_illegal_moves_are_refused_with_a_reason(people, point):
    staff, worker = people["community_lvdu"], people["gridworker_lvdu1"]
    case = new_case(people, point)
    with pytest.raises(Refused, match="案件当前为“已派遣”，不能核查通过"):
        do(case, "verify", staff)
    with pytest.raises(Refused, match="只有即办件可以当场办结"):
        do(_reported(people, point), "solve_now", staff, note="当场解决")
    with pytest.raises(Refused, match="您没有权限"):
        do(_reported(people, point), "void", worker, note="重复")  # a grid worker may not
    with pytest.raises(Refused, match="没有“fly”这个操作"):
        do(case, "fly", staff)
    # Every move is named in the machine with the states it may leave.
    for action, move in MOVES.items():
        assert move.sources, action


def _reported(people, point, code="MD05", **kwargs):
    """A case from a resident's web form: waiting for acceptance."""
    return services.report(
        actor=None,
        channel="web",
        category=Category.objects.get(tree__is_current=True, code=code),
        description=kwargs.pop("description", "小区路灯坏了"),
        lng=point.x,
        lat=point.y,
        **kwargs,
    )


def test_acceptance_then_manual_dispatch(people, point):
    staff = people["community_lvdu"]
    case = _reported(people, point)
    assert case.state == State.REPORTED and case.stage == "accept"
    case = do(case, "accept", staff)
    assert case.state == State.ACCEPTED and case.handler == people["gridworker_lvdu1"]
    case = do(case, "dispatch", staff, assignees=[people["gridworker_lvdu2"]], note="请协助")
    assert case.state == State.DISPATCHED and case.handler == people["gridworker_lvdu2"]


def test_send_back_and_redispatch(people, point):
    staff, worker = people["community_lvdu"], people["gridworker_lvdu1"]
    case = new_case(people, point)
    case = do(case, "send_back", worker, note="不属于本网格")
    assert case.state == State.RETURNED and case.tasks.get().state == TaskState.RETURNED
    case = do(case, "dispatch", staff, assignees=[people["gridworker_lvdu2"]])
    assert case.state == State.DISPATCHED


def test_coordinated_case_is_done_when_every_task_is(people, point):
    staff, one, two = (
        people["community_lvdu"],
        people["gridworker_lvdu1"],
        people["gridworker_lvdu2"],
    )
    case = _reported(people, point, code="SJ05", description="暴雨后地下室进水")
    case = do(case, "accept", staff)
    case = do(case, "dispatch", staff, assignees=[one, two])
    case = do(case, "finish", one, note="已抽水")
    assert case.state == State.DISPATCHED  # the other party is still at work
    case = do(case, "finish", two, note="已检查电路")
    assert case.state == State.DONE


def test_each_party_signs_for_and_starts_its_own_task(people, point):
    staff, one, two = (
        people["community_lvdu"],
        people["gridworker_lvdu1"],
        people["gridworker_lvdu2"],
    )
    case = do(
        _reported(people, point, code="SJ05", description="暴雨后地下室进水"), "accept", staff
    )
    case = do(case, "dispatch", staff, assignees=[one, two])
    case = do(case, "sign", one)
    assert case.state == State.SIGNED
    with pytest.raises(Refused, match="没有待签收的任务"):
        do(case, "sign", one)
    case = do(case, "start", one)
    assert case.state == State.HANDLING
    case = do(case, "sign", two)  # the case stays where the first party took it
    assert case.state == State.HANDLING
    assert {t.assignee.username: t.state for t in case.tasks.all()} == {
        "gridworker_lvdu1": "handling",
        "gridworker_lvdu2": "signed",
    }
    case = do(case, "start", two)
    assert set(case.tasks.values_list("state", flat=True)) == {"handling"}
    with pytest.raises(Refused):
        do(case, "start", staff)  # no task of their own to start


def test_rework_counts_and_resets_the_finish(people, point):
    staff, worker = people["community_lvdu"], people["gridworker_lvdu1"]
    case = do(new_case(people, point), "finish", worker, note="处理了")
    case = do(case, "rework", staff, note="现场仍有杂物")
    assert case.state == State.HANDLING and case.rework_count == 1 and case.done_at is None
    case = do(case, "finish", worker, note="已彻底清理")
    assert case.state == State.DONE


def test_dissatisfied_resident_reopens_into_the_handlers_queue(people, point):
    staff, worker = people["community_lvdu"], people["gridworker_lvdu1"]
    case = do(do(new_case(people, point), "finish", worker, note="已处理"), "verify", staff)
    case = services.rate_by_tracking_code(
        tracking_code=case.tracking_code.lower(), rating="dissatisfied", comment="根本没人来过"
    )
    assert case.state == State.DISPATCHED and case.reopen_count == 1
    assert case.rating == "dissatisfied" and case.rating_comment == "根本没人来过"
    task = case.tasks.exclude(state__in=[TaskState.DONE, TaskState.CANCELLED]).get()
    assert task.assignee == worker and task.instructions == "根本没人来过"
    assert "reopen" not in [e.action for e in case.events.all()]  # it was the rating
    # Staff recording a phone callback works the same way.
    case = do(
        do(do(case, "finish", worker, note="再次上门"), "verify", staff),
        "close",
        staff,
        rating="dissatisfied",
        note="仍不满意",
    )
    assert case.state == State.DISPATCHED and case.reopen_count == 2


def test_satisfied_rating_closes_and_staff_can_reopen(people, point):
    staff, worker = people["community_lvdu"], people["gridworker_lvdu1"]
    case = do(do(new_case(people, point), "finish", worker, note="已处理"), "verify", staff)
    case = services.rate_by_tracking_code(tracking_code=case.tracking_code, rating="fairly")
    assert case.state == State.CLOSED
    case = do(case, "reopen", staff, note="居民再次反映")
    assert case.state == State.DISPATCHED and case.reopen_count == 1 and case.closed_at is None


def test_staff_record_a_phone_callback_and_workers_may_not(people, point):
    staff, worker = people["community_lvdu"], people["gridworker_lvdu1"]
    case = do(do(new_case(people, point), "finish", worker, note="已处理"), "verify", staff)
    with pytest.raises(Refused):
        do(case, "rate", worker, rating="satisfied")
    case = do(case, "rate", staff, rating="satisfied", note="电话回访：满意")
    assert case.state == State.CLOSED and case.rating == "satisfied"


def test_park_and_take_up_again(people, point):
    staff = people["community_lvdu"]
    case = do(
        new_case(people, point),
        "park",
        staff,
        note="需等待小区改造",
        parked_until=datetime.date(2027, 3, 1),
    )
    assert case.state == State.PARKED and case.stage == "" and case.mark == ""
    assert not case.tasks.exclude(state=TaskState.CANCELLED).exists()
    case = do(case, "dispatch", staff)
    assert case.state == State.DISPATCHED


def test_transfer_to_an_outside_agency_with_its_receipt(people, point):
    staff = people["community_lvdu"]
    station = Agency.objects.get(kind="救助站")
    case = do(
        new_case(people, point, code="JZ01", description="小区门口有流浪人员"),
        "transfer",
        staff,
        agency=station,
        note="已联系救助站接人",
    )
    assert case.state == State.TRANSFERRED and case.agency == station
    case = do(case, "receipt", staff, note="救助站回执：已妥善安置")
    assert case.state == State.DONE


def test_escalation_to_the_community_and_its_decision(people, point):
    staff, worker = people["community_lvdu"], people["gridworker_lvdu1"]
    case = do(
        new_case(people, point, code="MS01", description="1号楼21户暖气不热"),
        "escalate",
        worker,
        note="需两委研究改造",
    )
    assert case.state == State.ESCALATED and case.level.name == "绿都社区"
    # The community has until the promised time, not the two hours of a dispatch.
    assert case.stage == "handle" and case.stage_deadline == case.due_at
    assert Notification.objects.filter(user=staff, text__contains="已上报至绿都社区").exists()
    case = do(
        case, "decide", staff, note="两委会议决定列入民生微改造项目", project_ref="供暖管网改造"
    )
    assert case.project_ref == "供暖管网改造" and case.state == State.ESCALATED
    case = do(case, "escalate", staff, note="需街道协调施工单位")
    assert case.level.name == "中原西路街道"
    with pytest.raises(Refused, match="已是最高一级"):
        do(case, "escalate", people["street_zyxl"], note="再上报")


def test_merge_moves_the_followers_to_the_original(people, point):
    staff = people["community_lvdu"]
    original = new_case(people, point, reporter_phone="13900000001")
    duplicate = new_case(people, point, reporter_phone="13900000002")
    duplicate = do(duplicate, "merge", staff, target=original)
    assert duplicate.state == State.MERGED and duplicate.merged_into == original
    phones = {f.phone for f in Follower.objects.filter(case=original)}
    assert phones == {"13900000001", "13900000002"}
    assert original.events.filter(action="duplicate_merged").exists()
    with pytest.raises(Exception, match="请选择要合并到的案件"):
        do(new_case(people, point), "merge", staff)


def test_void_needs_a_reason_and_ends_the_case(people, point):
    staff = people["community_lvdu"]
    case = _reported(people, point)
    with pytest.raises(Exception, match="请填写说明"):
        do(case, "void", staff)
    case = do(case, "void", staff, note="测试数据")
    assert case.state == State.VOID


def test_solved_on_the_spot(people, point):
    worker = people["gridworker_lvdu1"]
    case = services.report(
        actor=worker,
        channel="patrol",
        category=Category.objects.get(tree__is_current=True, code="BM02"),
        description="居民车辆电瓶亏电",
        lng=point.x,
        lat=point.y,
    )
    assert case.state == State.REPORTED  # a grid worker's report waits for the community …
    case = do(case, "solve_now", worker, note="组织群众推车打着火，提醒及时保养")
    assert case.state == State.CLOSED and case.done_at == case.closed_at  # … unless solved now


def test_recategorizing_reroutes(people, point):
    from wangge.cases.models import RoutingRule

    staff, other = people["community_lvdu"], people["gridworker_lvdu2"]
    RoutingRule.objects.create(
        position=1,
        category=Category.objects.get(tree__is_current=True, code="AQ02"),
        target_kind="user",
        user=other,
    )
    case = new_case(people, point)
    case = do(
        case,
        "recategorize",
        staff,
        category=Category.objects.get(tree__is_current=True, code="AQ02"),
    )
    assert case.category.code == "AQ02" and case.handler == other
    assert case.tasks.exclude(state=TaskState.CANCELLED).get().assignee == other


def test_extension_moves_the_promised_time(people, point):
    staff, worker = people["community_lvdu"], people["gridworker_lvdu1"]
    case = do(new_case(people, point), "sign", worker)
    due = case.due_at
    case = do(
        case, "request_extension", worker, amount=2, unit="working_days", note="需等待物业配合"
    )
    extension = case.extensions.get()
    with pytest.raises(Exception, match="已有待审批的延期申请"):
        do(case, "request_extension", worker, amount=1, note="再延")
    case = do(case, "decide_extension", staff, extension=extension, approve=True, note="同意")
    extension.refresh_from_db()
    assert extension.state == "approved" and case.due_at > due
    assert case.stage_deadline == case.due_at


def test_comments_and_party_members_can_only_report(people, point):
    staff = people["community_lvdu"]
    case = do(new_case(people, point), "comment", staff, note="已电话联系居民")
    assert not case.events.last().public  # a note alone is internal
    case = do(case, "comment", staff, note="已电话联系居民", reply="已和您电话沟通。")
    assert case.events.last().public and case.events.last().reply == "已和您电话沟通。"
    with pytest.raises(Refused):
        do(case, "comment", people["partymember_lvdu"], note="x")


def test_overdue_cases_turn_yellow_then_red_and_escalate(people, point):
    case = _reported(people, point)
    assert case.mark == ""
    services.sweep(now=case.stage_warn_at + datetime.timedelta(seconds=1))
    case.refresh_from_db()
    assert case.mark == "yellow"
    late = case.stage_deadline + datetime.timedelta(minutes=1)
    counts = services.sweep(now=late)
    case.refresh_from_db()
    assert case.mark == "red" and counts["escalated"] >= 1 and case.level.name == "绿都社区"
    assert case.escalations == 1
    assert Notification.objects.filter(
        user=people["community_lvdu"], text__contains="已超时"
    ).exists()
    assert case.events.filter(action="overdue_escalated").exists()
    # Still red after as long again: the street.
    span = case.stage_deadline - case.stage_started_at
    services.sweep(now=late + span + datetime.timedelta(minutes=1))
    case.refresh_from_db()
    assert case.level.name == "中原西路街道" and case.escalations == 2
    services.sweep(now=late + 3 * span)
    case.refresh_from_db()
    assert case.escalations == 2  # no level above a street
    assert timezone.now()  # the sweep never touched the real clock


def test_a_reopened_case_gets_time_for_the_work_done_again(people, point):
    """The promise stands for the on-time rate, but the work done again after a 不满意 is not
    born late: its task and its handling stage run at least the category's time from the
    reopening."""
    staff, worker = people["community_lvdu"], people["gridworker_lvdu1"]
    case = do(do(new_case(people, point), "finish", worker, note="已处理"), "verify", staff)
    promised = case.due_at
    later = promised + datetime.timedelta(days=10)
    case = services.act(
        actor=None, case=case, action="rate", rating="dissatisfied", note="没修好", at=later
    )
    assert case.state == State.DISPATCHED and case.due_at == promised
    task = case.tasks.get(state="dispatched")
    assert task.due_at > later
    case = services.act(actor=worker, case=case, action="sign", at=later)
    assert case.stage_deadline == task.due_at and case.mark == ""


def test_an_instant_case_given_to_a_worker_is_solved_where_it_is(people, point):
    """A man sleeping rough reported by phone: the community's entry goes to the grid worker,
    who solves it on the spot; the task is done with the same words, the case closed."""
    worker = people["gridworker_lvdu1"]
    case = new_case(people, point, code="JZ01", description="小区门口有人露宿")
    assert case.state == State.DISPATCHED and case.kind == "instant"
    case = do(case, "sign", worker)
    case = do(case, "solve_now", worker, note="已送到社区临时救助点，本人已联系家属接回")
    assert case.state == State.CLOSED and case.closed_at == case.done_at
    task = case.tasks.get()
    assert task.state == TaskState.DONE and task.result.startswith("已送到社区临时救助点")
    # A promised case is not closed from the task: it is finished, verified, called back.
    other = do(new_case(people, point), "sign", worker)
    with pytest.raises(Refused, match="只有即办件可以当场办结"):
        do(other, "solve_now", worker, note="已处理")


def test_the_worker_holding_the_task_hands_it_to_an_agency(people, point):
    """S9 from the phone: the worker given the case hands it to the aid station; recording
    the station's receipt stays with the community."""
    staff, worker = people["community_lvdu"], people["gridworker_lvdu1"]
    station = Agency.objects.get(kind="救助站")
    case = new_case(people, point, code="JZ01", description="桥下有人衣衫单薄")
    case = do(case, "transfer", worker, agency=station, note="已联系救助站派车接人")
    assert case.state == State.TRANSFERRED and case.agency == station
    assert not case.tasks.exclude(state=TaskState.CANCELLED).exists()
    with pytest.raises(Refused, match="您没有权限"):
        do(case, "receipt", worker, note="已接收")
    case = do(case, "receipt", staff, note="救助站回执：已妥善安置")
    assert case.state == State.DONE
    # Without a task of their own a grid worker may not hand a case over.
    reported = do(_reported(people, point, code="JZ01"), "accept", staff)
    assert reported.state == State.ACCEPTED
    with pytest.raises(Refused, match="您没有权限"):
        do(reported, "transfer", worker, agency=station, note="转救助站")


def test_a_report_solved_on_the_spot_is_closed_at_once(people, point):
    worker = people["gridworker_lvdu1"]
    case = services.report(
        actor=worker,
        channel="patrol",
        category=Category.objects.get(tree__is_current=True, code="SJ01"),  # promised by default
        description="路边一袋垃圾",
        lng=point.x,
        lat=point.y,
        solved_note="已捡拾并投放到垃圾桶",
        idempotency_key="solved-1",
    )
    assert case.state == State.CLOSED and case.kind == "instant"
    assert [e.action for e in case.events.order_by("pk")] == ["reported", "solve_now"]
    assert case.events.get(action="solve_now").note == "已捡拾并投放到垃圾桶"
    again = services.report(
        actor=worker,
        channel="patrol",
        category=Category.objects.get(tree__is_current=True, code="SJ01"),
        description="路边一袋垃圾",
        lng=point.x,
        lat=point.y,
        solved_note="已捡拾并投放到垃圾桶",
        idempotency_key="solved-1",
    )
    assert again.pk == case.pk
    # Who may report but not handle (a party member) cannot solve it: nothing is written.
    before = Case.objects.count()
    with pytest.raises(Refused):
        services.report(
            actor=people["partymember_lvdu"],
            channel="patrol",
            category=Category.objects.get(tree__is_current=True, code="SJ01"),
            description="路边垃圾",
            lng=point.x,
            lat=point.y,
            solved_note="已清理",
        )
    assert Case.objects.count() == before
