"""Friendly public errors in Debian's Chromium, against the demo server (which runs with
``WANGGE_DEBUG=1``, as ``make run`` does): a resident who mistypes a tracking code, scans a
worn grid QR code or opens a withdrawn notice sees a Chinese page (404) saying what to do —
never Django's technical 404 with the site's URL patterns. On a resident's phone, with
screenshots at phone and desktop width in ``docs/screenshots/``
(``not-found-<page>-<size>.png``)."""

import pytest

from tests.browser import server as srv
from tests.browser.server import PHONE, both_sizes, picture
from tests.browser.test_pages import assert_page_basics

pytestmark = pytest.mark.browser

SHOTS = srv.SHOTS  # docs/screenshots/ under `make screenshots`
TECHNICAL = ["Page not found", "URLconf", "Raised by", "Django", "DEBUG = True"]

PAGES = {
    # name → (path, heading, words of what to do)
    "tracking-code": (
        "/t/WRONG123/",
        "没有找到这个查询码对应的事项",
        ["短信", "重新输入", "网格员"],
    ),
    "grid": ("/r/410102999999001/", "没有找到这个网格的页面", ["重新扫描", "二维码", "网格员"]),
    "notice": ("/n/99999999/", "这条通知已不再显示", ["二维码", "网格员"]),
    "found": ("/found/NOSUCHCODE/", "没有找到这条失物招领启事", ["认领", "二维码"]),
    "other": ("/no-such-page/", "未找到", ["不存在"]),
}


@pytest.fixture
def resident_page(browser):
    """``resident_page(viewport)`` → a page as a resident's phone or computer opens it (no
    sign-in, Chinese). Console errors and uncaught exceptions fail the test — all but the one
    a browser logs for a document answered with 404, which is what these pages are."""
    contexts, problems = [], []

    def make(viewport):
        context = browser.new_context(viewport=viewport, locale=srv.LOCALE)
        contexts.append(context)
        page = context.new_page()

        def on_console(message):
            own_404 = "status of 404" in message.text and message.location.get("url") in (
                page.url,
                "",
            )
            if message.type == "error" and not own_404:
                problems.append(f"console error on {page.url}: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: problems.append(f"uncaught error: {error}"))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems, "\n".join(problems)


def look(page, response, name: str) -> str:
    assert response.status == 404, (page.url, response.status)
    assert_page_basics(page)
    text = page.locator("main").inner_text()
    html = page.content()
    for word in TECHNICAL:
        assert word not in html, (page.url, word)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for size in both_sizes(page):
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], f"{page.url} scrolls sideways ({width}px)"
        picture(page, path=str(SHOTS / f"not-found-{name}-{size}.png"), full_page=True)
    return text


@pytest.mark.parametrize("name", list(PAGES))
def test_a_wrong_public_link_says_what_to_do(resident_page, base_url, name):
    path, heading, words = PAGES[name]
    page = resident_page(PHONE)
    response = page.goto(f"{base_url}{path}")
    text = look(page, response, name)
    assert page.get_by_role("heading", level=1).inner_text() == heading
    for word in words:
        assert word in text, (word, text)


def test_a_resident_types_the_code_again_and_finds_the_report(resident_page, base_url):
    """From the page of a mistyped code, the right one opens the report."""
    from wangge.demo.district import LVDU_GRID1

    page = resident_page(PHONE)
    # A report made just now from the grid's page, for its tracking code.
    page.goto(f"{base_url}/r/{LVDU_GRID1}/")
    page.get_by_label("是什么事？").select_option(label="便民服务 · 咨询建议")
    page.get_by_label("发生了什么？具体在哪里？").fill("楼道灯坏了，晚上很黑")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(f"{base_url}/t/*/")
    code = page.url.rstrip("/").rsplit("/", 1)[-1]
    wrong = code[:-1] + ("Z" if code[-1] != "Z" else "Y")  # one character mistyped
    page.goto(f"{base_url}/t/{wrong}/")
    assert page.get_by_role("heading", level=1).inner_text() == "没有找到这个查询码对应的事项"
    page.get_by_label("查询码").fill(code.lower())
    page.get_by_role("button", name="查询").click()
    page.wait_for_url(f"{base_url}/t/{code}/")
    assert "楼道灯坏了" in page.locator("main").inner_text()
