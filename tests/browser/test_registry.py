"""The register (人房台账) in Debian's Chromium: from the district down through a street, a
community and a grid to a building, a household and a resident, at phone and desktop size,
in Chinese, labelled, without console errors and without sideways scrolling; then a number
revealed for a stated purpose.

Screenshots of each step go to ``$TMPDIR/wangge-registry/`` for a look at the layout."""

import re
import tempfile
from pathlib import Path

import pytest

from tests.browser.server import DESKTOP, PHONE, both_sizes, picture
from tests.browser.test_pages import assert_page_basics

pytestmark = pytest.mark.browser

SHOTS = Path(tempfile.gettempdir()) / "wangge-registry"


def check(page, step: str) -> None:
    """The basics of every page, no sideways scrolling at either size, and a picture of each."""
    assert_page_basics(page)
    SHOTS.mkdir(exist_ok=True)
    for size in both_sizes(page):
        scroll, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll <= window, f"{step} is {scroll}px wide in a {window}px window"
        picture(page, path=SHOTS / f"{step}-{size}.png", full_page=True)


def follow(page, link) -> None:
    link.click()
    page.wait_for_load_state()


def test_from_the_district_down_to_a_resident(new_page, base_url):
    page = new_page(as_user="district", viewport=DESKTOP)
    main = page.locator("main")
    response = page.goto(f"{base_url}/registry/")
    assert response.status == 200
    assert page.title() == "人房台账 · 网格"
    nav = page.get_by_role("navigation", name="主导航").get_by_role("link", name="人房台账")
    assert nav.get_attribute("aria-current") == "page"
    check(page, "1-tree")

    follow(page, main.get_by_role("link", name="中原区", exact=True))
    assert page.get_by_role("heading", level=1).inner_text() == "中原区"
    check(page, "2-district")

    follow(page, main.get_by_role("link", name="中原西路街道", exact=True))
    assert page.get_by_role("heading", level=1).inner_text() == "中原西路街道"
    crumbs = page.get_by_role("navigation", name="所在位置").inner_text()
    assert "中原区" in crumbs and "航海西路街道" not in crumbs
    check(page, "3-street")

    follow(page, main.get_by_role("link", name="绿都社区", exact=True))
    assert page.get_by_role("heading", level=1).inner_text() == "绿都社区"
    check(page, "4-community")

    follow(page, main.get_by_role("link", name="第1网格", exact=True))
    assert page.get_by_role("heading", level=1).inner_text() == "第1网格"
    assert main.get_by_role("heading", name="工作人员").is_visible()
    check(page, "5-grid")

    follow(page, main.locator("table.buildings tbody a").first)
    assert "/registry/buildings/" in page.url
    check(page, "6-building")

    # A dwelling with its household (an empty one offers to register one instead).
    follow(page, main.locator("table.dwellings tbody a[href*='/registry/households/']").first)
    assert "/registry/households/" in page.url
    members = main.locator("table.members tbody tr")
    assert members.count() >= 1
    check(page, "7-household")

    follow(page, main.locator("table.members tbody a").first)
    assert "/registry/persons/" in page.url
    phone = main.locator("#phone").inner_text()
    assert "****" in phone or phone == "—"
    check(page, "8-person")


def test_reveal_a_number_for_a_purpose(new_page, base_url):
    page = new_page(as_user="gridworker_lvdu1", viewport=PHONE)
    page.goto(f"{base_url}/registry/persons/?q=")
    page.locator("table.persons tbody a").first.click()
    page.wait_for_load_state()
    masked = page.locator("#id-number").inner_text()
    assert re.fullmatch(r"\d{6}\*{8}[\dX]{4}", masked), masked

    # Without a purpose the browser does not send the form.
    page.get_by_role("button", name="显示完整号码").click()
    assert "/reveal/" not in page.url

    page.get_by_label("号码", exact=True).select_option("id_number")
    page.get_by_label("查看原因", exact=True).fill("核实身份，办理高龄津贴")
    page.get_by_role("button", name="显示完整号码").click()
    page.wait_for_load_state()
    assert page.url.endswith("/reveal/")
    full = page.locator("#id-number .full").inner_text()
    assert re.fullmatch(r"\d{17}[\dX]", full), full
    assert page.get_by_role("status").inner_text().startswith("完整的身份证号")
    check(page, "9-revealed")


def test_the_pages_in_the_screenshots(new_page, base_url):
    """The register's pages ``screenshots.py`` takes, found the way it finds them."""
    page = new_page(as_user="community_lvdu", viewport=DESKTOP)
    page.goto(f"{base_url}/registry/households/")
    check(page, "list-households")
    household_path = page.locator("table.households tbody a").first.get_attribute("href")
    page.goto(f"{base_url}/registry/persons/?age_min=60")
    check(page, "list-persons")
    person_path = page.locator("table.persons tbody a").first.get_attribute("href")
    shots = {
        "registry": "/registry/",
        "registry-grid": "/registry/nodes/410102010003001/",
        "registry-household": household_path,
        "registry-person": person_path,
    }
    for name, path in shots.items():
        response = page.goto(f"{base_url}{path}")
        assert response.status == 200, path
        check(page, name)
    assert page.locator("#reveal-purpose").is_visible()
