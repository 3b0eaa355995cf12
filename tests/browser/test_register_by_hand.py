"""The register by hand (item 12) in Debian's Chromium, in Chinese, at 390×844 and 1440×900, as
its users meet it.

Community staff register a household in a vacant dwelling of a building, add a person to it
(a wrong ID check character and a bad phone are named on their fields and the form keeps what
was typed), change the person (the numbers stay masked) and record a visit from the household
page. A grid worker on the phone records a visit to a household of their grid, with the
position from the browser's geolocation and a case of the household picked by number and
title, and the phone's visits-due and the home page's coverage move.

Screenshots go to ``docs/screenshots/register-*``.
"""

import re

import pytest

from tests.browser.server import (
    DESKTOP,
    PHONE,
    SHOTS,  # docs/screenshots/ under `make screenshots`
    both_sizes,
    picture,
)
from tests.browser.test_pages import assert_page_basics
from wangge.people.idnumber import check_digit

pytestmark = pytest.mark.browser

GRID1 = "410102010003001"
# Somewhere inside 绿都社区's grid 1, as the phone's GPS would say.
WHERE = {"latitude": 34.7555, "longitude": 113.6012}


def check(page, name: str) -> None:
    """Chinese and labelled, no sideways scrolling at either size, and a picture of each."""
    assert_page_basics(page)
    for size in both_sizes(page):
        scroll, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll <= window, f"{name} is {scroll}px wide in a {window}px window"
        picture(page, path=SHOTS / f"register-{name}-{size}.png", full_page=True)


def go(page, locator) -> None:
    locator.click()
    page.wait_for_load_state()


def valid_id(first17: str) -> str:
    return first17 + check_digit(first17)


def test_community_staff_register_a_household_and_its_member(new_page, base_url):
    page = new_page(as_user="community_lvdu", viewport=DESKTOP)
    main = page.locator("main")
    page.goto(f"{base_url}/registry/nodes/{GRID1}/")
    go(page, main.locator("table.buildings tbody a").first)
    building = page.get_by_role("heading", level=1).inner_text()
    # A vacant dwelling offers to register a household there.
    go(page, main.get_by_role("link", name="登记住户").nth(1))
    assert page.get_by_role("heading", level=1).inner_text() == "登记住户"
    dwelling = page.get_by_label("住房")
    assert dwelling.input_value() != ""  # the dwelling the link named is chosen
    chosen = dwelling.locator("option:checked").inner_text()
    page.get_by_label("居住类型").select_option(label="租住人口")
    page.get_by_label("备注（可不填）").fill("一家三口，2026年11月搬来")
    check(page, "household-new")
    go(page, page.get_by_role("button", name="登记该住户"))
    assert "已登记，请添加家庭成员" in page.locator(".messages").inner_text()
    assert chosen.split("（")[0] in main.inner_text() and building in main.inner_text()
    household_url = page.url

    # A member, first with a wrong check character and a phone that is no phone.
    go(page, main.get_by_role("link", name="添加家庭成员"))
    first17 = "41010219850317002"
    right = valid_id(first17)
    wrong = first17 + ("0" if right[-1] != "0" else "1")
    page.get_by_label("姓名", exact=True).fill("孙丽华")
    page.get_by_label("与户主关系").select_option(label="户主")
    page.get_by_label("身份证号", exact=True).fill(wrong)
    page.get_by_label("电话", exact=True).fill("12345")
    page.get_by_label("独居老人").check()
    go(page, page.get_by_role("button", name="加入该户"))
    id_error = page.locator("#id_id_number-error")
    assert id_error.inner_text() == f"身份证号校验位错误（应为{right[-1]}）"
    assert page.locator("#id_phone-error").inner_text().startswith("电话号码格式不正确")
    # What was typed is all still there.
    assert page.get_by_label("姓名", exact=True).input_value() == "孙丽华"
    assert page.get_by_label("身份证号", exact=True).input_value() == wrong
    assert page.get_by_label("电话", exact=True).input_value() == "12345"
    assert page.get_by_label("独居老人").is_checked()
    check(page, "person-refused")
    page.get_by_label("身份证号", exact=True).fill(right)
    page.get_by_label("电话", exact=True).fill("139 0371 5566")
    go(page, page.get_by_role("button", name="加入该户"))
    assert page.url == household_url
    row = main.locator("table.members tbody tr", has_text="孙丽华")
    assert "139****5566" in row.inner_text()  # a column a phone hides
    assert "13903715566" not in main.inner_text() and right not in main.inner_text()
    assert "独居老人" in row.inner_text()

    # Changed: the numbers stay masked, an empty field keeps them, a new phone replaces it.
    go(page, row.get_by_role("link", name="修改"))
    assert page.get_by_label("身份证号", exact=True).input_value() == ""
    assert f"{right[:6]}********{right[-4:]}" in main.inner_text()
    assert right not in page.content() and "13903715566" not in page.content()
    page.get_by_label("电话", exact=True).fill("13803716677")
    page.get_by_label("备注（可不填）").fill("女儿常来照看")
    check(page, "person-edit")
    go(page, page.get_by_role("button", name="保存"))
    assert page.locator("#phone").inner_text() == "138****6677"
    assert page.locator("#id-number").inner_text() == f"{right[:6]}********{right[-4:]}"

    # A visit, from the household's page.
    page.goto(household_url)
    go(page, main.get_by_role("link", name="记录走访"))
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", page.get_by_label("日期", exact=True).input_value())
    page.get_by_label("走访方式").select_option(label="入户走访")
    page.get_by_label("了解到的情况").fill("新搬来的租户，已留联系电话，介绍了网格员。")
    check(page, "visit-console")
    go(page, page.get_by_role("button", name="保存走访记录"))
    assert page.url == household_url
    visits = main.locator("ol.visits").inner_text()
    assert "新搬来的租户" in visits and "入户走访" in visits
    check(page, "household")


def visited(page) -> tuple[int, int]:
    """Grid 1's "visited" figure on the home page's coverage table: (visited, households)."""
    row = page.locator("table.coverage tbody tr").first  # the worker's one grid
    count = row.locator("td").nth(2).locator(".count").inner_text()
    part, whole = count.split("/")
    return int(part), int(whole)


def due(page) -> int:
    heading = page.get_by_role("heading", name=re.compile(r"天内未走访")).inner_text()
    return int(re.match(r"(\d+) 户", heading).group(1))


def test_a_grid_worker_records_a_visit_on_the_phone(new_page, base_url):
    page = new_page(as_user="gridworker_lvdu1", viewport=PHONE)
    page.context.grant_permissions(["geolocation"], origin=base_url)
    page.context.set_geolocation(WHERE)
    page.goto(f"{base_url}/")
    before = visited(page)

    page.goto(f"{base_url}/m/grid/")
    due_before = due(page)
    links = page.locator("ul.plain a").evaluate_all("links => links.map(a => a.href)")
    # The first household still due that has a case to link (a case of its building, or one
    # its people reported).
    for href in links[:60]:
        page.goto(href)
        if page.locator("select#id_case").count():
            break
    else:
        pytest.fail("no household due for a visit has a case")
    household = int(re.search(r"/m/households/(\d+)/visit/", page.url).group(1))
    assert page.get_by_role("heading", level=1).inner_text() == "记录走访"
    assert page.get_by_label("日期", exact=True).input_value() != ""  # today, unless changed
    page.get_by_label("走访方式").select_option(label="入户走访")
    page.get_by_label("了解到的情况").fill("楼道灯已修好，老人说晚上出门方便了。")
    case = page.get_by_label("关联案件（可不选）")
    options = case.locator("option").all_inner_texts()
    assert options[0] == "— 不关联 —" and re.match(r"\S+ · .+（.+）$", options[1]), options
    case.select_option(index=1)
    number = options[1].split(" · ")[0]
    page.get_by_role("button", name="加上我的位置").click()
    page.wait_for_function("() => document.querySelector('input[name=lat]').value !== ''")
    assert page.locator("[data-locate-status]").inner_text() == "已加上位置。"
    assert float(page.locator("input[name=lat]").input_value()) == pytest.approx(34.7555)
    check(page, "visit-phone")
    go(page, page.get_by_role("button", name="保存走访记录"))

    assert page.url == f"{base_url}/m/grid/"
    assert "走访已记录" in page.locator(".messages").inner_text()
    assert due(page) == due_before - 1
    assert f"/m/households/{household}/visit/" not in page.locator("ul.plain").inner_html()
    check(page, "grid-after-visit")
    page.goto(f"{base_url}/")
    after = visited(page)
    assert after == (before[0] + 1, before[1])
    check(page, "home-after-visit")

    page.goto(f"{base_url}/registry/households/{household}/")
    visit = page.locator("ol.visits li").first
    assert "楼道灯已修好" in visit.inner_text() and number in visit.inner_text()
    assert "已记录位置" in visit.inner_text()
