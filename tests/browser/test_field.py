"""The grid worker's phone pages in Debian's Chromium: a report made with no network waits in
the outbox on the phone and is sent, once, when the network returns; the task list and the
grid page at phone size, labelled, in Chinese, without console errors."""

import uuid

import pytest

from tests.browser.server import PHONE
from tests.browser.test_pages import assert_page_basics

pytestmark = pytest.mark.browser


def ready_then_offline(page):
    """Let the page finish loading (its manifest, its service worker keeping the pages), then
    cut the network."""
    page.wait_for_load_state("networkidle")
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_load_state("networkidle")
    page.context.set_offline(True)
    page.wait_for_function("() => !navigator.onLine")


def test_a_report_made_offline_is_sent_once_when_the_network_returns(new_page, base_url):
    page = new_page("gridworker_lvdu1", viewport=PHONE)
    page.goto(f"{base_url}/m/report/")
    assert_page_basics(page)
    words = f"楼道堆放杂物 {uuid.uuid4().hex[:6]}"
    ready_then_offline(page)
    assert page.locator("[data-net]").inner_text().startswith("无网络")
    page.select_option("select[name=category]", label="事件 · 暴露垃圾")
    page.fill("textarea[name=description]", words)
    page.click("button[type=submit]")
    outbox = page.locator("[data-outbox]")
    outbox.wait_for(state="visible")
    assert page.locator("[data-outbox-count]").inner_text() == "1"
    assert words in page.locator("[data-outbox-list]").inner_text()
    # The form is ready for the next report, with a new key.
    assert page.input_value("textarea[name=description]") == ""

    page.context.set_offline(False)
    page.wait_for_function(
        "() => document.querySelector('[data-outbox-count]').textContent === '0'"
    )
    assert "已发送：案件" in page.locator("[data-outbox-status]").inner_text()
    page.click("[data-outbox-send]")  # sending again sends nothing more

    page.goto(f"{base_url}/m/")
    assert page.get_by_text(words).count() == 1


def test_a_report_kept_on_the_phone_survives_a_reload(new_page, base_url):
    page = new_page("gridworker_lvdu1", viewport=PHONE)
    page.goto(f"{base_url}/m/report/")
    ready_then_offline(page)
    words = f"井盖松动 {uuid.uuid4().hex[:6]}"
    page.select_option("select[name=category]", label="事件 · 暴露垃圾")
    page.fill("textarea[name=description]", words)
    page.click("button[type=submit]")
    page.locator("[data-outbox]").wait_for(state="visible")
    page.context.set_offline(False)
    # Back online on another page of the app: the outbox is sent from there.
    page.goto(f"{base_url}/m/grid/")
    page.wait_for_function(
        "() => document.querySelector('[data-outbox-count]').textContent === '0'"
    )
    page.goto(f"{base_url}/m/")
    assert page.get_by_text(words).count() == 1


def test_the_phone_pages(new_page, base_url):
    page = new_page("gridworker_lvdu1", viewport=PHONE)
    for path in ("/m/", "/m/report/", "/m/grid/"):
        page.goto(f"{base_url}{path}")
        assert_page_basics(page)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} scrolls sideways"
    page.goto(f"{base_url}/m/")
    first = page.locator("ul.cards a").first
    first.click()
    page.get_by_role("button", name="签收").or_(
        page.get_by_role("button", name="办结")
    ).first.wait_for()
