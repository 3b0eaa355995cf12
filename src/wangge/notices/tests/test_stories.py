"""S1 through the pages, the outbox drained against fake services on loopback: 绿都社区 pushes
a notice to grid 1's feed, its WeCom group and its residents' phones, and reads the delivery
report."""

import re

import pytest

from wangge.demo.district import LVDU_GRID1
from wangge.notices import outbox
from wangge.notices.choices import Channel, DeliveryState, NoticeState
from wangge.notices.models import Delivery, Notice, Robot
from wangge.people.models import Person

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
