"""Honest figures and the new category tree in Debian's Chromium, on a phone and at a desk:
the district's dashboard shows rates below 100 %; a resident reports a lift with someone
trapped and staff find it marked urgent with 119 to call; a resident's praise is thanked and
closed, with nothing to rate; the demo's text messages read as recorded, not sent. Screenshots
go to docs/screenshots/ (``figures-<page>-<size>.png``)."""

import re

import pytest

from tests.browser.server import (
    DESKTOP,
    PHONE,
    SHOTS,  # docs/screenshots/ under `make screenshots`
    both_sizes,
    picture,
    size_of,
)
from tests.browser.test_dashboard import open_dashboard
from tests.browser.test_pages import assert_page_basics

pytestmark = pytest.mark.browser

GRID = "410102010003001"  # 绿都社区 第1网格


def look(page, name: str, *, both: bool = True) -> None:
    """In Chinese, labelled, no sideways scrolling; a screenshot at the page's size and, with
    ``both``, at the other size too."""
    assert_page_basics(page)
    for size in both_sizes(page) if both else [size_of(page)]:
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], f"{page.url} scrolls sideways ({width}px)"
        picture(page, path=SHOTS / f"figures-{name}-{size}.png", full_page=True)


def percent(text: str) -> float:
    return float(text.strip().rstrip("%"))


def test_the_dashboard_shows_a_real_streets_spread(new_page, base_url):
    page = open_dashboard(new_page(as_user="district", viewport=DESKTOP), base_url)
    rates = {
        key: percent(page.locator(f'[data-rate="{key}"] .value').inner_text())
        for key in ("response_rate", "solve_rate", "satisfaction_rate")
    }
    assert all(85 <= value < 100 for value in rates.values()), rates
    look(page, "dashboard", both=False)
    # The phone's picture drawn anew: the charts are laid out for the width they are drawn at.
    page.set_viewport_size(PHONE)
    look(open_dashboard(page, base_url), "dashboard", both=False)


def report(page, base_url, category: str, words: str, answers: dict) -> str:
    """A resident's report from the grid's QR page; the tracking code it gives."""
    page.goto(f"{base_url}/r/{GRID}/")
    page.get_by_label("是什么事？").select_option(label=category)
    for name, value in answers.items():
        page.locator(f'input[name="{name}"][value="{value}"]').check()
    page.get_by_label("发生了什么？具体在哪里？").fill(words)
    page.get_by_role("button", name=re.compile("提交")).click()
    page.wait_for_url(re.compile(r"/t/[A-Z0-9]+/$"))
    return page.url.rstrip("/").rsplit("/", 1)[-1]


def test_a_lift_with_someone_trapped_is_urgent_with_119_to_call(new_page, base_url):
    words = "3号楼2单元电梯停在5楼不动了，里面关了一位老人"
    resident = new_page(viewport=PHONE)
    report(resident, base_url, "电梯 · 电梯故障", words, {"q-lift-trapped": "true"})
    look(resident, "lift-tracking")

    staff = new_page(as_user="community_lvdu", viewport=DESKTOP)
    staff.goto(f"{base_url}/cases/?category=DT01&state=reported")  # the newest first
    staff.locator("td.code a").first.click()
    assert words in staff.locator("main").inner_text()
    assert staff.locator("[data-urgent]").inner_text() == "紧急"
    text = staff.locator("main").inner_text()
    assert "请立即联系： 中原区消防救援大队 119" in text
    look(staff, "lift-case")


def test_praise_is_thanked_and_closed_with_nothing_to_rate(new_page, base_url):
    page = new_page(viewport=PHONE)
    report(
        page,
        base_url,
        "表扬 · 表扬工作人员",
        "网格员孙丽帮我家老人代办了医保卡，跑前跑后特别耐心，谢谢她！",
        {},
    )
    text = page.locator("main").inner_text()
    assert "已致谢" in text and "感谢您的表扬" in text
    assert page.locator('input[name="rating"]').count() == 0
    look(page, "praise-tracking")


def test_the_demos_text_messages_read_as_recorded_not_sent(new_page, base_url):
    page = new_page(as_user="community_lvdu", viewport=DESKTOP)
    page.goto(f"{base_url}/notices/")
    page.locator("main table a", has_text="电动车").first.click()
    report_ = page.locator("[data-delivery-report]")
    assert "已记录（未发出）" in report_.inner_text()
    assert "没有配置短信网关，居民没有收到" in report_.locator("[data-sms-logged]").inner_text()
    cells = report_.locator('tr[data-channel="sms"] td.num').all_inner_texts()
    assert cells[0] == "0" and int(cells[1]) > 0, cells
    look(page, "delivery-report")
