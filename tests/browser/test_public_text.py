"""What the public sees is only what was meant for them, in Chromium, in Chinese.

A resident files a report through a city app speaking Open311 (a public case). The community's
staff, at a desk (1440×900), take it up with a reply to the resident and dispatch it with an
internal instruction; the grid worker, on the phone (390×844), signs for it and finishes it
with an internal note naming both parties and their flats, and ticks 答复居民 to write what the
resident should read. The tracking page (phone and desktop) and Open311's XML and JSON carry
the replies, never a note; the console's timeline shows both texts, each named. The switch
opens the reply box without script too.
"""

import re

import pytest
from shapely.geometry import shape

from tests.browser.server import (
    DESKTOP,
    LOCALE,
    PHONE,
    SHOTS,  # docs/screenshots/ under `make screenshots`
    both_sizes,
    picture,
)
from tests.browser.test_pages import assert_page_basics
from wangge.demo.district import LVDU_GRID1, OPEN311_DEMO_KEY

pytestmark = pytest.mark.browser

STAFF = "community_lvdu"
WORKER = "gridworker_lvdu1"
WORKER_NAME = "绿都社区第1网格"
DISPATCH_NOTE = "请与养犬人王先生（3号楼2单元301）当面谈，先别透露投诉人"
NOTE = (
    "调解：投诉人刘女士（3号楼2单元201）、养犬人王先生（3号楼2单元301），王先生同意夜里把狗关在室内"
)
ACCEPT_REPLY = "已受理，网格员会尽快上门了解情况。"
REPLY = "网格员已上门和邻居沟通，邻居答应夜里把狗关在室内。如仍有狗叫，请再联系我们。"
SECRETS = ("2单元201", "2单元301", "刘女士", "王先生", "先别透露")


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    picture(page, path=str(SHOTS / f"{name}.png"), full_page=True)


def submit(locator):
    page = locator.page
    with page.expect_navigation():
        locator.click()
    page.wait_for_load_state()


def action_form(page, label):
    page.locator("details.action > summary").filter(has_text=re.compile(f"^{label}$")).click()
    return page.locator("details.action[open] form")


def file_by_open311(page, base_url) -> tuple[str, str]:
    """A resident's report through Open311 in 绿都社区第1网格: (number, tracking code)."""
    grids = page.request.get(f"{base_url}/map/grids.geojson").json()
    grid = next(f for f in grids["features"] if f["properties"]["code"] == LVDU_GRID1)
    point = shape(grid["geometry"]).representative_point()
    response = page.request.post(
        f"{base_url}/open311/v2/requests.json",
        form={
            "api_key": OPEN311_DEMO_KEY,
            "service_code": "MD02",
            "lat": str(point.y),
            "long": str(point.x),
            "attribute[period]": "night",
            "description": "楼上邻居家的狗每晚叫到凌晨，孩子睡不着",
            "phone": "13903712470",
        },
    )
    assert response.status == 201, response.text()
    [answer] = response.json()
    code = re.search(r"/t/([A-Z0-9]+)/", answer["service_notice"]).group(1)
    return answer["service_request_id"], code


def test_an_internal_note_typed_on_the_phone_never_reaches_the_public(
    new_page, base_url, browser, signed_in
):
    worker = new_page(as_user=WORKER, viewport=PHONE)
    number, code = file_by_open311(worker, base_url)

    # The staff, at a desk: accept with a reply to the resident, dispatch with an instruction.
    # (The list's bulk form offers the same switch.)
    staff = new_page(as_user=STAFF, viewport=DESKTOP)
    staff.goto(f"{base_url}/cases/?q={number}")
    bulk = staff.locator("fieldset.bulk")
    assert bulk.get_by_label("内部记录").is_visible()
    assert not bulk.get_by_label("居民可见的答复").is_visible()
    bulk.get_by_label("答复居民").check()
    assert bulk.get_by_label("居民可见的答复").is_visible()
    shot(staff, "public-text-bulk-desktop")
    submit(staff.locator("table.cases tbody tr", has_text=number).get_by_role("link").first)
    case_url = staff.url
    assert_page_basics(staff)
    form = action_form(staff, "受理")
    reply_box = form.get_by_label("居民可见的答复")
    assert not reply_box.is_visible()  # closed until the switch is ticked
    form.get_by_label("答复居民").check()
    reply_box.fill(ACCEPT_REPLY)
    submit(form.get_by_role("button", name="受理"))
    assert staff.locator(".status-line .state").inner_text() == "已受理"
    form = action_form(staff, "派遣")
    people = form.get_by_label("派给")
    people.select_option(label=people.locator("option", has_text=WORKER_NAME).first.inner_text())
    form.get_by_label("内部记录").fill(DISPATCH_NOTE)
    submit(form.get_by_role("button", name="派遣"))
    assert staff.locator(".status-line .state").inner_text() == "已派遣"

    # The grid worker, on the phone: sign for it, then finish it with a note and a reply.
    worker.goto(f"{base_url}/m/")
    title = "楼上邻居家的狗每晚叫到凌晨"
    submit(worker.get_by_role("link").filter(has_text=title).first)
    assert_page_basics(worker)
    task_url = worker.url
    submit(worker.get_by_role("button", name="签收"))
    finish = worker.locator("form.move-finish")
    finish.get_by_label("处理结果").fill(NOTE)
    assert "仅供工作人员查看" in finish.inner_text()
    reply = finish.get_by_label("居民可见的答复")
    assert not reply.is_visible()
    finish.get_by_label("答复居民").check()
    reply.fill(REPLY)
    finish.scroll_into_view_if_needed()
    shot(worker, "public-text-task-phone")

    # Without script the switch opens the box as well (the stylesheet does it).
    plain = browser.new_context(
        viewport=PHONE, locale=LOCALE, java_script_enabled=False, storage_state=signed_in(WORKER)
    )
    try:
        no_js = plain.new_page()
        no_js.goto(task_url)
        box = no_js.locator("form.move-finish").get_by_label("居民可见的答复")
        assert not box.is_visible()
        no_js.locator("form.move-finish").get_by_label("答复居民").check()
        assert box.is_visible()
    finally:
        plain.close()

    submit(finish.get_by_role("button", name="办结"))
    assert "办结" in worker.locator(".messages").inner_text()

    # The resident's tracking page, on the phone: the replies, never a note.
    resident = new_page(viewport=PHONE)
    resident.goto(f"{base_url}/t/{code}/")
    assert_page_basics(resident)
    timeline = resident.locator("ol.timeline").inner_text()
    assert ACCEPT_REPLY in timeline and REPLY in timeline
    assert "答复" in timeline and "已办理" in timeline
    text = resident.locator("main").inner_text()
    for secret in SECRETS:
        assert secret not in text, secret
    for size in both_sizes(resident):
        shot(resident, f"public-text-tracking-{size}")

    # Open311, as any application reads it: XML (the spec's format) and JSON, with the notes.
    reader = new_page(viewport=DESKTOP)
    for url in (
        f"{base_url}/open311/v2/requests/{number}.xml?extensions=true",
        f"{base_url}/open311/v2/requests.xml?service_request_id={number}",
        f"{base_url}/open311/v2/requests/{number}.json?extensions=true",
    ):
        response = reader.request.get(url)
        assert response.status == 200
        body = response.text()
        assert number in body and REPLY in body
        for secret in SECRETS:
            assert secret not in body, (url, secret)
    xml = reader.request.get(f"{base_url}/open311/v2/requests/{number}.xml?extensions=true")
    assert f"<status_notes>{REPLY}</status_notes>" in xml.text()

    # The console's timeline: both texts, each named.
    staff.goto(case_url)
    timeline = staff.get_by_role("region", name="办理经过")
    finished = timeline.locator("li", has_text=NOTE)
    assert "内部记录" in finished.inner_text() and "居民可见的答复" in finished.inner_text()
    assert REPLY in finished.inner_text()
    assert DISPATCH_NOTE in timeline.inner_text()
    finished.scroll_into_view_if_needed()
    shot(staff, "public-text-case-desktop")
