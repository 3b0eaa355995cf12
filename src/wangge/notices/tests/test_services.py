"""S1 through the services: notices written, approved where they reach a street,
published into the outbox, on the grids' pages; who may target, see and approve what."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from wangge.accounts import services as accounts
from wangge.cases import services as cases
from wangge.cases.models import Case, Category
from wangge.core.errors import Http404, ValidationError
from wangge.core.models import AuditEvent
from wangge.demo.district import GUANLAN, GUANLAN_GRID1, LVDU, LVDU_GRID1, LVDU_GRID2
from wangge.notices import loop, outbox, services
from wangge.notices.choices import Channel, DeliveryState, NoticeState
from wangge.notices.models import Delivery, Follow, Notice, NoticeKind, NoticeTemplate, Robot
from wangge.notices.tests.follows import code_sent_to, confirmed_follow
from wangge.people.choices import PersonStatus
from wangge.people.models import CareTag, Person

pytestmark = pytest.mark.django_db

STREET = "410102010"  # 中原西路街道: 绿都社区 and 万达社区 lie in it
WANDA = "410102010007"


def kind(code="convenience"):
    return NoticeKind.objects.get(code=code)


def write(actor, *places, **options):
    options.setdefault("kind", kind())
    options.setdefault("title", "社区停车位调整")
    options.setdefault("body", "下周起东门停车位调整为临时停车区。")
    return services.create_notice(actor=actor, nodes=list(places), **options)


def test_a_community_notice_goes_out_at_once_to_every_grid_robot(user_named, node):
    lvdu = user_named("community_lvdu")
    notice = write(lvdu, node(LVDU))
    assert notice.state == NoticeState.DRAFT and not notice.needs_approval
    assert notice.node == node(LVDU)
    published = services.publish_notice(actor=lvdu, notice=notice)
    assert published.state == NoticeState.PUBLISHED and published.publish_at is not None
    robots = Robot.objects.filter(grid__parent__code=LVDU, is_active=True)
    assert robots.count() == 6
    deliveries = Delivery.objects.filter(notice=notice)
    robot_ids = set(robots.values_list("pk", flat=True))
    assert set(deliveries.values_list("robot", flat=True)) == robot_ids
    assert set(deliveries.values_list("channel", flat=True)) == {Channel.WECOM}
    assert all(d.state == DeliveryState.PENDING for d in deliveries)
    assert AuditEvent.objects.filter(
        action="notices.notice.published", target_id=str(notice.pk), actor=lvdu
    ).exists()
    with pytest.raises(services.Refused):
        services.publish_notice(actor=lvdu, notice=notice)  # once


def test_a_street_wide_notice_waits_for_approval_at_the_street_or_above(user_named, node):
    street = user_named("street_zyxl")
    notice = write(street, node(LVDU), node(WANDA))  # two communities: the street's notice
    assert notice.node == node(STREET) and notice.needs_approval
    pending = services.publish_notice(actor=street, notice=notice)
    assert pending.state == NoticeState.PENDING
    assert not Delivery.objects.filter(notice=notice).exists()  # nothing goes out yet
    with pytest.raises(services.Refused):
        services.approve_notice(actor=street, notice=notice)  # not by its author
    with pytest.raises(services.Refused, match="中原西路街道"):
        # 绿都社区 sees the notice (it is for them too) but cannot approve the street's.
        services.approve_notice(actor=user_named("community_lvdu"), notice=notice)
    with pytest.raises(Http404):
        services.approve_notice(actor=user_named("gridworker_guanlan1"), notice=notice)
    approved = services.approve_notice(actor=user_named("district"), notice=notice, note="同意")
    assert approved.state == NoticeState.PUBLISHED
    assert approved.approved_by == user_named("district") and approved.review_note == "同意"
    grids = set(Delivery.objects.filter(notice=notice).values_list("node__parent__code", flat=True))
    assert grids == {LVDU}  # only 绿都社区's grids have robots
    assert AuditEvent.objects.filter(
        action="notices.notice.approved", target_id=str(notice.pk)
    ).exists()


def test_an_approver_may_send_a_notice_back(user_named, node):
    street = user_named("street_zyxl")
    notice = services.publish_notice(actor=street, notice=write(street, node(STREET)))
    with pytest.raises(ValidationError):
        services.reject_notice(actor=user_named("district"), notice=notice, note="")
    back = services.reject_notice(actor=user_named("district"), notice=notice, note="补充时间")
    assert back.state == NoticeState.DRAFT and back.review_note == "补充时间"
    changed = services.update_notice(actor=street, notice=back, body="周三9点起停水。")
    assert changed.body == "周三9点起停水。"


def test_a_community_cannot_target_or_read_another_community(user_named, node):
    lvdu = user_named("community_lvdu")
    with pytest.raises(ValidationError) as refused:
        write(lvdu, node(GUANLAN))
    assert "观澜社区" in refused.value.message_dict["nodes"][0]
    with pytest.raises(ValidationError) as refused:
        write(lvdu, node(STREET))  # the street above: seen, but not the community's to send
    assert "nodes" in refused.value.message_dict
    theirs = write(user_named("district"), node(GUANLAN_GRID1))
    mine = write(lvdu, node(LVDU_GRID1))
    seen = Notice.objects.restrict(lvdu, "view")
    assert mine in seen and theirs not in seen
    guanlan_robot = services.create_robot(
        actor=None, grid=node(GUANLAN_GRID1), name="观澜1群", key="guanlan-robot-key-0001"
    )
    robots = Robot.objects.restrict(lvdu, "view")
    assert guanlan_robot not in robots and robots.count() == 6
    with pytest.raises(Http404):
        services.create_robot(actor=lvdu, grid=node(GUANLAN_GRID1), name="x", key="k" * 20)


def test_a_grid_leader_of_several_grids_sees_a_notice_to_two_of_them(user_named, node):
    leader = user_named("gridleader_lvdu")
    notice = write(leader, node(LVDU_GRID1), node(LVDU_GRID2))
    assert notice.node == node(LVDU)  # lies in the community, which the leader does not hold
    assert notice in Notice.objects.restrict(leader, "view")
    assert services.publish_notice(actor=leader, notice=notice).state == NoticeState.PUBLISHED
    worker2 = user_named("gridworker_lvdu2")
    assert notice in Notice.objects.restrict(worker2, "view")  # it is for grid 2 too
    grid1_only = write(user_named("gridworker_lvdu1"), node(LVDU_GRID1))
    assert grid1_only not in Notice.objects.restrict(worker2, "view")
    assert not Notice.objects.restrict(user_named("partymember_lvdu"), "view").exists()


def test_a_retry_with_the_same_key_creates_one_notice(user_named, node):
    lvdu = user_named("community_lvdu")
    first = write(lvdu, node(LVDU_GRID1), idempotency_key="phone-retry-1")
    again = write(lvdu, node(LVDU_GRID1), title="改了标题", idempotency_key="phone-retry-1")
    assert again.pk == first.pk and again.title == first.title
    assert Notice.objects.filter(created_by=lvdu, title="社区停车位调整").count() == 1


def test_bad_notices_are_refused_naming_the_field(user_named, node):
    lvdu = user_named("community_lvdu")
    cases_ = [
        ({"title": ""}, "title"),
        ({"body": "长" * 5001}, "body"),
        ({"kind": None}, "kind"),
        ({"to_web": False, "to_wecom": False}, "to_web"),
        ({"to_email": True}, "roles"),
        ({"roles": ["mayor"]}, "roles"),
        ({"wecom_format": "image"}, "wecom_format"),
        ({"expires_at": timezone.now() - datetime.timedelta(hours=1)}, "expires_at"),
    ]
    for options, field in cases_:
        with pytest.raises(ValidationError) as refused:
            write(lvdu, node(LVDU_GRID1), **options)
        assert field in refused.value.message_dict, options
    with pytest.raises(ValidationError) as refused:
        services.create_notice(actor=lvdu, kind=kind(), title="t", body="b")
    assert "nodes" in refused.value.message_dict


def test_a_template_gives_kind_and_words(user_named, node):
    template = NoticeTemplate.objects.get(name="停水通知")
    notice = services.create_notice(
        actor=user_named("gridworker_lvdu1"), template=template, nodes=[node(LVDU_GRID1)]
    )
    assert notice.kind.code == "outage" and notice.title == "停水通知"
    assert notice.body.startswith("尊敬的居民朋友")


def test_sms_goes_to_residents_with_a_phone_once_each_and_to_followers(user_named, node):
    lvdu = user_named("community_lvdu")
    grid = node(LVDU_GRID2)
    follower = confirmed_follow(grid=grid, phone="13912345678")
    by_mail = confirmed_follow(grid=grid, email="Resident@Example.cn")
    notice = write(lvdu, grid, to_sms=True, to_wecom=False)
    services.publish_notice(actor=lvdu, notice=notice)
    living = Person.objects.filter(
        grid__path__startswith=grid.path, status=PersonStatus.ACTIVE
    ).exclude(phone_hash="")
    phones = set(living.values_list("phone_hash", flat=True))
    sms = Delivery.objects.filter(notice=notice, channel=Channel.SMS)
    assert sms.filter(person__isnull=False).count() == len(phones)
    assert sms.filter(follow=follower).count() == 1
    assert Delivery.objects.get(notice=notice, channel=Channel.EMAIL).follow == by_mail
    text = sms.first().payload["text"]
    assert "社区停车位调整" in text and services.notice_url(notice) in text
    assert not any(phone in str(sms.values_list("payload", flat=True)) for phone in ["1391234"])


def test_care_tags_narrow_the_residents_by_sms(user_named, node):
    lvdu = user_named("community_lvdu")
    alone = CareTag.objects.get(code="living_alone")
    notice = write(lvdu, node(LVDU), to_sms=True, to_wecom=False, care_tags=[alone])
    services.publish_notice(actor=lvdu, notice=notice)
    people = Person.objects.filter(pk__in=Delivery.objects.filter(notice=notice).values("person"))
    assert people.exists()
    assert all(person.care_tags.filter(pk=alone.pk).exists() for person in people)


def test_staff_roles_get_it_by_email(user_named, node):
    worker = user_named("gridworker_lvdu1")
    worker.email = "sunli@example.cn"
    worker.save()
    lvdu = user_named("community_lvdu")
    notice = write(lvdu, node(LVDU), to_email=True, roles=["grid_worker"], to_wecom=False)
    services.publish_notice(actor=lvdu, notice=notice)
    (email,) = Delivery.objects.filter(notice=notice, channel=Channel.EMAIL)
    assert email.user == worker
    claimed = outbox.claim(owner="test")
    outbox.send(claimed)
    (message,) = mail.outbox
    assert message.to == ["sunli@example.cn"] and "社区停车位调整" in message.subject
    assert message.extra_headers["Message-ID"] == f"<wangge.delivery.{email.pk}@wangge.local>"


def test_the_grid_feed_holds_what_is_out_for_it_or_above(user_named, node):
    lvdu, district = user_named("community_lvdu"), user_named("district")
    grid1 = node(LVDU_GRID1)

    def out(actor, *places, **options):
        return services.publish_notice(actor=actor, notice=write(actor, *places, **options))

    community = out(lvdu, node(LVDU))
    own = out(lvdu, grid1)
    district_wide = write(district, node("410102"))
    services.publish_notice(actor=district, notice=district_wide)
    with pytest.raises(Http404):  # a street neither sees nor approves the district's notice
        services.approve_notice(actor=user_named("street_zyxl"), notice=district_wide)
    deputy = accounts.create_user(actor=None, username="district_deputy")
    accounts.add_membership(actor=None, user=deputy, node=node("410102"), role="district_admin")
    district_wide = services.approve_notice(actor=deputy, notice=district_wide)
    later = out(lvdu, grid1, publish_at=timezone.now() + datetime.timedelta(days=1))
    expiring = out(lvdu, grid1, expires_at=timezone.now() + datetime.timedelta(minutes=5))
    next_door = out(lvdu, node(LVDU_GRID2))
    robots_only = out(lvdu, grid1, to_web=False)
    draft = write(lvdu, grid1)
    withdrawn = services.withdraw_notice(actor=lvdu, notice=out(lvdu, grid1))
    feed = list(services.notices_for_grid(grid1))
    assert {community, own, district_wide, expiring} <= set(feed)
    assert not {later, next_door, robots_only, draft, withdrawn} & set(feed)
    assert feed.index(expiring) < feed.index(community)  # newest first
    in_an_hour = timezone.now() + datetime.timedelta(hours=1)
    feed_later = list(services.notices_for_grid(grid1, now=in_an_hour + datetime.timedelta(days=1)))
    assert later in feed_later and expiring not in feed_later


def test_withdrawing_stops_what_is_not_sent(user_named, node):
    lvdu = user_named("community_lvdu")
    notice = services.publish_notice(actor=lvdu, notice=write(lvdu, node(LVDU)))
    services.withdraw_notice(actor=lvdu, notice=notice, note="时间有误")
    states = set(Delivery.objects.filter(notice=notice).values_list("state", flat=True))
    assert states == {DeliveryState.DEAD}


def test_the_delivery_report_counts_by_channel_and_grid(user_named, node):
    lvdu = user_named("community_lvdu")
    notice = write(lvdu, node(LVDU_GRID1), node(LVDU_GRID2), to_sms=True)
    services.publish_notice(actor=lvdu, notice=notice)
    wecom = Delivery.objects.filter(notice=notice, channel=Channel.WECOM)
    wecom.filter(node__code=LVDU_GRID1).update(state=DeliveryState.SENT)
    wecom.filter(node__code=LVDU_GRID2).update(state=DeliveryState.DEAD)
    report = services.delivery_report(notice)
    total = Delivery.objects.filter(notice=notice).count()
    assert sum(report["total"].values()) == total
    channels = {row["channel"]: row for row in report["by_channel"]}
    assert channels["wecom"]["sent"] == 1 and channels["wecom"]["dead"] == 1
    assert channels["sms"]["pending"] == report["total"]["pending"]
    grids = {row["code"]: row for row in report["by_grid"]}
    assert {LVDU_GRID1, LVDU_GRID2} <= set(grids)  # and their micro-grids, for residents
    assert all(code.startswith((LVDU_GRID1, LVDU_GRID2)) for code in grids)
    assert grids[LVDU_GRID1]["sent"] == 1 and grids[LVDU_GRID2]["dead"] == 1
    assert report["possibly_repeated"] == 0


# --- Robots and follows --------------------------------------------------------------------------


def test_a_robot_key_is_kept_encrypted_and_never_shown(user_named, node):
    from django.db import connection

    lvdu = user_named("community_lvdu")
    address = (
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
    )
    robot = services.create_robot(actor=lvdu, grid=node(LVDU_GRID1), name="新群", key=address)
    assert robot.key == "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
    assert robot.key_masked == "****5aaa"
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM notices_robot WHERE id = %s", [robot.pk])
        (stored,) = cursor.fetchone()
    assert "693a91f6" not in stored
    event = AuditEvent.objects.get(action="notices.robot.created", target_id=str(robot.pk))
    assert "693a91f6" not in str(event.after)
    with pytest.raises(ValidationError) as refused:
        services.create_robot(actor=lvdu, grid=node(LVDU_GRID2), name="又一个", key=address)
    assert "key" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.create_robot(actor=lvdu, grid=node(LVDU), name="社区群", key="x" * 20)
    stopped = services.update_robot(actor=lvdu, robot=robot, is_active=False)
    assert not stopped.is_active


def test_following_twice_is_one_follow_and_unfollowing_stops_it(node):
    grid = node(LVDU_GRID1)
    first = services.follow(actor=None, grid=grid, phone="139 1234 5678")
    assert services.follow(actor=None, grid=grid, phone="13912345678") == first
    assert services.find_follow(grid=grid, phone="13912345678") is None  # not confirmed yet
    services.confirm_follow(actor=None, follow=first, code=code_sent_to(first))
    assert services.find_follow(grid=grid, phone="13912345678") == first
    with pytest.raises(ValidationError):
        services.follow(actor=None, grid=grid, phone="12345")
    with pytest.raises(ValidationError):
        services.follow(actor=None, grid=grid)
    ended = services.unfollow(actor=None, follow=first)
    assert not ended.is_active and services.find_follow(grid=grid, phone="13912345678") is None
    event = AuditEvent.objects.get(action="notices.follow.created", target_id=str(first.pk))
    assert "13912345678" not in str(event.after)


# --- Messages from the loop -----------------------------------------------------------------------


def _report(actor, node, **options):
    """A case entered by staff: accepted and dispatched to grid 1's worker at once."""
    return cases.report(
        actor=actor,
        channel="phone",
        category=Category.objects.get(tree__is_current=True, code="MD05"),
        description="楼道灯坏了，晚上看不见。",
        grid=node(LVDU_GRID1),
        **options,
    )


def test_the_reporter_hears_of_acceptance_by_sms_in_the_same_transaction(user_named, node):
    case = _report(user_named("community_lvdu"), node, reporter_phone="13800138000")
    sms = Delivery.objects.filter(case=case, channel=Channel.SMS)
    assert sms.count() == 1  # accepted (the dispatch that follows sends nothing)
    text = sms.get().payload["text"]
    assert case.number in text and f"/t/{case.tracking_code}/" in text and "13800138000" not in text
    quiet = _report(user_named("community_lvdu"), node)
    assert not Delivery.objects.filter(case=quiet).exists()  # no phone, no message


def test_a_follower_by_email_hears_too_and_old_changes_are_no_news(user_named, node):
    lvdu = user_named("community_lvdu")
    resident = user_named("district")  # any reporter with access; the resident's page sends none
    case = _report(resident, node, reporter_phone="13800138001")
    confirmed_follow(case=case, email="neighbour@example.cn")
    cases.act(actor=lvdu, case=case, action="finish", note="已更换灯泡。")
    done = Delivery.objects.filter(case=case, channel=Channel.EMAIL)
    assert done.count() == 1
    before = Delivery.objects.count()
    old = Case.objects.get(pk=case.pk)
    cases.act(
        actor=lvdu,
        case=old,
        action="verify",
        at=timezone.now() - datetime.timedelta(days=3),
    )
    assert Delivery.objects.count() == before


def test_a_late_case_reminds_who_it_waits_on_once_a_day(user_named, node):
    worker = user_named("gridworker_lvdu1")
    worker.email = "sunli@example.cn"
    worker.save()
    case = _report(user_named("community_lvdu"), node)
    case.tasks.update(assignee=worker)
    Case.objects.filter(pk=case.pk).update(mark="red")
    first = loop.remind_late_cases()
    assert first >= 1
    assert loop.remind_late_cases() == 0  # the same day: nothing more
    reminder = Delivery.objects.get(case=case, user=worker)
    assert reminder.channel == Channel.EMAIL and case.number in reminder.subject
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    assert loop.remind_late_cases(now=tomorrow) >= 1
    assert Delivery.objects.filter(case=case, user=worker).count() == 2


def test_the_follow_rows_are_scoped_to_their_grid(user_named, node):
    services.follow(actor=None, grid=node(LVDU_GRID2), phone="13912340000")
    seen = Follow.objects.restrict(user_named("gridworker_lvdu1"), "view")
    assert not seen.filter(grid=node(LVDU_GRID2)).exists()


def test_images_lose_their_metadata_and_attachments_are_kept(user_named, node):
    import io

    from PIL import Image

    lvdu = user_named("community_lvdu")
    notice = write(lvdu, node(LVDU_GRID1))
    picture = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(picture, "JPEG")
    picture.name = "海报.jpg"
    image = services.add_notice_file(actor=lvdu, notice=notice, upload=picture)
    assert image.is_image and image.content_type == "image/jpeg" and image.file.size > 0
    pdf = io.BytesIO(b"%PDF-1.4 timetable")
    pdf.name = "停水时间表.pdf"
    attachment = services.add_notice_file(actor=lvdu, notice=notice, upload=pdf)
    assert not attachment.is_image and attachment.file.read() == b"%PDF-1.4 timetable"
    assert attachment.name == "停水时间表.pdf"
    script = io.BytesIO(b"#!/bin/sh")
    script.name = "run.sh"
    with pytest.raises(ValidationError) as refused:
        services.add_notice_file(actor=lvdu, notice=notice, upload=script)
    assert "file" in refused.value.message_dict
    with pytest.raises(Http404):
        services.add_notice_file(actor=user_named("gridworker_guanlan1"), notice=notice, upload=pdf)
    services.publish_notice(actor=lvdu, notice=notice)
    with pytest.raises(services.Refused):
        services.add_notice_file(actor=lvdu, notice=notice, upload=pdf)
