"""The notices pages as the demo's people meet them: 绿都社区's staff write a notice for a grid
and publish it, its WeCom group gets it (a fake server on loopback) and the delivery report says
so; a street-wide notice waits for the district's approval; nothing of it reaches 观澜社区; the
grid's public page lists it and residents follow the grid by SMS; bad input is a 400 naming the
field, and nothing is written."""

import re

import pytest

from wangge.demo.district import GUANLAN, LVDU, LVDU_GRID1
from wangge.notices import outbox
from wangge.notices.choices import Channel, DeliveryState, NoticeState
from wangge.notices.models import Delivery, Follow, Notice, NoticeKind, Robot
from wangge.notices.tests.follows import code_sent_to, follow_by_page
from wangge.territory.models import Node

pytestmark = pytest.mark.django_db


STREET = LVDU[:9]
COMMUNITY = "community_lvdu"


def kind(code="convenience"):
    return NoticeKind.objects.filter(code=code).first() or NoticeKind.objects.first()


def form(**changes):
    data = {
        "kind": kind().pk,
        "title": "明日停水",
        "body": "因管网维修，明天 8:00—12:00 停水，请提前储水。",
        "to_web": "on",
        "to_wecom": "on",
        "wecom_format": "text",
        "key": "page-test-1",
        "publish": "1",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_community_publishes_to_a_grid_and_its_group_gets_it(as_user, node, wecom):
    client = as_user(COMMUNITY)
    page = client.get("/notices/new/").content.decode()
    assert "第1网格" in page and "观澜社区" not in page
    grid = node(LVDU_GRID1)
    response = client.post("/notices/new/", form(nodes=[grid.pk]))
    assert response.status_code == 302
    notice = Notice.objects.get(title="明日停水")
    assert response["Location"] == f"/notices/{notice.pk}/"
    assert notice.state == NoticeState.PUBLISHED
    robot = Robot.objects.get(grid=grid)
    queued = Delivery.objects.filter(notice=notice, channel=Channel.WECOM)
    assert list(queued.values_list("robot", flat=True)) == [robot.pk]

    while outbox.drain(owner="test"):
        pass
    (request,) = wecom.for_key(robot.key)
    assert "明日停水" in request.content
    detail = client.get(f"/notices/{notice.pk}/").content.decode()
    assert "已发送" in detail or "Sent" in detail
    row = re.search(r'<tr data-channel="wecom">(.*?)</tr>', detail, re.S).group(1)
    assert re.findall(r'<td class="num">(\d+)</td>', row)[0] == "1"  # sent
    # The same form sent again makes no second notice.
    client.post("/notices/new/", form(nodes=[grid.pk]))
    assert Notice.objects.filter(title="明日停水").count() == 1


def test_the_grid_page_lists_it_and_the_public_page_shows_it(as_user, node, client):
    grid = node(LVDU_GRID1)
    as_user(COMMUNITY).post("/notices/new/", form(nodes=[grid.pk], to_wecom=""))
    notice = Notice.objects.get(title="明日停水")
    client.logout()
    page = client.get(f"/r/{grid.code}/").content.decode()
    assert f'href="/n/{notice.pk}/"' in page
    public = client.get(f"/n/{notice.pk}/")
    assert public.status_code == 200 and "提前储水" in public.content.decode()
    # Not on 观澜社区's grids' pages.
    far = Node.objects.filter(code__startswith=GUANLAN, kind="grid").first()
    assert f"/n/{notice.pk}/" not in client.get(f"/r/{far.code}/").content.decode()


def test_a_draft_and_a_withdrawn_notice_are_not_public(as_user, node, client):
    staff = as_user(COMMUNITY)
    staff.post("/notices/new/", form(nodes=[node(LVDU_GRID1).pk], publish=None, save="1"))
    notice = Notice.objects.get(title="明日停水")
    assert notice.state == NoticeState.DRAFT
    assert client.get(f"/n/{notice.pk}/").status_code == 404
    staff.post(f"/notices/{notice.pk}/publish/")
    assert client.get(f"/n/{notice.pk}/").status_code == 200
    staff.post(f"/notices/{notice.pk}/withdraw/", {"note": "时间改了"})
    notice.refresh_from_db()
    assert notice.state == NoticeState.WITHDRAWN
    assert client.get(f"/n/{notice.pk}/").status_code == 404


def test_a_street_notice_waits_for_the_districts_approval(as_user, node):
    street = node(STREET)
    writer = as_user("street_zyxl")
    writer.post("/notices/new/", form(nodes=[street.pk], to_wecom=""))
    notice = Notice.objects.get(title="明日停水")
    assert notice.state == NoticeState.PENDING
    assert "审核" in writer.get(f"/notices/{notice.pk}/").content.decode()
    district = as_user("district")
    listing = district.get("/notices/").content.decode()
    assert "?state=pending" in listing
    # Sending it back needs a reason.
    district.post(f"/notices/{notice.pk}/review/", {"approve": "false", "note": ""})
    notice.refresh_from_db()
    assert notice.state == NoticeState.PENDING
    district.post(f"/notices/{notice.pk}/review/", {"approve": "true", "note": "同意"})
    notice.refresh_from_db()
    assert notice.state == NoticeState.PUBLISHED and notice.approved_by.username == "district"
    # Out, it is read by the communities of the street, who may not take it back.
    community = as_user(COMMUNITY)
    assert "明日停水" in community.get("/notices/").content.decode()
    assert community.get(f"/notices/{notice.pk}/").status_code == 200
    community.post(f"/notices/{notice.pk}/withdraw/")
    notice.refresh_from_db()
    assert notice.state == NoticeState.PUBLISHED
    # Not by another street's.
    assert as_user("gridworker_guanlan1").get(f"/notices/{notice.pk}/").status_code == 404


def home_approvals(client) -> int | None:
    """The count of notices to approve on the home page, or None when it is not shown."""
    found = re.search(
        r'class="queue-approvals"><a href="/notices/\?state=pending"><span class="value">(\d+)',
        client.get("/").content.decode(),
    )
    return int(found.group(1)) if found else None


def test_the_demo_has_a_streets_and_the_districts_notice_waiting(as_user):
    """The street's waits for the district; the district's for another district account:
    nobody approves their own, and no one below a notice's level approves it."""
    waiting = Notice.objects.filter(state=NoticeState.PENDING)
    assert sorted(waiting.values_list("created_by__username", flat=True)) == [
        "district",
        "street_zyxl",
    ]
    assert home_approvals(as_user("district")) == 1
    assert home_approvals(as_user("district_review")) == 2
    assert home_approvals(as_user("street_zyxl")) is None
    assert home_approvals(as_user(COMMUNITY)) is None


def test_a_district_notice_is_approved_by_another_district_account(as_user, node):
    district = as_user("district")
    district.post("/notices/new/", form(nodes=[node(LVDU[:6]).pk], to_wecom=""))
    notice = Notice.objects.get(title="明日停水")
    assert notice.state == NoticeState.PENDING and notice.needs_approval
    # Its author cannot; the street below cannot.
    district.post(f"/notices/{notice.pk}/review/", {"approve": "true", "note": ""})
    as_user("street_zyxl").post(f"/notices/{notice.pk}/review/", {"approve": "true"})
    notice.refresh_from_db()
    assert notice.state == NoticeState.PENDING
    reviewer = as_user("district_review")
    page = reviewer.get(f"/notices/{notice.pk}/").content.decode()
    assert f'action="/notices/{notice.pk}/review/"' in page
    response = reviewer.post(f"/notices/{notice.pk}/review/", {"approve": "true", "note": "同意"})
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.state == NoticeState.PUBLISHED
    assert notice.approved_by.username == "district_review"
    # Every community's residents get it on their grids' pages.
    assert "明日停水" in as_user("gridworker_guanlan1").get("/notices/").content.decode()


def test_community_staff_cannot_approve_the_streets_notice(as_user, node):
    as_user("street_zyxl").post("/notices/new/", form(nodes=[node(STREET).pk], to_wecom=""))
    notice = Notice.objects.get(title="明日停水")
    client = as_user(COMMUNITY)
    client.post(f"/notices/{notice.pk}/review/", {"approve": "true"})
    notice.refresh_from_db()
    assert notice.state == NoticeState.PENDING


@pytest.mark.parametrize(
    "path",
    ["/notices/{pk}/", "/notices/{pk}/poster/", "/notices/{pk}/edit/"],
)
def test_another_communitys_notice_is_not_found(as_user, node, path):
    as_user(COMMUNITY).post("/notices/new/", form(nodes=[node(LVDU_GRID1).pk], publish=None))
    notice = Notice.objects.get(title="明日停水")
    far = as_user("gridworker_guanlan1")
    assert far.get(path.format(pk=notice.pk)).status_code == 404
    assert far.post(f"/notices/{notice.pk}/publish/").status_code == 404
    assert "明日停水" not in far.get("/notices/").content.decode()


def test_a_place_outside_scope_is_refused_and_nothing_written(as_user):
    far = Node.objects.filter(code__startswith=GUANLAN, kind="grid").first()
    response = as_user(COMMUNITY).post("/notices/new/", form(nodes=[far.pk]))
    assert response.status_code == 400
    assert not Notice.objects.filter(title="明日停水").exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"title": ""}, "title"), ({"nodes": []}, "nodes"), ({"kind": "999999"}, "kind")],
)
def test_bad_input_is_a_400_on_its_field(as_user, node, changes, field):
    data = form(**{"nodes": [node(LVDU_GRID1).pk], **changes})
    response = as_user(COMMUNITY).post("/notices/new/", data)
    assert response.status_code == 400
    assert response.context["form"].errors.get(field) or response.context["form"].errors.get(
        "__all__"
    ), response.context["form"].errors
    assert not Notice.objects.filter(title=data["title"] or "明日停水").exists()


def test_robots_are_listed_with_their_keys_masked(as_user, node):
    client = as_user(COMMUNITY)
    page = client.get("/notices/robots/").content.decode()
    robots = Robot.objects.filter(grid__code__startswith=LVDU)
    assert robots.exists()
    for robot in robots:
        assert robot.name in page
        assert robot.key not in page
    assert not Robot.objects.filter(grid__code__startswith=GUANLAN).exists() or all(
        robot.name not in page for robot in Robot.objects.filter(grid__code__startswith=GUANLAN)
    )


def test_a_robot_is_set_up_and_a_bad_key_refused(as_user, node):
    client = as_user(COMMUNITY)
    grid = Node.objects.filter(code__startswith=LVDU, kind="grid").order_by("code").last()
    bad = client.post("/notices/robots/", {"grid": grid.pk, "name": "测试群", "key": "短"})
    assert bad.status_code == 400 and "key" in bad.context["form"].errors
    key = "0a1b2c3d-4e5f-6789-abcd-ef0123456789"
    url = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={key}"
    good = client.post("/notices/robots/", {"grid": grid.pk, "name": "测试群", "key": url})
    assert good.status_code == 302
    robot = Robot.objects.get(name="测试群")
    assert robot.key == key and robot.grid == grid
    assert key not in client.get("/notices/robots/").content.decode()
    # A grid worker sees their robots but sets up none.
    worker = as_user("gridworker_lvdu1")
    assert worker.get("/notices/robots/").status_code == 200
    assert (
        worker.post("/notices/robots/", {"grid": grid.pk, "name": "x", "key": key}).status_code
        == 404
    )


def test_residents_follow_a_grid_by_sms_and_stop(client, node):
    grid = node(LVDU_GRID1)
    client.post(f"/r/{grid.code}/follow/", {"phone": "12345"})
    assert not Follow.objects.filter(grid=grid).exists()
    response = client.post(f"/r/{grid.code}/follow/", {"phone": "13800138000"})
    # First a code, on a page that asks for it; the follow waits meanwhile.
    assert response.status_code == 302 and response["Location"].startswith("/follow/")
    follow = Follow.objects.get(grid=grid, case=None)
    assert follow.phone == "13800138000" and not follow.is_active
    page = client.get(response["Location"])
    assert page.status_code == 200 and "138****8000" in page.content.decode()
    code = code_sent_to(follow)
    wrong = client.post(response["Location"], {"code": "000000" if code != "000000" else "111111"})
    assert wrong.status_code == 400 and "还可以试4次" in wrong.content.decode()
    right = client.post(response["Location"], {"code": code})
    assert right.status_code == 302 and right["Location"] == f"/r/{grid.code}/#follow"
    follow.refresh_from_db()
    assert follow.is_active and follow.confirmed_at is not None
    client.post(f"/r/{grid.code}/follow/", {"phone": "13800138000", "stop": "true"})
    follow.refresh_from_db()
    assert not follow.is_active
    assert client.post("/r/no-such-grid/follow/", {"phone": "13800138000"}).status_code == 404
    assert client.get("/follow/not-a-token/").status_code == 404


def test_followers_of_the_grid_get_its_next_notice_by_sms(client, as_user, node):
    grid = node(LVDU_GRID1)
    follow_by_page(client, f"/r/{grid.code}/follow/", "13800138001")
    as_user(COMMUNITY).post("/notices/new/", form(nodes=[grid.pk], to_wecom=""))
    notice = Notice.objects.get(title="明日停水")
    sms = Delivery.objects.filter(notice=notice, channel=Channel.SMS)
    assert sms.count() == 1 and sms.get().state == DeliveryState.PENDING


# --- The list's filters and its export ----------------------------------------------------------


def listed(client, **query) -> str:
    response = client.get("/notices/", query)
    assert response.status_code == 200
    return response.content.decode()


def test_the_list_filters_by_kind_words_state_and_place(as_user, node):
    client = as_user(COMMUNITY)
    everything = listed(client)
    assert "冬季供暖报修渠道" in everything and "电动车" in everything
    assert "电动车" not in listed(client, kind="convenience")
    assert "冬季供暖报修渠道" not in listed(client, kind="safety")
    # Words are looked for in the text too: the heating notice's text names the hotline.
    found = listed(client, q="0371-67170000")
    assert "冬季供暖报修渠道" in found and "电动车" not in found
    assert "冬季供暖报修渠道" not in listed(client, state="draft")
    assert "冬季供暖报修渠道" in listed(client, node=node(LVDU).pk)
    # A place outside the community gives nothing, not the community's notices.
    assert "冬季供暖报修渠道" not in listed(client, node=node(GUANLAN).pk)


@pytest.mark.parametrize(
    "query, field",
    [({"since": "2026-13-45"}, "since"), ({"state": "lost"}, "state"), ({"node": "x"}, "node")],
)
def test_a_bad_filter_is_shown_on_its_field(as_user, query, field):
    page = listed(as_user(COMMUNITY), **query)
    assert re.search(rf'name="{field}"[^>]*aria-invalid="true"', page)
    assert page.count('<ul class="errorlist" role="alert">') == 1
    # The other filters still apply: the community's notices are listed.
    assert "冬季供暖报修渠道" in page


def export(client, **query) -> str:
    response = client.get("/export/notices.csv", query)
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content).decode("utf-8-sig")


def test_the_export_holds_the_list_with_how_its_messages_fared(as_user):
    text = export(as_user(COMMUNITY))
    header, *rows = text.splitlines()
    assert header.split(",")[:6] == ["标题", "类别", "范围编码", "范围", "状态", "渠道"]
    heating = next(row for row in rows if row.startswith("冬季供暖报修渠道"))
    notice = Notice.objects.get(title="冬季供暖报修渠道")
    sent = notice.deliveries.filter(state=DeliveryState.SENT).count()
    logged = notice.deliveries.filter(state=DeliveryState.LOGGED).count()
    assert sent > 0
    assert header.split(",")[-4:] == ["已送达", "已记录（未发出）", "待发送", "未送达"]
    assert heating.endswith(f",{sent},{logged},0,0")
    assert ",已发布," in heating and "网格公开页、企业微信群" in heating
    # The list's filters apply: the safety notice only.
    only = export(as_user(COMMUNITY), kind="safety").splitlines()[1:]
    assert only and all("安全" in row or "电动车" in row for row in only)
    assert not any(row.startswith("冬季供暖报修渠道") for row in only)


def test_the_demos_text_messages_are_shown_as_recorded_not_sent(as_user, api_as):
    """With no SMS gateway (the demo's), the charging notice's text messages to residents are
    recorded, not sent: on its page, in the report API and in the export, kept apart."""
    notice = Notice.objects.get(to_sms=True, state=NoticeState.PUBLISHED)
    sms = notice.deliveries.filter(channel=Channel.SMS)
    assert sms.exists() and {d.state for d in sms} == {DeliveryState.LOGGED}
    page = as_user(COMMUNITY).get(f"/notices/{notice.pk}/").content.decode()
    assert "已记录（未发出）" in page
    assert f"{sms.count()} 条短信只记录在日志中：没有配置短信网关，居民没有收到。" in page
    report = api_as(COMMUNITY).get(f"/api/v1/notices/{notice.pk}/report").json()
    by_channel = {row["channel"]: row for row in report["by_channel"]}
    assert by_channel["sms"]["sent"] == 0 and by_channel["sms"]["logged"] == sms.count()
    assert by_channel["wecom"]["sent"] == notice.deliveries.filter(channel=Channel.WECOM).count()
    row = next(r for r in export(as_user(COMMUNITY)).splitlines() if r.startswith(notice.title))
    wecom = by_channel["wecom"]["sent"]
    assert row.endswith(f",{wecom},{sms.count()},0,0")


def test_the_export_holds_nothing_of_another_community(as_user, node):
    as_user(COMMUNITY).post("/notices/new/", form(nodes=[node(LVDU_GRID1).pk]))
    assert "明日停水" in export(as_user(COMMUNITY))
    assert "明日停水" not in export(as_user("gridworker_guanlan1"))
    # A filter naming a place out of reach gives nothing.
    assert "明日停水" not in export(as_user("gridworker_guanlan1"), node=node(LVDU).pk)
