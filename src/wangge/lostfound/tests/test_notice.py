"""A found item's notice, S4 through the services and the pages: published once to the item's
grid — its page, its WeCom group and the residents who follow it by SMS — never with the
finder's phone; the notice does not know the item, the item points to it."""

import datetime
import re

import pytest
from django.utils import timezone

from wangge.core.errors import Http404
from wangge.demo.district import LVDU_GRID1
from wangge.lostfound import services as lostfound
from wangge.lostfound.models import FoundItem
from wangge.notices import outbox
from wangge.notices import services as notices
from wangge.notices.choices import Channel, DeliveryState, NoticeState
from wangge.notices.models import Delivery, Notice, Robot
from wangge.notices.tests.fakes import FakeServer
from wangge.notices.tests.follows import follow_by_page
from wangge.territory.models import Node

pytestmark = pytest.mark.django_db

WANDA_PLAZA = "410102010007007"  # 万达广场专属网格


@pytest.fixture(autouse=True)
def _quiet_outbox(settings, tmp_path):
    """Each test sends only what it queued itself; nothing reaches a real address."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.WANGGE_WECOM_WEBHOOK_URL = "http://127.0.0.1:9/unreachable"
    settings.WANGGE_SITE_URL = "https://wangge.example.cn"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Delivery.objects.exclude(
        state__in=[DeliveryState.SENT, DeliveryState.LOGGED, DeliveryState.DEAD]
    ).update(state=DeliveryState.DEAD)


@pytest.fixture
def wecom(settings):
    """A fake WeCom webhook on loopback, where every robot posts during the test."""
    with FakeServer() as server:
        settings.WANGGE_WECOM_WEBHOOK_URL = server.url
        yield server


def drain():
    while outbox.drain(owner="test"):
        pass


def report_row(page: str, attribute: str, value: str) -> list[int]:
    """The counts of one row of the delivery report: sent, recorded but not sent (no SMS
    gateway), waiting, sending, failed, given up."""
    row = re.search(rf'<tr {attribute}="{re.escape(value)}">(.*?)</tr>', page, re.S)
    assert row, f"no report row {attribute}={value}"
    return [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', row.group(1))]


def test_a_found_item_becomes_a_lost_and_found_notice_once(user_named, node):
    worker = user_named("gridworker_lvdu1")
    item = lostfound.record_found_item(
        actor=worker,
        what="两串钥匙",
        where="绿都城南门",
        found_at=timezone.now() - datetime.timedelta(minutes=20),
        grid=node(LVDU_GRID1),
        finder_phone="13800000001",
        kept_at="绿都社区服务站",
        contact_phone="0371-67180000",
    )
    notice = lostfound.notice_from_found_item(actor=worker, item=item)
    assert notice.kind.code == "lost_found" and notice.state == NoticeState.PUBLISHED
    assert "两串钥匙" in notice.title and "两串钥匙" in notice.body
    assert "13800000001" not in notice.body and "0371-67180000" in notice.body
    assert list(notice.nodes.all()) == [node(LVDU_GRID1)]
    assert Delivery.objects.filter(notice=notice, channel=Channel.WECOM).count() == 1
    assert lostfound.notice_from_found_item(actor=worker, item=item) == notice
    assert notice in notices.notices_for_grid(node(LVDU_GRID1))
    assert FoundItem.objects.get(pk=item.pk).notice == notice
    with pytest.raises(Http404):
        lostfound.notice_from_found_item(actor=user_named("gridworker_lvdu2"), item=item)


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
