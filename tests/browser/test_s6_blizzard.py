"""Story S6, "Before the blizzard" (一中社区), in Debian's Chromium, through the pages.

The district's staff, at a desk (1440×900), open the community's pre-blizzard inspection
campaign: its coverage on the map and per grid, the hazards found and their cases. A grid
worker of grid 1, on the phone (390×844), opens the buildings still to check, answers the
checklist with one thumb and reports flying-wire charging (飞线充电): a case is opened at
once. Back at the desk, the coverage has moved and the case is among the campaign's.

Screenshots: ``campaigns-<page>-phone.png`` / ``-desktop.png`` (in docs/screenshots/ with
``WANGGE_SHOTS=docs/screenshots``).
"""

import re

import pytest

from tests.browser.server import DESKTOP, PHONE, SHOTS, picture
from tests.browser.test_pages import assert_page_basics
from wangge.demo import district as demo

pytestmark = pytest.mark.browser

STAFF = "district"
WORKER = "gridworker_yz1"  # 一中社区 第1网格


def look(page, name: str, size: str) -> None:
    assert_page_basics(page)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} scrolls sideways ({width}px)"
    picture(page, path=str(SHOTS / f"campaigns-{name}-{size}.png"), full_page=True)


def checked_in_grid1(page) -> int:
    return int(page.locator(f"tr[data-grid='{demo.YIZHONG_GRID1}'] [data-checked]").inner_text())


def test_s6_a_flying_wire_found_on_the_phone_becomes_a_case(new_page, base_url):
    desk = new_page(STAFF, viewport=DESKTOP)
    desk.goto(f"{base_url}/")
    desk.locator("nav.mainnav").get_by_role("link", name="网格工作").click()
    desk.wait_for_url(f"{base_url}/fieldwork/")
    look(desk, "fieldwork", "desktop")
    desk.locator("[data-section=campaigns] h2").get_by_role("link", name="排查").click()
    desk.wait_for_url(f"{base_url}/campaigns/")
    look(desk, "list", "desktop")
    desk.get_by_role("link", name=demo.BLIZZARD_CAMPAIGN).click()
    desk.wait_for_url(re.compile(r".*/campaigns/\d+/$"))
    campaign_url = desk.url
    desk.locator("#campaign-map .leaflet-interactive, #campaign-map canvas").first.wait_for()
    assert "飞线充电" in desk.locator("section.findings").inner_text()
    before = checked_in_grid1(desk)
    look(desk, "coverage", "desktop")

    # On the phone: the buildings of grid 1 still to check come first.
    phone = new_page(WORKER, viewport=PHONE)
    phone.goto(f"{base_url}/m/")
    phone.get_by_role("link", name="排查").click()
    phone.wait_for_url(f"{base_url}/m/campaigns/")
    first = phone.locator("li.card").first
    assert "尚未排查" in first.inner_text()
    look(phone, "todo", "phone")
    building = first.locator("strong").inner_text()
    first.locator("a").click()
    phone.wait_for_url(re.compile(r".*/m/campaigns/\d+/check/\d+/$"))
    for code in ("shed_snow", "eaves_ice", "trees_bent", "fire_lane", "wiring"):
        phone.locator(f"[data-question='{code}'] label", has_text="否").click()
    phone.locator("[data-question='flying_wire'] label", has_text="是").click()
    phone.locator("[data-question='pipes'] select").select_option(label="已保温")
    phone.get_by_label("备注（可不填）").fill("3单元窗口垂下电线给电动车充电，已提醒车主收回。")
    look(phone, "check", "phone")
    phone.get_by_role("button", name="提交排查结果").click()
    phone.wait_for_url(f"{base_url}/m/campaigns/")
    message = phone.locator("ul.messages").inner_text()
    assert building in message and "已立案" in message
    number = re.search(r"\d{15}", message).group(0)
    look(phone, "checked", "phone")

    # Back at the desk: the coverage moved, the case is the campaign's.
    desk.goto(campaign_url)
    assert checked_in_grid1(desk) == before + 1
    cases = desk.locator("table.campaign-cases").inner_text()
    assert number in cases
    look(desk, "coverage-after", "desktop")
    desk.get_by_role("link", name="排查报告").click()
    desk.wait_for_url(f"{campaign_url}report/")
    assert number in desk.locator("article.campaign-report").inner_text()
    look(desk, "report", "desktop")
    desk.emulate_media(media="print")
    assert desk.locator("nav.mainnav").is_hidden()
