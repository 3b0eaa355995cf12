"""Every service writes its audit event, in the same transaction as its change.

``CASES`` runs each write service once on the demo district. A new public function in a
``services`` module must be added here (or to ``NOT_WRITES`` if it only reads or checks),
so no write slips in without its event.
"""

import datetime
import inspect
import io
import tempfile
from unittest import mock

import pytest
import shapely
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from PIL import Image

from wangge.accounts import services as accounts
from wangge.accounts.models import Membership, User
from wangge.cases import photos
from wangge.cases import services as cases
from wangge.cases.models import Category
from wangge.core import saved
from wangge.core import services as core
from wangge.core.context import request_id_var
from wangge.core.models import AuditEvent
from wangge.demo.district import LVDU, LVDU_GRID1
from wangge.fieldwork import services as fieldwork
from wangge.fieldwork.models import DisputeKind, VisitRule
from wangge.lostfound import services as lostfound
from wangge.notices import services as notices
from wangge.notices.models import NoticeKind
from wangge.open311 import services as open311
from wangge.people import idnumber
from wangge.people import services as people
from wangge.people.models import CareTag, Household, Person, Visit
from wangge.territory import services as territory
from wangge.territory.models import Building, Node

pytestmark = pytest.mark.django_db

NOT_WRITES = {
    "cases.photos": {"prepare_photo", "photo_snapshot", "max_bytes", "size_text"},
    "lostfound": set(),
    "fieldwork": {"campaign_snapshot", "check_snapshot"},
    "open311": {"open311_key_hash"},
    "cases": {
        "phone_hash",
        "case_snapshot",
        "level_above",
        "grid_by_id",
        "may_reveal_reporter",
    },
    "accounts": {"client_ip", "user_for_token"},
    "notices": {
        "notice_snapshot",
        "public_url",
        "notice_url",
        "robot_key",
        "find_follow",
        "notices_for_grid",
        "delivery_report",
    },
    "core": {"allowed", "check_scope", "bump_counter", "read_counter", "idempotent", "replay"},
    "core.saved": {"clean_query", "url", "views_for"},
    "people": {
        "clean_identity",
        "id_hash",
        "phone_hash",
        "person_snapshot",
        "check_tags",
        "next_household_number",
        "tag_label",
        "check_note",
        "check_position",
        "check_purpose",
    },
    "territory": {
        "node_snapshot",
        "check_code",
        "check_parent",
        "building_snapshot",
        "resolve_grid",
    },
}


def grid1():
    return Node.objects.get(code=LVDU_GRID1)


def a_person():
    return Person.objects.filter(grid__code__startswith=LVDU_GRID1).exclude(phone_hash="").first()


def new_id(n=1):
    return idnumber.make("110101", datetime.date(1960, 1, 1) + datetime.timedelta(days=n), n, True)


def square_inside(node, size=0.25):
    shape = shapely.geometry.shape(node.geometry)
    c = shape.centroid
    (w, s, e, n) = shape.bounds
    dx, dy = (e - w) * size / 2, (n - s) * size / 2
    return shapely.geometry.mapping(shapely.box(c.x - dx, c.y - dy, c.x + dx, c.y + dy))


def run_create_node(actor):
    community = Node.objects.get(code=LVDU)
    node = territory.create_node(
        actor=actor,
        kind="dedicated_grid",
        code=f"{LVDU}099",
        name="幼儿园专属网格",
        parent=community,
        geometry_json=square_inside(grid1(), 0.2),
    )
    return "territory.node.created", node


def run_update_node(actor):
    node = grid1()
    territory.update_node(actor=actor, node=node, name="第一网格")
    return "territory.node.updated", node


def run_import_grids(actor):
    community = Node.objects.get(code=LVDU)
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": square_inside(grid1(), 0.2),
                "properties": {
                    "code": f"{LVDU}098",
                    "name": "学校专属网格",
                    "kind": "专属网格",
                    "parent": community.code,
                },
            }
        ],
    }
    report = territory.import_grids(actor=actor, collection=collection)
    assert report.ok, report.problems
    return "territory.node.created", Node.objects.get(code=f"{LVDU}098")


def run_create_building(actor):
    point = shapely.geometry.shape(grid1().geometry).representative_point()
    building = territory.create_building(
        actor=actor,
        name="99号楼",
        compound="测试苑",
        lng=point.x,
        lat=point.y,
        floors=6,
        units=1,
        rooms_per_floor=2,
    )
    assert building.dwellings.count() == 12
    return "territory.building.created", building


def run_update_building(actor):
    building = Building.objects.filter(grid__code__startswith=LVDU_GRID1).first()
    territory.update_building(actor=actor, building=building, floors=7)
    return "territory.building.updated", building


def run_reassign_buildings(actor):
    # Move grid 1's boundary over a building of grid 2: the building follows.
    building = Building.objects.filter(grid__code__startswith=LVDU_GRID1[:-1] + "2").first()
    grid = grid1()
    shape = shapely.geometry.shape(grid.geometry).union(
        shapely.Point(building.lng, building.lat).buffer(0.0003)
    )
    Node.objects.filter(code__startswith=LVDU_GRID1[:-1] + "2").update(is_active=False)
    territory.update_node(actor=actor, node=grid, geometry_json=shapely.geometry.mapping(shape))
    assert territory.reassign_buildings(actor=actor, communities=[grid.parent]) >= 1
    return "territory.building.moved", building


def run_create_household(actor):
    household = people.create_household(actor=actor, grid=grid1(), residence_type="floating")
    return "people.household.created", household


def run_update_household(actor):
    household = Household.objects.filter(grid__code__startswith=LVDU_GRID1).first()
    people.update_household(actor=actor, household=household, note="新装了燃气报警器")
    return "people.household.updated", household


def run_move_residents(actor):
    household = Household.objects.filter(
        grid__code__startswith=LVDU_GRID1, dwelling__isnull=False
    ).first()
    grid2 = Node.objects.get(code=LVDU_GRID1[:-1] + "2")
    assert people.move_residents(actor=actor, moves={household.dwelling.building_id: grid2}) >= 1
    return "people.household.moved", household


def run_create_person(actor):
    person = people.create_person(actor=actor, name="新居民", grid=grid1(), id_number=new_id())
    return "people.person.created", person


def run_update_person(actor):
    person = a_person()
    people.update_person(actor=actor, person=person, phone="13912345678")
    return "people.person.updated", person


def run_set_care_tags(actor):
    person = a_person()
    tag = CareTag.objects.get(code="living_alone")
    people.set_care_tags(actor=actor, person=person, tags=[people.TagSpec(tag=tag)])
    return "people.person.care_tags_set", person


def run_reveal(actor):
    person = a_person()
    assert (
        people.reveal(actor=actor, person=person, field="phone", purpose="回访核实") == person.phone
    )
    return "people.person.revealed", person


def run_record_visit(actor):
    household = Household.objects.filter(grid__code__startswith=LVDU_GRID1).first()
    visit = people.record_visit(actor=actor, household=household, notes="入户")
    return "people.visit.created", visit


def run_bulk_write_persons(actor):
    values = {"grid_id": grid1().pk, "name": "批量", "id_number": new_id(2)}
    result = people.bulk_write_persons(actor=actor, creates=[(values, [])])
    return "people.person.created", Person.objects.get(pk=result.ids[0])


def run_bulk_write_households(actor):
    people.bulk_write_households(actor=actor, creates=[{"grid": grid1()}])
    return "people.household.created", Household.objects.latest("id")


def run_bulk_write_visits(actor):
    household = Household.objects.filter(grid__code__startswith=LVDU_GRID1).first()
    visit = Visit(
        household=household, grid=household.grid, visitor=actor, visited_at=timezone.now()
    )
    people.bulk_write_visits(actor=actor, visits=[visit])
    return "people.visit.created", visit


def run_sign_in(actor):
    from django.test import RequestFactory

    actor.set_password("secret-42")
    actor.save()
    assert (
        accounts.sign_in(RequestFactory().post("/"), username=actor.username, password="secret-42")
        == actor
    )
    return "accounts.user.signed_in", actor


def run_issue_token(actor):
    _key, token = accounts.issue_token(user=actor)
    return "accounts.token.issued", token


def run_revoke_token(actor):
    _key, token = accounts.issue_token(user=actor)
    accounts.revoke_token(actor=actor, token=token)
    return "accounts.token.revoked", token


def run_create_user(actor):
    user = accounts.create_user(actor=actor, username="newcomer", display_name="新同事")
    return "accounts.user.created", user


def run_add_membership(actor):
    user = accounts.create_user(actor=actor, username="helper", display_name="志愿者")
    membership = accounts.add_membership(actor=actor, user=user, node=grid1(), role="volunteer")
    return "accounts.membership.added", membership


def run_end_membership(actor):
    membership = Membership.objects.get(user__username="gridworker_lvdu2")
    accounts.end_membership(actor=actor, membership=membership, reason="调岗")
    return "accounts.membership.ended", membership


def run_report(actor):
    point = shapely.geometry.shape(grid1().geometry).representative_point()
    case = cases.report(
        actor=actor,
        channel="phone",
        category=Category.objects.get(tree__is_current=True, code="MD05"),
        description="楼道杂物",
        lng=point.x,
        lat=point.y,
    )
    return "cases.case.reported", case


def run_act(actor):
    _action, case = run_report(actor)
    case = cases.act(actor=actor, case=case, action="comment", note="已电话联系")
    return "cases.case.comment", case


def run_reveal_reporter(actor):
    point = shapely.geometry.shape(grid1().geometry).representative_point()
    case = cases.report(
        actor=None,
        channel="web",
        category=Category.objects.get(code="MD05", tree__is_current=True),
        description="楼道杂物",
        lng=point.x,
        lat=point.y,
        reporter_phone="13900005678",
    )
    value = cases.reveal_reporter(actor=actor, case=case, purpose="回访：询问是否满意")
    assert value == "13900005678"
    return "cases.case.revealed", case


def run_rate_by_tracking_code(actor):
    _action, case = run_report(actor)
    worker = User.objects.get(username="gridworker_lvdu1")
    case = cases.act(actor=worker, case=case, action="finish", note="已处理")
    case = cases.act(actor=actor, case=case, action="verify")
    case = cases.rate_by_tracking_code(tracking_code=case.tracking_code, rating="satisfied")
    return "cases.case.rate", case


def run_sweep(actor):
    _action, case = run_report(actor)
    cases.sweep(now=case.stage_deadline + datetime.timedelta(minutes=1))
    return "cases.case.overdue_escalated", case


def run_create_open311_client(actor):
    client, _key = open311.create_open311_client(actor=actor, name="测试客户端")
    return "open311.open311client.created", client


def a_jpeg():
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "gray").save(out, "JPEG")
    out.seek(0)
    return out


def run_add_photo(actor):
    case = cases.report(
        actor=actor,
        channel="web",
        description="楼道灯不亮了",
        grid=grid1(),
        category=Category.objects.get(tree__is_current=True, code="BM03"),
    )
    with override_settings(MEDIA_ROOT=tempfile.mkdtemp()):
        photo = photos.add_photo(actor=actor, case=case, upload=a_jpeg())
    return "cases.photo.added", photo


def a_found_item(actor):
    return lostfound.record_found_item(
        actor=actor, what="钥匙两串", where="1号门", found_at=timezone.now(), grid=grid1()
    )


def run_record_found_item(actor):
    return "lostfound.founditem.recorded", a_found_item(actor)


def run_claim_item(actor):
    claim = lostfound.claim_item(
        actor=actor, item=a_found_item(actor), claimant_name="刘洋", claimant_phone="13903710005"
    )
    return "lostfound.claim.created", claim


def run_check_claim(actor):
    _action, claim = run_claim_item(actor)
    lostfound.check_claim(actor=actor, claim=claim, verified=True, note="特征相符")
    return "lostfound.claim.checked", claim


def run_hand_over(actor):
    _action, claim = run_check_claim(actor)
    lostfound.hand_over(actor=actor, claim=claim)
    return "lostfound.claim.handed_over", claim


def _dispute(actor):
    return fieldwork.create_dispute(
        actor=actor,
        grid=grid1(),
        kind=DisputeKind.objects.get(code="neighbour"),
        title="噪音纠纷",
        facts="楼上夜间噪音",
        parties=[
            fieldwork.PartySpec(role="applicant", person=a_person()),
            fieldwork.PartySpec(role="respondent", name="不登记", phone="13700003333"),
        ],
    )


def run_create_dispute(actor):
    return "fieldwork.dispute.created", _dispute(actor)


def run_record_session(actor):
    dispute = _dispute(actor)
    session = fieldwork.record_session(
        actor=actor, dispute=dispute, held_on=timezone.localdate(), record="双方到场"
    )
    return "fieldwork.mediationsession.created", session


def _agreed(actor):
    return fieldwork.record_outcome(
        actor=actor, dispute=_dispute(actor), outcome="agreed", terms="夜间不再装修"
    )


def run_record_outcome(actor):
    return "fieldwork.dispute.outcome", _agreed(actor)


def run_sign_agreement(actor):
    agreement = _agreed(actor).agreement
    fieldwork.sign_agreement(actor=actor, agreement=agreement, signed_on=timezone.localdate())
    return "fieldwork.agreement.signed", agreement


def run_print_agreement(actor):
    agreement = fieldwork.print_agreement(actor=actor, dispute=_agreed(actor))
    return "fieldwork.agreement.printed", agreement


def run_record_follow_up(actor):
    follow_up = fieldwork.record_follow_up(
        actor=actor,
        dispute=_agreed(actor),
        visited_on=timezone.localdate(),
        carried_out=True,
        satisfied=True,
        risk=False,
    )
    return "fieldwork.followup.created", follow_up


def run_close_dispute(actor):
    return "fieldwork.dispute.closed", fieldwork.close_dispute(actor=actor, dispute=_agreed(actor))


def run_set_visit_rule(actor):
    rule, _made = fieldwork.set_visit_rule(
        actor=actor,
        node=Node.objects.get(code=LVDU),
        tag=CareTag.objects.get(code="living_alone"),
        every_days=14,
        window_days=3,
    )
    return "fieldwork.visitrule.created", rule


def run_remove_visit_rule(actor):
    _action, rule = run_set_visit_rule(actor)
    pk = rule.pk
    fieldwork.remove_visit_rule(actor=actor, rule=rule)
    assert not VisitRule.objects.filter(pk=pk).exists()
    rule.pk = pk  # Django clears it on delete; the event names the rule as it was
    return "fieldwork.visitrule.deleted", rule


def a_campaign(actor):
    from wangge.fieldwork.models import Checklist

    return fieldwork.create_campaign(
        actor=actor,
        title="绿都社区矛盾纠纷排查",
        checklist=Checklist.objects.get(code="dispute-screening"),
        node=Node.objects.get(code=LVDU),
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
    )


def run_create_campaign(actor):
    return "fieldwork.campaign.created", a_campaign(actor)


def run_open_campaign(actor):
    return "fieldwork.campaign.opened", fieldwork.open_campaign(
        actor=actor, campaign=a_campaign(actor)
    )


def run_close_campaign(actor):
    campaign = fieldwork.open_campaign(actor=actor, campaign=a_campaign(actor))
    return "fieldwork.campaign.closed", fieldwork.close_campaign(actor=actor, campaign=campaign)


def run_set_team(actor):
    team = a_campaign(actor).teams.get(grid__code=LVDU_GRID1)
    worker = User.objects.get(username="gridworker_lvdu1")
    team = fieldwork.set_team(actor=actor, team=team, members=[worker], leader=worker)
    return "fieldwork.campaignteam.updated", team


def run_record_check(actor):
    campaign = fieldwork.open_campaign(actor=actor, campaign=a_campaign(actor))
    check = fieldwork.record_check(
        actor=actor,
        campaign=campaign,
        building=Building.objects.filter(grid__code__startswith=LVDU_GRID1).first(),
        answers={"neighbours": True, "family": False, "property": False, "wages": False},
    )
    assert check.cases.count() == 1
    return "fieldwork.check.created", check


def _errand_for(actor, helper: str | None = None):
    from wangge.fieldwork.models import ErrandKind

    person = (
        Person.objects.filter(grid__path__startswith=grid1().path, tag_links__isnull=False)
        .order_by("pk")
        .first()
    )
    errand, _made = fieldwork.raise_errand(
        actor=actor, person=person, kind=ErrandKind.objects.first(), description="代购"
    )
    if helper:
        errand = fieldwork.assign_errand(
            actor=actor, errand=errand, helper=User.objects.get(username=helper)
        )
    return errand


def _team_member(username="partymember_lvdu"):
    return Membership.objects.get(user__username=username, node__code=LVDU)


def run_raise_errand(actor):
    return "fieldwork.carerequest.created", _errand_for(actor)


def run_assign_errand(actor):
    return "fieldwork.carerequest.assigned", _errand_for(actor, "partymember_lvdu")


def run_accept_errand(actor):
    errand = _errand_for(actor, "partymember_lvdu")  # staff take the helper's word for it
    return "fieldwork.carerequest.accepted", fieldwork.accept_errand(actor=actor, errand=errand)


def run_record_errand_done(actor):
    errand = _errand_for(actor, "partymember_lvdu")
    errand = fieldwork.record_errand_done(actor=actor, errand=errand, minutes=30, note="已办")
    return "fieldwork.carerequest.done", errand


def run_rate_errand(actor):
    _action, errand = run_record_errand_done(actor)
    errand = fieldwork.rate_errand(actor=actor, errand=errand, rating=5, way="callback")
    return "fieldwork.carerequest.rated", errand


def run_cancel_errand(actor):
    errand = fieldwork.cancel_errand(actor=actor, errand=_errand_for(actor), reason="不需要了")
    return "fieldwork.carerequest.cancelled", errand


def run_assign_building(actor):
    building = Building.objects.filter(grid__path__startswith=grid1().path).order_by("-pk").first()
    duty = fieldwork.assign_building(actor=actor, membership=_team_member(), building=building)
    return "fieldwork.teamduty.created", duty


def run_unassign_building(actor):
    _action, duty = run_assign_building(actor)
    pk = duty.pk
    fieldwork.unassign_building(actor=actor, duty=duty)
    duty.pk = pk
    return "fieldwork.teamduty.deleted", duty


def run_set_team_contact(actor):
    contact = fieldwork.set_team_contact(
        actor=actor, membership=_team_member(), phone="13912345678"
    )
    return "fieldwork.teamcontact.updated", contact


def run_add_team_member(actor):
    membership = fieldwork.add_team_member(
        actor=actor,
        node=Node.objects.get(code=LVDU),
        role="volunteer",
        username="audit_volunteer",
        display_name="志愿者 审计",
    )
    return "accounts.membership.added", membership


def a_patrol(actor, **extra):
    leader = User.objects.get(username="gridworker_lvdu1")
    return fieldwork.create_patrol(actor=actor, grid=grid1(), leader=leader, **extra)


def run_create_patrol(actor):
    return "fieldwork.patrol.created", a_patrol(actor)


def run_start_patrol(actor):
    now = timezone.now()
    patrol = a_patrol(
        actor,
        start=False,
        planned_start=now,
        planned_end=now + datetime.timedelta(hours=2),
    )
    return "fieldwork.patrol.started", fieldwork.start_patrol(actor=actor, patrol=patrol)


def run_record_trace(actor):
    building = Building.objects.filter(grid__code__startswith=LVDU_GRID1).first()
    points = [{"t": timezone.now(), "lng": building.lng, "lat": building.lat}]
    patrol, _added = fieldwork.record_trace(
        actor=actor, patrol=a_patrol(actor), batch="audit-1", points=points
    )
    return "fieldwork.patrol.traced", patrol


def run_record_finding(actor):
    finding = fieldwork.record_finding(
        actor=actor,
        patrol=a_patrol(actor),
        category=Category.objects.get(tree__is_current=True, code="BJ04"),
        description="树枝垂到人行道上",
    )
    return "fieldwork.patrolfinding.created", finding


def run_scan_checkpoint(actor):
    _action, checkpoint = run_create_checkpoint(actor)
    scan = fieldwork.scan_checkpoint(actor=actor, patrol=a_patrol(actor), checkpoint=checkpoint)
    return "fieldwork.checkpointscan.created", scan


def run_finish_patrol(actor):
    return "fieldwork.patrol.finished", fieldwork.finish_patrol(actor=actor, patrol=a_patrol(actor))


def run_cancel_patrol(actor):
    return "fieldwork.patrol.cancelled", fieldwork.cancel_patrol(
        actor=actor, patrol=a_patrol(actor), reason="下雨"
    )


def run_create_checkpoint(actor):
    checkpoint = fieldwork.create_checkpoint(actor=actor, grid=grid1(), name="北门")
    return "fieldwork.checkpoint.created", checkpoint


def run_retire_checkpoint(actor):
    _action, checkpoint = run_create_checkpoint(actor)
    retired = fieldwork.retire_checkpoint(actor=actor, checkpoint=checkpoint)
    return "fieldwork.checkpoint.retired", retired


def run_notice_from_found_item(actor):
    notice = lostfound.notice_from_found_item(actor=actor, item=a_found_item(actor))
    return "notices.notice.published", notice


def a_notice(actor, *places, **options):
    return notices.create_notice(
        actor=actor,
        kind=NoticeKind.objects.get(code="convenience"),
        title="供暖报修",
        body="暖气不热请拨打报修电话。",
        nodes=list(places or [grid1()]),
        **options,
    )


def run_create_notice(actor):
    return "notices.notice.created", a_notice(actor)


def run_update_notice(actor):
    notice = notices.update_notice(actor=actor, notice=a_notice(actor), title="供暖报修电话")
    return "notices.notice.updated", notice


def run_publish_notice(actor):
    return "notices.notice.published", notices.publish_notice(actor=actor, notice=a_notice(actor))


def a_pending_notice():
    street = User.objects.get(username="street_zyxl")
    notice = a_notice(street, Node.objects.get(code="410102010"))
    return notices.publish_notice(actor=street, notice=notice)


def run_approve_notice(actor):
    notice = notices.approve_notice(actor=actor, notice=a_pending_notice())
    return "notices.notice.approved", notice


def run_reject_notice(actor):
    notice = notices.reject_notice(actor=actor, notice=a_pending_notice(), note="补充时间")
    return "notices.notice.rejected", notice


def run_withdraw_notice(actor):
    _action, notice = run_publish_notice(actor)
    return "notices.notice.withdrawn", notices.withdraw_notice(actor=actor, notice=notice)


def run_add_notice_file(actor):
    upload = io.BytesIO(b"%PDF-1.4 schedule")
    upload.name = "schedule.pdf"
    upload.size = len(upload.getvalue())
    with override_settings(MEDIA_ROOT=tempfile.mkdtemp()):
        added = notices.add_notice_file(actor=actor, notice=a_notice(actor), upload=upload)
    return "notices.noticefile.added", added


def run_create_robot(actor):
    robot = notices.create_robot(actor=actor, grid=grid1(), name="新群", key="audit-robot-key-1")
    return "notices.robot.created", robot


def run_update_robot(actor):
    _action, robot = run_create_robot(actor)
    return "notices.robot.updated", notices.update_robot(actor=actor, robot=robot, name="改名")


def run_follow(actor):
    return "notices.follow.created", notices.follow(actor=actor, grid=grid1(), phone="13900001234")


def run_unfollow(actor):
    _action, followed = run_confirm_follow(actor)
    return "notices.follow.ended", notices.unfollow(actor=actor, follow=followed)


def run_confirm_follow(actor):
    from wangge.notices.tests.follows import code_sent_to

    _action, followed = run_follow(actor)
    code = code_sent_to(followed)
    return "notices.follow.confirmed", notices.confirm_follow(
        actor=actor, follow=followed, code=code
    )


def run_rewrite_notice(actor):
    notice = notices.publish_notice(actor=actor, notice=a_notice(actor))
    notice = notices.rewrite_notice(
        actor=actor, notice=notice, title="供暖已恢复", body="暖气已恢复。", settled=True
    )
    return "notices.notice.rewritten", notice


def run_update_found_item(actor):
    item = lostfound.update_found_item(
        actor=actor, item=a_found_item(actor), kept_at="社区党群服务中心"
    )
    return "lostfound.founditem.updated", item


def run_read_notification(actor):
    from wangge.core.models import Notification

    note = Notification.objects.create(user=actor, text="案件已超时")
    return "core.notification.read", core.read_notification(actor=actor, notification=note)


def run_save_view(actor):
    view = saved.save_view(actor=actor, page="cases", name="我的超时", query="mark=red&page=2")
    return "core.view.saved", view


def run_delete_view(actor):
    _action, view = run_save_view(actor)
    pk = view.pk
    saved.delete_view(actor=actor, view=view)
    view.pk = pk
    return "core.view.deleted", view


def run_set_photo_public(actor):
    _action, photo = run_add_photo(actor)
    with override_settings(MEDIA_ROOT=tempfile.mkdtemp()):
        photo = photos.set_photo_public(actor=actor, photo=photo, public=not photo.public)
    return ("cases.photo.shown" if photo.public else "cases.photo.hidden"), photo


CASES = {
    "core": {"read_notification": run_read_notification},
    "core.saved": {"save_view": run_save_view, "delete_view": run_delete_view},
    "cases.photos": {"add_photo": run_add_photo, "set_photo_public": run_set_photo_public},
    "lostfound": {
        "record_found_item": run_record_found_item,
        "claim_item": run_claim_item,
        "check_claim": run_check_claim,
        "hand_over": run_hand_over,
        "notice_from_found_item": run_notice_from_found_item,
        "update_found_item": run_update_found_item,
    },
    "notices": {
        "create_notice": run_create_notice,
        "update_notice": run_update_notice,
        "publish_notice": run_publish_notice,
        "approve_notice": run_approve_notice,
        "reject_notice": run_reject_notice,
        "withdraw_notice": run_withdraw_notice,
        "add_notice_file": run_add_notice_file,
        "create_robot": run_create_robot,
        "update_robot": run_update_robot,
        "follow": run_follow,
        "confirm_follow": run_confirm_follow,
        "unfollow": run_unfollow,
        "rewrite_notice": run_rewrite_notice,
    },
    "cases": {
        "report": run_report,
        "act": run_act,
        "rate_by_tracking_code": run_rate_by_tracking_code,
        "reveal_reporter": run_reveal_reporter,
        "sweep": run_sweep,
    },
    "open311": {"create_open311_client": run_create_open311_client},
    "fieldwork": {
        "set_visit_rule": run_set_visit_rule,
        "remove_visit_rule": run_remove_visit_rule,
        "create_campaign": run_create_campaign,
        "open_campaign": run_open_campaign,
        "close_campaign": run_close_campaign,
        "set_team": run_set_team,
        "record_check": run_record_check,
        "raise_errand": run_raise_errand,
        "assign_errand": run_assign_errand,
        "accept_errand": run_accept_errand,
        "record_errand_done": run_record_errand_done,
        "rate_errand": run_rate_errand,
        "cancel_errand": run_cancel_errand,
        "assign_building": run_assign_building,
        "unassign_building": run_unassign_building,
        "set_team_contact": run_set_team_contact,
        "add_team_member": run_add_team_member,
        "create_dispute": run_create_dispute,
        "record_session": run_record_session,
        "record_outcome": run_record_outcome,
        "sign_agreement": run_sign_agreement,
        "print_agreement": run_print_agreement,
        "record_follow_up": run_record_follow_up,
        "close_dispute": run_close_dispute,
        "create_patrol": run_create_patrol,
        "start_patrol": run_start_patrol,
        "record_trace": run_record_trace,
        "record_finding": run_record_finding,
        "scan_checkpoint": run_scan_checkpoint,
        "finish_patrol": run_finish_patrol,
        "cancel_patrol": run_cancel_patrol,
        "create_checkpoint": run_create_checkpoint,
        "retire_checkpoint": run_retire_checkpoint,
    },
    "territory": {
        "create_node": run_create_node,
        "update_node": run_update_node,
        "import_grids": run_import_grids,
        "create_building": run_create_building,
        "update_building": run_update_building,
        "reassign_buildings": run_reassign_buildings,
    },
    "people": {
        "create_household": run_create_household,
        "update_household": run_update_household,
        "move_residents": run_move_residents,
        "create_person": run_create_person,
        "update_person": run_update_person,
        "set_care_tags": run_set_care_tags,
        "reveal": run_reveal,
        "record_visit": run_record_visit,
        "bulk_write_persons": run_bulk_write_persons,
        "bulk_write_households": run_bulk_write_households,
        "bulk_write_visits": run_bulk_write_visits,
    },
    "accounts": {
        "sign_in": run_sign_in,
        "issue_token": run_issue_token,
        "revoke_token": run_revoke_token,
        "create_user": run_create_user,
        "add_membership": run_add_membership,
        "end_membership": run_end_membership,
    },
}
# Done for a resident (by tracking code) or by the worker's sweep: no user acts.
BY_THE_SYSTEM = {"rate_by_tracking_code", "sweep"}
MODULES = {
    "territory": territory,
    "people": people,
    "accounts": accounts,
    "core": core,
    "core.saved": saved,
    "cases": cases,
    "cases.photos": photos,
    "lostfound": lostfound,
    "fieldwork": fieldwork,
    "open311": open311,
    "notices": notices,
}


@pytest.mark.parametrize(
    ("app", "name"), [(app, name) for app, cases in CASES.items() for name in cases]
)
def test_service_writes_its_audit_event(app, name):
    actor = User.objects.get(username="district")
    token = request_id_var.set(f"req-{name}")
    try:
        since = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
        action, target = CASES[app][name](actor)
    finally:
        request_id_var.reset(token)
    event = (
        AuditEvent.objects.filter(id__gt=since, action=action, target_id=str(target.pk))
        .order_by("-id")
        .first()
    )
    assert event is not None, f"{name} wrote no {action} event"
    if name in BY_THE_SYSTEM:
        assert event.actor is None and event.actor_name.startswith("system")
    else:
        assert event.actor == actor and event.actor_name.endswith("(district)")
    assert event.request_id == f"req-{name}"
    assert event.target_type == f"{target._meta.app_label}.{target._meta.model_name}"


def test_every_public_service_function_is_covered():
    for app, module in MODULES.items():
        # A package's services are the names it offers from its own modules.
        public = {
            name
            for name, value in inspect.getmembers(module, inspect.isfunction)
            if (value.__module__ + ".").startswith(module.__name__ + ".")
            and not name.startswith("_")
        }
        listed = set(CASES.get(app, {})) | NOT_WRITES[app]
        assert public == listed, f"{app}: unlisted {public - listed}, stale {listed - public}"


def test_no_change_survives_when_its_audit_event_cannot_be_written():
    actor = User.objects.get(username="district")
    before = Person.objects.count()
    failing_save = mock.patch.object(AuditEvent, "save", side_effect=RuntimeError("disk full"))
    with failing_save, pytest.raises(RuntimeError):
        people.create_person(actor=actor, name="不应留下", grid=grid1(), id_number=new_id(3))
    assert Person.objects.count() == before
    failing_bulk = mock.patch(
        "wangge.core.audit.record_many", side_effect=RuntimeError("disk full")
    )
    with failing_bulk, pytest.raises(RuntimeError), transaction.atomic():
        people.bulk_write_persons(
            actor=actor, creates=[({"grid_id": grid1().pk, "name": "也不应留下"}, [])]
        )
    assert Person.objects.count() == before


def test_audit_snapshots_never_hold_full_numbers():
    actor = User.objects.get(username="district")
    person = people.create_person(
        actor=actor, name="保密", grid=grid1(), id_number=new_id(4), phone="13700001111"
    )
    people.update_person(actor=actor, person=person, phone="13700002222")
    for event in AuditEvent.objects.filter(target_type="people.person", target_id=str(person.pk)):
        text = str(event.before) + str(event.after)
        assert new_id(4) not in text and "13700001111" not in text and "13700002222" not in text
    updated = AuditEvent.objects.get(action="people.person.updated", target_id=str(person.pk))
    assert updated.before == {"phone": "137****1111"} and updated.after == {"phone": "137****2222"}


WRITING_METHODS = {"save", "delete", "create", "update", "bulk_create", "bulk_update"}
WRITING_METHODS |= {"get_or_create", "update_or_create"}


def _writes_in(path) -> list[str]:
    """The lines of ``path`` that write a model or an audit event themselves: ``audit.…``,
    ``obj.save()``/``.delete()``, ``Model.objects.create/update…`` (a dict's ``update`` or a
    router's ``delete`` is no write)."""
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "audit"
        ):
            found.append(f"{path.name}:{node.lineno} audit.{node.attr}")
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method, receiver = node.func.attr, ast.unparse(node.func.value)
        saves = method in {"save", "delete"} and not receiver.endswith("router")
        if saves or (method in WRITING_METHODS and ".objects" in receiver):
            found.append(f"{path.name}:{node.lineno} {receiver}.{method}()")
    return found


def test_api_modules_leave_writes_and_audit_to_the_services():
    """The API reads through ``restrict`` and writes through a service: no API module saves
    a model or records an audit event itself."""
    from pathlib import Path

    import wangge

    root = Path(wangge.__file__).parent
    modules = [*root.glob("*/api.py"), *root.glob("*/*_api.py")]
    assert len(modules) >= 8
    found = [line for path in sorted(modules) for line in _writes_in(path)]
    assert found == []
