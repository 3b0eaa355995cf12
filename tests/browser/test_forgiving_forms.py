"""Forms that forgive, in Debian's Chromium, in Chinese, at phone and desktop size: a resident
who gets the form wrong twice still reports and finds what they typed kept each time; a grid
worker's phone checks a report before keeping it, lists the reports waiting with their state
or problem, and lets the worker delete one stuck there and change another; a finish refused
for a bad photo keeps its text; the console's new case keeps every field.

Screenshots go to ``docs/screenshots/`` (``forgive-*-phone.png``, ``forgive-*-desktop.png``).
"""

import io
import uuid

import pytest
from PIL import Image

from tests.browser.server import (
    DESKTOP,
    PHONE,
    SHOTS,  # docs/screenshots/ under `make screenshots`
    both_sizes,
    picture,
)
from tests.browser.test_field import ready_then_offline
from tests.browser.test_pages import assert_page_basics

pytestmark = pytest.mark.browser

GRID1 = "410102010003001"
# The noise questions' own fieldset: since category tree 2026.2 the pollution questions ask
# "发生时段" too, in a fieldset hidden until a pollution category is chosen.
NOISE_QUESTIONS = "仅“噪音扰民、宠物扰民”类需填写"
PICKED = "s => s.selectedOptions[0].text"  # what a select shows as chosen


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "#3a7d44").save(out, "PNG")
    return out.getvalue()


# A real photo, and a file that only says it is one (the phone cannot tell; the server can).
PNG = {"name": "IMG_2032.png", "mimeType": "image/png", "buffer": _png()}
NOT_A_PHOTO = {
    "name": "IMG_2031.jpg",
    "mimeType": "image/jpeg",
    "buffer": b"<!doctype html><p>not a photo</p>",
}


def check(page, name: str) -> None:
    """The basics of every page, no sideways scrolling at either size, and a picture of each."""
    assert_page_basics(page)
    for size in both_sizes(page):
        scroll, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll <= window, f"{name} is {scroll}px wide in a {window}px window"
        picture(page, path=SHOTS / f"forgive-{name}-{size}.png", full_page=True)


def send(page, name="提交"):
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def test_a_resident_who_fails_twice_still_reports(new_page, base_url):
    page = new_page(viewport=PHONE, refusals=True)
    page.goto(f"{base_url}/r/{GRID1}/")
    words = f"楼上每晚十二点后还在跳绳 {uuid.uuid4().hex[:4]}"
    page.get_by_label("是什么事？").select_option(label="矛盾纠纷 · 噪音扰民")
    period = page.get_by_role("group", name=NOISE_QUESTIONS).get_by_label("发生时段")
    # Only the chosen category's "发生时段" is shown (the pollution one stays hidden).
    assert page.get_by_label("发生时段").locator("visible=true").count() == 1
    period.select_option(label="深夜凌晨")
    page.get_by_label("发生了什么？具体在哪里？").fill(words)
    page.get_by_label("地点（楼栋、单元或附近的标志）").fill("5号楼3单元")
    page.get_by_label("您的称呼（可不填）").fill("李阿姨")
    page.get_by_label("您的电话，方便回复您（可不填）").fill("1381234")  # a digit short
    send(page)

    # First mistake: the phone number. Everything typed and chosen is still there.
    alert = page.locator("form .error[role=alert]")
    assert "您填写的内容都已保留" in alert.inner_text()
    assert "电话号码格式不正确" in page.locator("#id_phone ~ .errorlist").inner_text()
    assert page.get_by_label("发生了什么？具体在哪里？").input_value() == words
    assert page.get_by_label("地点（楼栋、单元或附近的标志）").input_value() == "5号楼3单元"
    assert page.get_by_label("您的称呼（可不填）").input_value() == "李阿姨"
    assert page.get_by_label("您的电话，方便回复您（可不填）").input_value() == "1381234"
    chosen = page.get_by_label("是什么事？").evaluate("s => s.selectedOptions[0].text")
    assert chosen == "矛盾纠纷 · 噪音扰民"
    assert period.evaluate("s => s.selectedOptions[0].text") == "深夜凌晨"
    assert period.is_visible()
    assert page.get_by_label("发生时段").locator("visible=true").count() == 1
    check(page, "resident-refused")

    # Second mistake: the number corrected, a question left unanswered.
    page.get_by_label("您的电话，方便回复您（可不填）").fill("13812345678")
    period.select_option("")
    send(page)
    assert "“发生时段”必填" in page.locator("main").inner_text()
    assert page.get_by_label("发生了什么？具体在哪里？").input_value() == words
    assert page.get_by_label("您的电话，方便回复您（可不填）").input_value() == "13812345678"

    # Third time right: the report is in, with its tracking code.
    period.select_option(label="深夜凌晨")
    send(page)
    assert "/t/" in page.url
    assert "查询码" in page.locator(".messages").inner_text()
    assert words in page.locator("main").inner_text()
    check(page, "resident-reported")


def _report(page, words, *, category="事件 · 暴露垃圾", photo=None):
    page.select_option("select[name=category]", label=category)
    page.fill("textarea[name=description]", words)
    if photo is not None:
        page.set_input_files("input[name=photo]", photo)
    page.get_by_role("button", name="提交", exact=True).click()


def _outbox_row(page, words):
    return page.locator("[data-outbox-list] li", has_text=words)


def test_the_phone_checks_a_report_before_keeping_it(new_page, base_url):
    page = new_page("gridworker_lvdu1", viewport=PHONE)
    page.goto(f"{base_url}/m/report/")
    page.wait_for_load_state("networkidle")
    words = f"路边堆放建筑垃圾 {uuid.uuid4().hex[:4]}"
    # No category, and a file that is not a photo: said beside each field, nothing kept.
    page.fill("textarea[name=description]", words)
    page.set_input_files(
        "input[name=photo]", {"name": "清单.txt", "mimeType": "text/plain", "buffer": b"x"}
    )
    page.get_by_role("button", name="提交", exact=True).click()
    assert page.locator('[data-error-for="category"]').inner_text() == "请选择问题类别。"
    note = page.locator("[data-photo-note]")
    assert note.inner_text() == "照片需要重新选择：只能上传 JPEG、PNG 或 WebP 格式的照片"
    assert page.input_value("textarea[name=description]") == words
    assert page.locator("[data-outbox]").is_hidden()
    check(page, "phone-checked")
    # Ticked "solved on the spot" without saying what was done.
    page.select_option("select[name=category]", label="事件 · 暴露垃圾")
    page.get_by_label("已当场解决，立即办结").check()
    page.get_by_role("button", name="提交", exact=True).click()
    assert page.locator('[data-error-for="result"]').inner_text() == "请写明当场是怎么处理的。"
    assert page.locator("[data-outbox]").is_hidden()


def test_a_worker_deletes_a_stuck_report_and_changes_another(new_page, base_url):
    page = new_page("gridworker_lvdu1", viewport=PHONE, refusals=True)
    page.goto(f"{base_url}/m/report/")
    ready_then_offline(page)
    tag = uuid.uuid4().hex[:4]
    stuck, waiting = f"井盖缺失 {tag}", f"树枝压线 {tag}"
    # A photo that only looks like one (the phone cannot tell): the server will refuse it.
    _report(page, stuck, photo=NOT_A_PHOTO)
    page.locator("[data-outbox]").wait_for(state="visible")
    _report(page, waiting)
    page.wait_for_function(
        "() => document.querySelector('[data-outbox-count]').textContent === '2'"
    )
    row = _outbox_row(page, waiting)
    assert "网络未连接，恢复后自动发送" in row.inner_text()
    check(page, "outbox-offline")

    # Change the one waiting, still offline: the form opens filled from it.
    with page.expect_navigation():
        row.get_by_role("link", name="修改").click()
    assert "edit=" in page.url
    page.locator("[data-editing]").wait_for(state="visible")
    page.wait_for_function(
        f"() => document.querySelector('textarea[name=description]').value === {waiting!r}"
    )
    chosen = page.locator("select[name=category]").evaluate("s => s.selectedOptions[0].text")
    assert chosen == "事件 · 暴露垃圾"
    changed = f"{waiting}，3号楼北侧电线"
    page.fill("textarea[name=description]", changed)
    page.get_by_role("button", name="提交", exact=True).click()
    page.wait_for_function(
        "words => [...document.querySelectorAll('[data-outbox-list] li')]"
        ".some(li => li.textContent.includes(words))",
        arg=changed,
    )
    assert page.locator("[data-outbox-count]").inner_text() == "2"

    # The network returns: the changed one is sent, the other refused and kept with why.
    page.context.set_offline(False)
    page.wait_for_function(
        "() => document.querySelector('[data-outbox-count]').textContent === '1'"
    )
    row = _outbox_row(page, stuck)
    row.locator(".meta", has_text="未发送").wait_for()
    assert "只能上传 JPEG、PNG 或 WebP 格式的照片" in row.inner_text()
    check(page, "outbox-stuck")

    # Delete the stuck one, after saying yes.
    row.get_by_role("button", name="删除").click()
    assert "删除后无法恢复" in row.inner_text()
    row.get_by_role("button", name="保留").click()
    assert page.locator("[data-outbox-count]").inner_text() == "1"
    row.get_by_role("button", name="删除").click()
    row.get_by_role("button", name="确定删除").click()
    page.wait_for_function(
        "() => document.querySelector('[data-outbox-count]').textContent === '0'"
    )

    page.goto(f"{base_url}/m/")
    mine = page.locator("main").inner_text()
    assert changed in mine and stuck not in mine


def test_a_refused_outbox_report_opens_to_be_corrected(new_page, base_url):
    """A report the server refused opens filled, its photo asked for again, and goes in once
    a real photo is chosen."""
    page = new_page("gridworker_lvdu1", viewport=PHONE, refusals=True)
    page.goto(f"{base_url}/m/report/")
    page.wait_for_load_state("networkidle")
    words = f"垃圾桶满溢 {uuid.uuid4().hex[:4]}"
    _report(page, words, photo=NOT_A_PHOTO)
    # Sent at once and refused: the form keeps it, and says what to do with the photo.
    note = page.locator("[data-photo-note]")
    note.wait_for(state="visible")
    assert note.inner_text() == "照片需要重新选择：只能上传 JPEG、PNG 或 WebP 格式的照片"
    assert page.input_value("textarea[name=description]") == words
    assert "未发送" in _outbox_row(page, words).inner_text()
    check(page, "phone-refused")
    # Opened again from the outbox on another page, it is the same report.
    page.goto(f"{base_url}/m/")
    with page.expect_navigation():
        _outbox_row(page, words).get_by_role("link", name="修改").click()
    note.wait_for(state="visible")
    assert page.input_value("textarea[name=description]") == words
    page.set_input_files("input[name=photo]", PNG)
    page.get_by_role("button", name="提交", exact=True).click()
    page.wait_for_function(
        "() => document.querySelector('[data-outbox-count]').textContent === '0'"
    )
    assert "已发送：案件" in page.locator("[data-outbox-status]").inner_text()
    page.goto(f"{base_url}/m/")
    assert page.locator("main").get_by_text(words).count() == 1


def test_a_finish_refused_for_a_bad_photo_keeps_its_text(new_page, base_url):
    page = new_page("gridworker_lvdu1", viewport=PHONE, refusals=True)
    page.goto(f"{base_url}/m/")
    with page.expect_navigation():
        page.locator("ul.cards a").first.click()
    finish = page.locator("form.move-finish")
    text = f"已协调物业清理完毕 {uuid.uuid4().hex[:4]}"
    finish.get_by_label("处理结果", exact=True).fill(text)
    finish.get_by_label("处理后照片").set_input_files(NOT_A_PHOTO)
    with page.expect_navigation():
        finish.get_by_role("button", name="办结").click()
    finish = page.locator("form.move-finish")
    assert finish.get_by_label("处理结果", exact=True).input_value() == text
    assert "照片需要重新选择：只能上传 JPEG、PNG 或 WebP 格式的照片" in finish.inner_text()
    assert "“办结”未完成" in page.locator("main .error").inner_text()
    check(page, "finish-refused")


def test_the_console_keeps_a_refused_new_case(new_page, base_url):
    page = new_page("community_lvdu", viewport=DESKTOP, refusals=True)
    page.goto(f"{base_url}/cases/new/")
    words = f"居民来电：小区东门路灯不亮 {uuid.uuid4().hex[:4]}"
    page.get_by_label("来源", exact=True).select_option(label="电话")
    page.get_by_label("分类").select_option(label="部件 · 公用设施")
    page.get_by_label("反映的问题").fill(words)
    # The grid, found by name in the picker: the first match is picked.
    page.get_by_role("searchbox", name="按名称查找网格或社区").fill("绿都 第1网格")
    grid = page.get_by_label("网格", exact=True)
    assert grid.evaluate(PICKED) == "绿都社区 第1网格"
    page.get_by_label("反映人", exact=True).fill("周先生")
    page.get_by_label("反映人电话").fill("0371")
    send(page, "录入")
    assert "已填写和选择的内容都已保留" in page.locator("main .error").inner_text()
    assert page.get_by_label("反映的问题").input_value() == words
    assert page.get_by_label("反映人", exact=True).input_value() == "周先生"
    assert page.get_by_label("反映人电话").input_value() == "0371"
    assert page.get_by_label("来源", exact=True).evaluate(PICKED) == "电话"
    assert page.get_by_label("网格", exact=True).evaluate(PICKED) == "绿都社区 第1网格"
    check(page, "console-new-refused")
    page.get_by_label("反映人电话").fill("13700001111")
    send(page, "录入")
    assert "/cases/" in page.url and page.get_by_role("heading", level=1).is_visible()
