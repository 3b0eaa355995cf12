"""S1 and S4 through the pages, the outbox drained against fake services on loopback.

S1: 绿都社区 pushes a notice to grid 1's feed, its WeCom group and its residents' phones, and
reads the delivery report. S4: the keys found at the Wanda plaza reach three channels — the
grid's page, the grid's WeCom group and the residents who follow the grid by SMS."""

import datetime
import re

import pytest
from django.utils import timezone

from wangge.cases import lostfound
from wangge.cases.models import FoundItem
from wangge.demo.district import LVDU_GRID1
from wangge.notices import outbox
from wangge.notices.choices import Channel, DeliveryState, NoticeState
from wangge.notices.models import Delivery, Notice, Robot
from wangge.notices.tests.follows import follow_by_page
from wangge.people.models import Person
from wangge.territory.models import Node

pytestmark = pytest.mark.django_db

WANDA_PLAZA = "410102010007007"  # 万达广场专属网格


def drain():
    while outbox.drain(owner="test"):
        pass


def report_row(page: str, attribute: str, value: str) -> list[int]:
    """The counts of one row of the delivery report: sent, recorded but not sent (no SMS
    gateway), waiting, sending, failed, given up."""
    row = re.search(rf'<tr {attribute}="{re.escape(value)}">(.*?)</tr>', page, re.S)
    assert row, f"no report row {attribute}={value}"
    return [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', row.group(1))]


def test_s1_a_notice_reaches_the_grids_feed_group_and_phones(as_user, client, node, wecom):
    grid = node(LVDU_GRID1)
    staff = as_user("community_lvdu")
    response = staff.post(
        "/notices/new/",
        {
            "kind": staff.get("/notices/new/").context["form"].fields["kind"].queryset[0].pk,
            "title": "电动车不要进楼道充电",
            "body": "为了大家的安全，请到小区充电棚充电，不要把电动车推进楼道。",
            "nodes": [grid.pk],
            "to_web": "on",
            "to_wecom": "on",
            "to_sms": "on",
            "wecom_format": "markdown",
            "key": "s1-charging",
            "publish": "1",
        },
    )
    assert response.status_code == 302
    notice = Notice.objects.get(title="电动车不要进楼道充电")
    assert notice.state == NoticeState.PUBLISHED
    phones = (
        Person._base_manager.filter(grid__path__startswith=grid.path, status="active")
        .exclude(phone_hash="")
        .values("phone_hash")
        .distinct()
        .count()
    )
    sms = Delivery.objects.filter(notice=notice, channel=Channel.SMS)
    assert phones > 0 and sms.count() == phones

    drain()
    robot = Robot.objects.get(grid=grid)
    (posted,) = wecom.for_key(robot.key)
    assert "电动车不要进楼道充电" in posted.content
    # The group's message is sent; with no SMS gateway configured, the text messages are
    # recorded in the log and said to be so, never counted as sent.
    assert Delivery.objects.get(notice=notice, channel=Channel.WECOM).state == DeliveryState.SENT
    assert {d.state for d in sms} == {DeliveryState.LOGGED}
    detail = staff.get(f"/notices/{notice.pk}/").content.decode()
    assert report_row(detail, "data-channel", "wecom")[:2] == [1, 0]
    assert report_row(detail, "data-channel", "sms")[:2] == [0, sms.count()]
    assert "已记录（未发出）" in detail and "没有配置短信网关" in detail
    # By grid: the group's message in grid 1, the SMS where each resident lives (its
    # micro-grids), every one of them sent or recorded.
    codes = set(re.findall(r'<tr data-grid="([^"]+)">', detail))
    assert codes and all(code.startswith(grid.code) for code in codes)
    assert sum(report_row(detail, "data-grid", code)[0] for code in codes) == 1
    assert sum(report_row(detail, "data-grid", code)[1] for code in codes) == sms.count()
    # The grid's page lists it for residents.
    client.logout()
    assert f"/n/{notice.pk}/" in client.get(f"/r/{grid.code}/").content.decode()


def test_s4_the_lost_keys_notice_reaches_three_channels(as_user, user_named, client, wecom):
    plaza = Node.objects.get(code=WANDA_PLAZA)
    staff = as_user("community_wanda")
    # The plaza's group has a robot; a resident follows the plaza's notices by SMS.
    key = "5c1f0e9a-7b2d-4c3e-9f80-1a2b3c4d5e6f"
    staff.post("/notices/robots/", {"grid": plaza.pk, "name": "万达广场商户群", "key": key})
    assert Robot.objects.filter(grid=plaza, key_hash__gt="").exists()
    follow_by_page(client, f"/r/{plaza.code}/follow/", "13903710005")

    item = lostfound.record_found_item(
        actor=user_named("community_wanda"),
        what="钥匙两串",
        where="万达广场1号门",
        found_at=timezone.now() - datetime.timedelta(minutes=5),
        grid=plaza,
        finder_name="王同学",
        finder_phone="13800000001",
        kept_at="万达社区党群服务中心",
        contact_phone="0371-67180000",
    )
    staff = as_user("community_wanda")
    page = staff.get(f"/found/{item.pk}/").content.decode()
    assert f'action="/found/{item.pk}/notice/"' in page
    response = staff.post(f"/found/{item.pk}/notice/")
    notice = Notice.objects.get(found_item=item)
    assert response["Location"] == f"/notices/{notice.pk}/"
    assert notice.state == NoticeState.PUBLISHED
    # Asked again: the same notice.
    staff.post(f"/found/{item.pk}/notice/")
    assert Notice.objects.filter(found_item=item).count() == 1

    drain()
    (posted,) = wecom.for_key(key)
    assert "钥匙两串" in posted.content and "13800000001" not in posted.content
    sms = Delivery.objects.get(notice=notice, channel=Channel.SMS)
    assert sms.state == DeliveryState.LOGGED and "钥匙两串" in sms.payload["text"]
    client.logout()
    assert f"/n/{notice.pk}/" in client.get(f"/r/{plaza.code}/").content.decode()
    public = client.get(f"/n/{notice.pk}/").content.decode()
    assert "钥匙两串" in public and "13800000001" not in public
    detail = as_user("community_wanda").get(f"/notices/{notice.pk}/").content.decode()
    assert report_row(detail, "data-channel", "wecom")[:2] == [1, 0]
    assert report_row(detail, "data-channel", "sms")[:2] == [0, 1]
    assert FoundItem.objects.get(pk=item.pk).state == FoundItem.ItemState.HELD
