"""S2 in Debian's Chromium, at a desk and on a phone: 绿都社区's staff (``community_lvdu``)
raise an errand for an elderly person living alone and give it to the party member
``partymember_lvdu``; on the phone the party member sees it (the person's name masked), takes
it, records it done with the minutes it took and the person's rating; the grid team page then
shows the hours. Screenshots: ``errands-<page>-<size>.png``."""

import pytest

from tests.browser.server import DESKTOP, PHONE, SHOTS, both_sizes, picture, size_of
from tests.browser.test_pages import assert_page_basics

pytestmark = pytest.mark.browser

STAFF = "community_lvdu"
PARTY = "partymember_lvdu"


def look(page, name: str, *, both: bool = True) -> None:
    """In Chinese, labelled, no sideways scrolling; a screenshot at the page's size and, with
    ``both``, at the other size too."""
    assert_page_basics(page)
    for size in both_sizes(page) if both else [size_of(page)]:
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], f"{page.url} scrolls sideways ({width}px)"
        picture(page, path=SHOTS / f"errands-{name}-{size}.png", full_page=True)


def test_s2_an_errand_for_an_elderly_person_living_alone(new_page, base_url):
    desk = new_page(STAFF, viewport=DESKTOP)
    desk.goto(f"{base_url}/errands/")
    look(desk, "list")
    desk.get_by_role("link", name="登记帮办").click()
    desk.wait_for_url(f"{base_url}/errands/new/")
    option = desk.locator("select[name=person] option", has_text="独居老人").first
    person = option.inner_text().split(" · ")[0]
    desk.locator("select[name=person]").select_option(option.get_attribute("value"))
    desk.locator("select[name=kind]").select_option(label="代购")
    description = "代购米面油（一周的量）"
    desk.get_by_label("需求", exact=True).fill(description)
    look(desk, "new")
    desk.get_by_role("button", name="登记", exact=True).click()
    desk.wait_for_url(f"{base_url}/errands/*/")
    errand_url = desk.url
    helper = desk.locator("select[name=helper] option", has_text="郑伟").first
    desk.locator("select[name=helper]").select_option(helper.get_attribute("value"))
    desk.get_by_role("button", name="派单").click()
    desk.wait_for_url(errand_url)
    assert "已派单" in desk.locator("main").inner_text()
    look(desk, "detail")

    # The party member, on the phone: the person by their surname, the address.
    phone = new_page(PARTY, viewport=PHONE)
    phone.goto(f"{base_url}/m/errands/")
    card = phone.locator("li.card", has_text=description[:8]).filter(has_text="已派单").first
    text = card.inner_text()
    assert person[0] in text and person not in text
    look(phone, "mine", both=False)
    card.locator("a").click()
    phone.get_by_role("button", name="我来办").click()
    phone.get_by_label("用时（分钟）").fill("40")
    phone.get_by_label("处理结果").fill("超市代购米面油，已送到家")
    look(phone, "done", both=False)
    phone.get_by_role("button", name="登记办结").first.click()
    phone.locator("input[name=rating][value='5']").check()
    phone.get_by_label("评价内容").fill("买得齐，谢谢")
    phone.get_by_role("button", name="记录回访评价").click()
    assert "已评价" in phone.locator("main").inner_text()
    look(phone, "rated", both=False)

    # The grid team page: the party member's hours this month.
    desk.goto(f"{base_url}/grid-team/?role=party_member")
    row = desk.locator("tr[data-member=partymember_lvdu]")
    assert float(row.locator("[data-hours]").inner_text()) >= 40 / 60
    look(desk, "team")
