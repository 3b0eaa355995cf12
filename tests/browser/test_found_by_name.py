"""Found by name, never by number, in Debian's Chromium, in Chinese, at phone and desktop
size: the case list filtered by picking 供暖 from the category tree (searched by name), a
place from the scope tree, a handler by name, days from the date picker and states ticked;
and the phone's grid page for a district and a street, which asks for the place first.

Screenshots go to ``docs/screenshots/`` (``find-*``)."""

import datetime
import re

import pytest

from tests import pinned
from tests.browser.server import (
    DESKTOP,
    PHONE,
    SHOTS,  # docs/screenshots/ under `make screenshots`
    both_sizes,
    picture,
)
from tests.browser.test_pages import assert_page_basics

pytestmark = pytest.mark.browser


def shot(page, name: str) -> None:
    """The basics of every page, no sideways scrolling at either size, and a picture of each."""
    assert_page_basics(page)
    for size in both_sizes(page):
        scroll, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll <= window, f"{name} is {scroll}px wide in a {window}px window"
        picture(page, path=SHOTS / f"{name}-{size}.png", full_page=True)


def visible_options(select) -> list[str]:
    return select.evaluate(
        "s => Array.from(s.options).filter(o => !o.hidden).map(o => o.textContent.trim())"
    )


def test_the_case_list_filtered_by_picking_heating_from_the_tree(new_page, base_url):
    page = new_page(as_user="community_lvdu", viewport=DESKTOP)
    assert page.goto(f"{base_url}/cases/").status == 200
    page.get_by_text("筛选", exact=True).click()
    form = page.locator("form.filter-form")

    # The category: searched by name, 供暖 shows under 民生服务, and is picked.
    categories = form.get_by_label("分类", exact=True)
    form.get_by_role("searchbox", name="按名称查找分类").fill("供暖")
    assert visible_options(categories) == ["民生服务", "供暖"]
    assert categories.input_value() == "MS01"  # the first match is picked

    # The place: from the scope tree, by name.
    places = form.get_by_label("区域", exact=True)
    form.get_by_role("searchbox", name="按名称查找区域").fill("第1网格")
    assert visible_options(places) == ["绿都社区", "绿都社区 第1网格"]
    places.select_option("410102010003001")

    # The handler: by name, not by login name.
    handlers = form.get_by_label("承办人", exact=True)
    form.get_by_role("searchbox", name="按姓名查找人员").fill("孙丽")
    assert [text for text in visible_options(handlers) if "孙丽" in text]
    assert not [text for text in visible_options(handlers) if "gridworker" in text]
    form.get_by_role("searchbox", name="按姓名查找人员").fill("")  # anyone after all
    handlers.select_option("")

    # Days from the date picker, states as boxes.
    assert form.get_by_label("受理起始").get_attribute("type") == "date"
    first, last = pinned.today() - datetime.timedelta(days=364), pinned.today()
    form.get_by_label("受理起始").fill(first.isoformat())
    form.get_by_label("受理截止").fill(last.isoformat())
    form.get_by_label("全部已办结（结案、合并或作废）").check()
    late = form.get_by_label("已超时", exact=True)
    assert late.locator("option:checked").inner_text() == "全部"
    # The filters as they were picked (the form only: the list below is long).
    assert_page_basics(page)
    for size in both_sizes(page):
        picture(page.locator("details.filters"), path=SHOTS / f"find-cases-filters-{size}.png")

    form.get_by_role("button", name="查询").click()
    page.wait_for_load_state()
    assert "category=MS01" in page.url and "grid=410102010003001" in page.url
    assert "state=closed" in page.url and f"since={first.isoformat()}" in page.url
    rows = page.locator("table.cases tbody tr")
    assert rows.count() > 0
    # The category column (shown on a wide screen only).
    shown = {rows.nth(i).locator("td").nth(3).inner_text() for i in range(rows.count())}
    assert shown == {"供暖"}
    # The choices stay picked in the form.
    if not form.is_visible():
        page.get_by_text("筛选", exact=True).click()
    assert form.get_by_label("分类", exact=True).input_value() == "MS01"
    assert form.get_by_label("全部已办结（结案、合并或作废）").is_checked()
    shot(page, "find-cases-heating")


@pytest.mark.parametrize("persona", ["district", "street_zyxl"])
def test_the_phone_grid_page_asks_for_the_place_first(new_page, base_url, persona):
    page = new_page(as_user=persona, viewport=PHONE)
    response = page.goto(f"{base_url}/m/grid/")
    assert response.status == 200 and len(response.body()) < 20_000
    assert page.get_by_role("heading", level=1).inner_text() == "请选择网格"
    main = page.locator("main")
    if persona == "district":
        shot(page, "find-phone-grid-district")
        main.get_by_role("link", name=re.compile("绿都社区")).click()
        page.wait_for_load_state()
        assert "grid=410102010003" in page.url
    else:
        page.get_by_label("按名称查找网格或社区").fill("绿都")
        page.get_by_role("button", name="查找").click()
        page.wait_for_load_state()
        shot(page, "find-phone-grid-street")
    main.get_by_role("link", name=re.compile("第1网格")).first.click()
    page.wait_for_load_state()
    assert "grid=410102010003001" in page.url
    assert page.get_by_role("heading", level=1).inner_text() == "绿都社区 第1网格"
    assert page.get_by_role("link", name="选择其他网格").is_visible()
    if persona == "district":
        shot(page, "find-phone-grid-one")
