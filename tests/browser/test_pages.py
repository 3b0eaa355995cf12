"""The pages so far, in Debian's Chromium: sign in and out as every demo persona, the home
page of each, an import with a bad row, the audit log; in Chinese, labelled, keyboard-usable,
without console errors, and without horizontal scrolling on a phone."""

import re

import pytest
from openpyxl import Workbook

from tests.browser.server import DESKTOP, PASSWORD, PHONE, sign_in

pytestmark = pytest.mark.browser

# username → (places on the home page, text that must appear nowhere on it, sees households)
PERSONAS = {
    "district": (["中原区"], [], True),
    "street_zyxl": (["中原区 / 中原西路街道"], ["观澜社区"], True),
    "community_lvdu": (["中原西路街道 / 绿都社区"], ["观澜社区", "万达社区"], True),
    "gridleader_lvdu": (["绿都社区 / 第1网格", "绿都社区 / 第6网格"], ["观澜社区"], True),
    "gridworker_lvdu1": (["绿都社区 / 第1网格"], ["观澜社区", "第2网格"], True),
    "gridworker_lvdu2": (["绿都社区 / 第2网格"], ["观澜社区", "第1网格"], True),
    "gridworker_guanlan1": (["观澜社区 / 第1网格"], ["绿都社区"], True),
    "partymember_lvdu": (["中原西路街道 / 绿都社区"], ["观澜社区"], False),
}
HOUSEHOLD_COUNTS = ["户数", "居民"]

# (who, path) for every page there is so far; the import job page is checked in its test.
PAGES = [
    (None, "/accounts/login/"),
    ("gridworker_lvdu1", "/"),
    ("district", "/"),
    ("partymember_lvdu", "/"),
    ("community_lvdu", "/import/"),
    ("community_lvdu", "/audit/"),
]

UNLABELLED_CONTROLS = """() => Array.from(document.querySelectorAll("input, select, textarea"))
  .filter(el => !["hidden", "submit", "button", "reset", "image"].includes(el.type))
  .filter(el => !Array.from(el.labels || []).some(label => label.textContent.trim())
    && !(el.getAttribute("aria-label") || "").trim()
    && !el.getAttribute("aria-labelledby"))
  .map(el => el.outerHTML)"""


def assert_page_basics(page):
    """Chinese, titled, and no form control without a label."""
    assert page.locator("html").get_attribute("lang") == "zh-hans", page.url
    assert page.title().strip(), f"{page.url} has no <title>"
    assert page.evaluate(UNLABELLED_CONTROLS) == [], f"unlabelled controls on {page.url}"


def counts(page):
    """The numbers of the home page's 辖区概况, by label."""
    region = page.get_by_role("region", name="辖区概况")
    labels = region.locator(".label").all_inner_texts()
    values = region.locator(".value").all_inner_texts()
    return dict(zip(labels, values, strict=True))


@pytest.mark.parametrize("username", PERSONAS)
def test_sign_in_shows_own_places(page, base_url, username):
    places, absent, sees_households = PERSONAS[username]
    sign_in(page, base_url, username)

    assert page.url == f"{base_url}/"
    assert page.title() == "首页 · 网格"
    assert page.get_by_role("heading", level=1).inner_text().endswith("您好")
    scope = page.get_by_role("region", name="我的工作范围").inner_text()
    for place in places:
        assert place in scope
    main = page.locator("main").inner_text()
    for text in absent:
        assert text not in main
    shown = counts(page)
    for label in HOUSEHOLD_COUNTS:
        assert (label in shown) is sees_households, f"{username}: {label} in {shown}"
    assert page.get_by_role("region", name="提户知人").count() == int(sees_households)


def test_wrong_password_is_refused_in_chinese(page, base_url):
    sign_in(page, base_url, "gridworker_lvdu1", password="not-the-password")

    assert page.url.startswith(f"{base_url}/accounts/login/")
    assert "用户名或密码错误" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("用户名", exact=True).input_value() == "gridworker_lvdu1"
    assert page.get_by_label("密码", exact=True).input_value() == ""


def test_keyboard_only_sign_in(page, base_url):
    def focused():
        return page.evaluate("document.activeElement.id || document.activeElement.textContent")

    page.goto(f"{base_url}/accounts/login/")
    assert focused() == "id_username"  # autofocus: a keyboard user can type at once
    page.keyboard.type("community_lvdu")
    page.keyboard.press("Tab")
    assert focused() == "id_password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    assert focused().strip() == "登录"
    page.keyboard.press("Shift+Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert page.url == f"{base_url}/"
    assert "绿都社区" in page.get_by_role("region", name="我的工作范围").inner_text()


def test_sign_out(page, base_url):
    sign_in(page, base_url, "gridworker_lvdu2")
    page.get_by_role("button", name="退出").click()
    page.wait_for_load_state()

    assert page.url.startswith(f"{base_url}/accounts/login/")
    page.goto(f"{base_url}/")
    assert page.url.startswith(f"{base_url}/accounts/login/")
    assert page.get_by_role("button", name="退出").count() == 0


@pytest.mark.parametrize(("username", "path"), PAGES)
def test_page_is_chinese_titled_and_labelled(new_page, base_url, username, path):
    page = new_page(as_user=username)
    response = page.goto(f"{base_url}{path}")

    assert response.status == 200
    assert page.url == f"{base_url}{path}"
    assert_page_basics(page)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize(
    ("username", "path"),
    [(None, "/accounts/login/"), ("gridworker_lvdu1", "/"), ("district", "/")],
)
def test_no_horizontal_scroll(new_page, base_url, username, path, viewport):
    page = new_page(as_user=username, viewport=viewport)
    page.goto(f"{base_url}{path}")

    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{path} is {width[0]}px wide in a {width[1]}px window"


def test_import_with_a_bad_id_number_imports_nothing(new_page, base_url, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "身份证号", "网格编码"])
    sheet.append(["测试甲", "", "410102010003001"])
    sheet.append(["测试乙", "410102199013011234", "410102010003001"])  # month 13
    path = tmp_path / "人员.xlsx"
    book.save(path)

    page = new_page(as_user="community_lvdu")
    page.goto(f"{base_url}/")
    residents = counts(page)["居民"]
    page.get_by_role("link", name="导入", exact=True).click()
    page.get_by_label("导入内容").select_option(label="人员")
    page.get_by_label("文件（.xlsx 或 .csv）").set_input_files(path)
    assert not page.get_by_label("仅检查，不导入").is_checked()
    page.get_by_role("button", name="上传并检查").click()
    page.wait_for_load_state()

    assert re.fullmatch(rf"{base_url}/jobs/\d+/", page.url)
    assert_page_basics(page)
    assert "发现 1 个问题，未导入任何数据" in page.get_by_role("alert").inner_text()
    rows = page.locator("table tbody tr")
    assert rows.count() == 1
    row, column, message = rows.first.locator("td").all_inner_texts()
    assert (row, column) == ("3", "身份证号")
    assert "出生日期" in message

    page.goto(f"{base_url}/")
    assert counts(page)["居民"] == residents


@pytest.mark.parametrize("username", PERSONAS)
def test_main_navigation_leads_to_pages_one_may_see(new_page, base_url, username):
    page = new_page(as_user=username)
    page.goto(f"{base_url}/")
    links = page.get_by_role("navigation", name="主导航").get_by_role("link")
    broken = {}
    for link in links.all():
        response = page.request.get(f"{base_url}{link.get_attribute('href')}")
        if response.status != 200:
            broken[link.inner_text()] = response.status
    assert broken == {}
