"""S4 in Debian's Chromium, through the staff pages, on a phone and at a desk: keys found at
gate 1 of the Wanda plaza are recorded, the notice goes out (copied for the WeChat groups, the
A4 poster with its QR code, the public page anyone can open), the owner from building 5 calls,
is checked and gets the keys; the item's case is closed within the hour, every step on its
timeline, and the public page says the keys are back.

The street's staff (``street_zyxl``, 中原西路街道) act: of the demo accounts, theirs is the
scope that holds 万达社区. Screenshots of each page go to /tmp (``s4-<page>-<size>.png``)."""

import datetime

import pytest

from tests.browser.server import DESKTOP, PHONE, both_sizes, picture
from tests.browser.test_pages import assert_page_basics

pytestmark = pytest.mark.browser

STAFF = "street_zyxl"
FINDER_PHONE = "13800000001"
OWNER_PHONE = "13903710005"
OFFICE_PHONE = "0371-67180000"


def look(page, name: str) -> None:
    """The page is in Chinese, labelled, fits the screen at either size; keep a screenshot of
    each."""
    assert_page_basics(page)
    for size in both_sizes(page):
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], f"{page.url} scrolls sideways ({width}px)"
        picture(page, path=f"/tmp/s4-{name}-{size}.png", full_page=True)


def main_text(page) -> str:
    return page.locator("main").inner_text()


def test_s4_keys_found_at_the_wanda_plaza_are_back_within_the_hour(new_page, base_url):
    page = new_page(STAFF, viewport=DESKTOP)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)

    # The list, from the navigation.
    page.goto(f"{base_url}/")
    page.locator("nav.mainnav").get_by_role("link", name="失物招领").click()
    page.wait_for_url(f"{base_url}/found/")
    look(page, "list-before")

    # A student hands over two bunches of keys found at gate 1: recorded at once.
    page.get_by_role("link", name="登记拾物").click()
    page.wait_for_url(f"{base_url}/found/new/")
    assert page.get_by_label("拾到时间", exact=True).input_value()  # now, by default
    page.get_by_label("拾到的物品", exact=True).fill("两串钥匙")
    page.get_by_label("拾到地点", exact=True).fill("万达广场1号门")
    plaza = page.locator("select[name=grid] option", has_text="万达广场专属网格")
    assert plaza.inner_text().startswith("万达社区 ")
    page.get_by_label("网格", exact=True).select_option(plaza.get_attribute("value"))
    page.get_by_label("拾到人（选填）", exact=True).fill("王同学")
    page.get_by_label("拾到人电话（选填）", exact=True).fill(FINDER_PHONE)
    page.get_by_label("保管地点", exact=True).fill("万达社区党群服务中心")
    page.get_by_label("认领电话（选填）", exact=True).fill(OFFICE_PHONE)
    look(page, "new")
    page.get_by_role("button", name="登记", exact=True).click()
    page.wait_for_url(f"{base_url}/found/*/")
    item_url = page.url
    assert "已登记：两串钥匙" in page.locator("ul.messages").inner_text()
    assert page.locator("[data-item-state]").inner_text() == "保管中"
    text = main_text(page)
    assert "138****0001" in text and FINDER_PHONE not in text
    case_url = page.locator("[data-case-link]").get_attribute("href")
    assert page.locator("[data-case-state]").inner_text() != "已结案"

    # The notice, copied for the community's WeChat accounts, the grid groups, the mall.
    page.get_by_role("button", name="复制启事").click()
    page.locator("[data-copy-status]").filter(has_text="已复制").wait_for()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == page.get_by_label("启事文字").input_value()
    for words in ("【失物招领】", "两串钥匙", "万达广场1号门", "万达社区党群服务中心"):
        assert words in copied
    assert OFFICE_PHONE in copied
    assert FINDER_PHONE not in copied and "王同学" not in copied
    look(page, "item")
    notice_url = page.locator("[data-public-notice]").get_attribute("href")
    assert notice_url in copied

    # The A4 poster for the notice board and the property office, with its QR code.
    page.get_by_role("link", name="A4 海报").click()
    page.wait_for_url(f"{item_url}poster/")
    assert page.locator("svg.qr").count() == 1
    assert "两串钥匙" in page.locator("main").inner_text()
    for size in both_sizes(page):
        picture(page, path=f"/tmp/s4-poster-{size}.png", full_page=True)
    page.go_back()
    page.wait_for_url(item_url)

    # Anyone opens the public notice from the QR code on their phone, without signing in.
    public = new_page(viewport=PHONE)
    public.goto(notice_url)
    assert public.url == notice_url
    text = main_text(public)
    assert "两串钥匙" in text and "万达广场1号门" in text and OFFICE_PHONE in text
    assert FINDER_PHONE not in text and "王同学" not in text and "交还" not in text
    look(public, "notice")

    # Within half an hour the owner, from building 5, calls: the claim is recorded.
    page.get_by_label("认领人", exact=True).fill("刘洋")
    page.get_by_label("认领人电话", exact=True).fill(OWNER_PHONE)
    page.get_by_label("认领人住址（选填）", exact=True).fill("万达社区5号楼2单元301")
    page.get_by_label("如何证明是其物品", exact=True).fill("钥匙扣是黄色小熊，两串共九把")
    page.get_by_role("button", name="登记认领").click()
    page.wait_for_url(item_url)
    assert "认领已登记" in page.locator("ul.messages").inner_text()
    claim = page.locator("li[data-claim]")
    assert claim.locator("[data-claim-state]").inner_text() == "待核实"
    assert "139****0005" in claim.inner_text() and OWNER_PHONE not in main_text(page)
    look(page, "claimed")

    # He describes the key ring and shows his identity card: checked, then handed the keys.
    page.get_by_label("核实情况").fill("钥匙扣特征一致，已查验身份证")
    page.get_by_role("button", name="核实通过").click()
    page.wait_for_url(item_url)
    assert claim.locator("[data-claim-state]").inner_text() == "已核实"
    page.get_by_label("交还说明（选填）").fill("失主当面签收")
    page.get_by_role("button", name="交还失主").click()
    page.wait_for_url(item_url)
    assert "物品已交还失主" in page.locator("ul.messages").inner_text()
    assert page.locator("[data-item-state]").inner_text() == "已交还失主"
    assert claim.locator("[data-claim-state]").inner_text() == "已交还"
    assert page.locator("[data-case-state]").inner_text() == "已结案"
    assert page.get_by_role("button", name="登记认领").count() == 0
    look(page, "handed-over")

    # Its case: closed (即办), every step on the timeline, within the hour.
    page.locator("[data-case-link]").click()
    page.wait_for_url(f"{base_url}{case_url}")
    assert "已结案" in page.locator(".status-line").inner_text()
    timeline = page.locator("ol.timeline").inner_text()
    for step in ("收到反映", "有人认领", "认领人已核实", "已交还失主", "→ 已结案"):
        assert step in timeline, step
    times = [
        datetime.datetime.strptime(when, "%Y-%m-%d %H:%M")
        for when in page.locator("ol.timeline .when").all_inner_texts()
    ]
    assert max(times) - min(times) < datetime.timedelta(hours=1)
    look(page, "case")

    # The public notice now says the keys are back.
    public.reload()
    assert "物品已交还失主" in main_text(public)
    assert "认领地点" not in main_text(public)
    look(public, "notice-after")
