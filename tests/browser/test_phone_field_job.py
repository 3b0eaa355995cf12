"""The phone does the whole field job, in Debian's Chromium, in Chinese, at phone and desktop
size: a grid worker solves a problem on the spot from the report form (S10) and finds it,
closed, under "我上报的"; a man sleeping rough, reported by phone to the community, is handed
by the grid worker to the aid station from the task page (S9), and the community records the
station's receipt; an instant case solved on the spot from its task; the grid leader calls the
reporter back with the number revealed for a stated purpose.

Screenshots go to ``docs/screenshots/`` (``field-job-*-phone.png``, ``…-desktop.png``).
"""

import re
import uuid

import pytest

from tests.browser.server import (
    DESKTOP,
    PHONE,
    SHOTS,  # docs/screenshots/ under `make screenshots`
    both_sizes,
    picture,
)
from tests.browser.test_pages import assert_page_basics

pytestmark = pytest.mark.browser


def check(page, name: str) -> None:
    """The basics of every page, no sideways scrolling at either size, and a picture of each."""
    assert_page_basics(page)
    for size in both_sizes(page):
        scroll, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll <= window, f"{name} is {scroll}px wide in a {window}px window"
        picture(page, path=SHOTS / f"field-job-{name}-{size}.png", full_page=True)


def click_and_wait(page, locator):
    with page.expect_navigation():
        locator.click()


def phoned_in(new_page, base_url, words, *, category="社会救助 · 流浪乞讨", phone="13700002222"):
    """A resident's call entered at the community's desk: accepted and dispatched to grid 1's
    worker by the routing rules. Returns the case page's path."""
    desk = new_page("community_lvdu", viewport=DESKTOP)
    desk.goto(f"{base_url}/cases/new/")
    desk.get_by_label("来源", exact=True).select_option(label="电话")
    desk.get_by_label("分类").select_option(label=category)
    desk.get_by_label("反映的问题").fill(words)
    # Grids are named with their community (第1网格 is in every community).
    desk.get_by_label("网格", exact=True).select_option(label="绿都社区 第1网格")
    desk.get_by_label("反映人", exact=True).fill("孙女士")
    desk.get_by_label("反映人电话").fill(phone)
    click_and_wait(desk, desk.get_by_role("button", name="录入", exact=True))
    assert re.search(r"/cases/\d+/$", desk.url), desk.url
    assert "已派遣" in desk.locator(".status-line").inner_text()
    path = desk.url.removeprefix(base_url)
    desk.context.close()
    return path


def open_task(page, base_url, words):
    page.goto(f"{base_url}/m/")
    click_and_wait(page, page.locator("ul.cards a", has_text=words))
    assert page.get_by_role("heading", level=1).inner_text().startswith(words[:20])


def test_a_worker_solves_a_problem_on_the_spot_from_the_report_form(new_page, base_url):
    page = new_page("gridworker_lvdu1", viewport=PHONE)
    page.goto(f"{base_url}/m/report/")
    page.wait_for_load_state("networkidle")
    words = f"院内一位居民的汽车电瓶亏电，打不着火 {uuid.uuid4().hex[:4]}"
    page.select_option("select[name=category]", label="便民服务 · 车辆求助")
    page.fill("textarea[name=description]", words)
    result = page.get_by_label("办理结果（当场做了什么）")
    assert result.is_hidden()  # asked for only once the box is ticked
    page.get_by_label("已当场解决，立即办结").check()
    result.fill("招呼路过的居民帮忙推车，车辆顺利启动；提醒车主及时保养")
    check(page, "report-solved")
    page.get_by_role("button", name="提交", exact=True).click()
    page.wait_for_function(
        "() => document.querySelector('[data-outbox-status]').textContent.includes('已发送')"
    )
    assert page.input_value("textarea[name=description]") == ""

    # 我上报的: the case, closed, opens on the phone.
    page.goto(f"{base_url}/m/")
    item = page.locator("main li", has_text=words)
    assert "已结案" in item.inner_text()
    click_and_wait(page, item.get_by_role("link"))
    assert re.search(r"/m/cases/\d+/$", page.url)
    facts = page.locator("dl.facts").inner_text()
    assert "已结案" in facts
    assert "帮忙推车" in page.locator("main").inner_text()
    assert "这件案件现在没有需要您做的。" in page.locator("main").inner_text()
    check(page, "reported-case")


def test_s9_a_man_sleeping_rough_handed_to_the_aid_station(new_page, base_url):
    words = f"居民来电：桐柏路公交站有一名男子衣衫单薄，露宿街头 {uuid.uuid4().hex[:4]}"
    case_path = phoned_in(new_page, base_url, words)

    page = new_page("gridworker_lvdu1", viewport=PHONE, refusals=True)
    open_task(page, base_url, words)
    transfer = page.locator("form.move-transfer")
    assert transfer.get_by_role("heading", name="转办").is_visible()
    # The note without the agency: refused, the note kept.
    note = "已将其带到社区临时救助点，送上热水和棉衣；本人同意接受政府救助，救助站派车接走"
    transfer.get_by_label("与接收单位的交接情况").fill(note)
    transfer.get_by_label("转交单位").evaluate("s => s.removeAttribute('required')")
    click_and_wait(page, transfer.get_by_role("button", name="转办"))
    transfer = page.locator("form.move-transfer")
    assert "请选择转交的单位。" in transfer.inner_text()
    assert transfer.get_by_label("与接收单位的交接情况").input_value() == note
    transfer.get_by_label("转交单位").select_option(label="郑州市救助管理站（救助站）")
    check(page, "transfer")
    click_and_wait(page, transfer.get_by_role("button", name="转办"))
    assert page.url == f"{base_url}/m/"
    assert "已完成：转办。" in page.locator(".messages").inner_text()
    assert page.locator("ul.cards a", has_text=words).count() == 0

    # The community sees it handed over, and records the station's receipt.
    desk = new_page("community_lvdu", viewport=DESKTOP)
    desk.goto(f"{base_url}{case_path}")
    assert "已转办" in desk.locator(".status-line").inner_text()
    assert "郑州市救助管理站" in desk.locator("dl.facts").inner_text()
    receipt = desk.locator("details.action", has_text="登记转办回执")
    receipt.locator("summary").click()
    receipt.get_by_label("内部记录").fill("救助站已接收并安置受助人员，回执已存档")
    click_and_wait(desk, receipt.get_by_role("button", name="登记转办回执"))
    assert "已办结待核查" in desk.locator(".status-line").inner_text()


def test_an_instant_case_solved_on_the_spot_from_its_task(new_page, base_url):
    words = f"居民来电：小区东门有一位老人迷路徘徊 {uuid.uuid4().hex[:4]}"
    phoned_in(new_page, base_url, words)
    page = new_page("gridworker_lvdu1", viewport=PHONE)
    open_task(page, base_url, words)
    solve = page.locator("form.move-solve_now")
    solve.get_by_label("办理结果（当场做了什么）").fill("老人系走失，已联系家属接回，家属表示感谢")
    click_and_wait(page, solve.get_by_role("button", name="当场办结"))
    assert "已完成：当场办结。" in page.locator(".messages").inner_text()
    assert page.locator("ul.cards a", has_text=words).count() == 0


def test_calling_the_resident_back(new_page, base_url):
    words = f"居民来电：楼道声控灯坏了 {uuid.uuid4().hex[:4]}"
    case_path = phoned_in(
        new_page, base_url, words, category="部件 · 公用设施", phone="13700003333"
    )
    case_id = case_path.strip("/").rsplit("/", 1)[-1]

    # The grid leader, on the phone: masked until revealed for a purpose.
    page = new_page("gridleader_lvdu", viewport=PHONE)
    page.goto(f"{base_url}/m/cases/{case_id}/")
    reporter = page.locator("#reporter")
    assert "137****3333" in reporter.inner_text()
    reveal = page.locator("details.reveal")
    reveal.locator("summary").click()
    reveal.get_by_label("查看原因", exact=True).select_option(
        label="回访：询问居民对办理结果是否满意"
    )
    click_and_wait(page, reveal.get_by_role("button", name="查看完整号码"))
    assert "仅在本页显示" in page.get_by_role("status").inner_text()
    assert page.locator("#reporter .full").inner_text() == "13700003333"
    assert page.locator("#reporter a").get_attribute("href") == "tel:13700003333"
    check(page, "callback")

    # The community, on the case page; the grid worker is offered no such thing.
    desk = new_page("community_lvdu", viewport=DESKTOP)
    desk.goto(f"{base_url}{case_path}")
    reveal = desk.locator("details.reveal")
    reveal.locator("summary").click()
    reveal.get_by_label("查看原因", exact=True).select_option(label="其他（在下方写明）")
    reveal.get_by_label("其他原因").fill("核实维修时间")
    click_and_wait(desk, reveal.get_by_role("button", name="查看完整号码"))
    assert desk.locator("#reporter .full").inner_text() == "13700003333"
    worker = new_page("gridworker_lvdu1", viewport=PHONE)
    worker.goto(f"{base_url}{case_path}")
    assert worker.locator("details.reveal").count() == 0
    assert "137****3333" in worker.locator("dl.facts").inner_text()
