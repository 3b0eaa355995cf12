"""Story S8, "A dog that barks all night" (航海西路街道 观澜社区), through the pages, in Chinese.

Ms Li scans the QR code of 观澜社区 grid 1 with her phone and reports the upstairs neighbour's
dog (no sign-in); she keeps the tracking code. The district's staff, at a desk, find it among
the cases 待受理, accept it and dispatch it to the grid worker; the grid worker signs for it on
the phone, visits with the mediator and finishes it with an internal note, a reply for Ms Li
and a photo; the staff verify
it; Ms Li opens her tracking page and is 满意, which closes the case; its timeline on the
console shows every step.

Every step clicks the pages' own links and buttons, found by their role and label.
"""

import os
import re

import pytest
from PIL import Image

from tests.browser.server import DESKTOP, PHONE, picture
from tests.browser.test_pages import assert_page_basics
from wangge.demo import district as demo

pytestmark = pytest.mark.browser

GRID = demo.GUANLAN_GRID1  # 观澜社区 第1网格
STAFF = "district"  # the district's administrator sees 观澜社区
WORKER = "gridworker_guanlan1"
WORKER_NAME = "观澜社区第1网格 吴敏"
CATEGORY = "矛盾纠纷 · 宠物扰民"
COMPLAINT = "楼上邻居家的狗每天夜里在阳台上叫，孩子没法写作业，老人睡不着；去敲门，邻居总不在家。"
OUTCOME = "调解员与网格员上门，张先生（2号楼2单元301）将狗移到室内并道歉"
# What Ms Li reads: written for her on purpose; the note above is internal.
REPLY = "调解员和网格员已上门沟通，邻居已把狗移到室内并向您致歉。"
# Where the development screenshots go (``WANGGE_S8_SHOTS=/tmp/s8``); none by default.
SHOTS = os.environ.get("WANGGE_S8_SHOTS")


def shot(page, name):
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        picture(page, path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def photo_png(tmp_path):
    """A small PNG, like a phone's photo of the inner room where the dog now sleeps."""
    image = Image.new("RGB", (64, 48), (230, 230, 220))
    image.paste((140, 100, 60), (20, 16, 44, 40))
    path = tmp_path / "处理后.png"
    image.save(path, format="PNG")
    return path


def act_on_case(page, action):
    """Open one of the case page's moves (a disclosure); its form."""
    page.locator("details.action > summary").filter(has_text=re.compile(f"^{action}$")).click()
    return page.locator("details.action[open] form")


def submit(locator):
    """Click a link or a button that leads to another page, and wait for it."""
    page = locator.page
    with page.expect_navigation():
        locator.click()
    page.wait_for_load_state()


def test_s8_a_dog_that_barks_all_night(new_page, base_url, tmp_path):
    # 1. Ms Li, on her phone, from the grid's QR code; no sign-in.
    resident = new_page(viewport=PHONE)
    resident.goto(f"{base_url}/r/{GRID}/")
    assert_page_basics(resident)
    assert "观澜社区 · 第1网格" in resident.locator("main").inner_text()
    resident.get_by_label("是什么事？").select_option(label=CATEGORY)
    # The category's own questions (the noise form) appear once it is chosen.
    questions = resident.locator("fieldset.questions", has_text="宠物扰民")
    questions.wait_for(state="visible")
    questions.get_by_label("发生时段").select_option(label="深夜凌晨")
    questions.get_by_label("声音来源").fill("楼上邻居阳台上的狗")
    resident.get_by_label("发生了什么？具体在哪里？").fill(COMPLAINT)
    resident.get_by_label("地点（楼栋、单元或附近的标志）").fill("7号院2号楼")
    resident.get_by_label("您的称呼（可不填）").fill("李女士")
    resident.get_by_label("您的电话，方便回复您（可不填）").fill("13903712468")
    shot(resident, "s8-1-report")
    submit(resident.get_by_role("button", name="提交"))

    assert re.fullmatch(rf"{base_url}/t/[A-Z0-9]+/", resident.url), resident.url
    code = resident.locator(".code-big").inner_text().strip()
    assert resident.url.endswith(f"/t/{code}/")
    assert f"请记下查询码：{code}" in resident.locator(".messages").inner_text()
    assert resident.locator(".status").inner_text() == "已收到，等待受理"
    title = resident.get_by_role("heading", level=1).inner_text()
    assert title and title in COMPLAINT
    shot(resident, "s8-2-tracking")

    # 2. The staff, at a desk: the case waits among 待受理; accept it, dispatch it.
    staff = new_page(as_user=STAFF, viewport=DESKTOP)
    staff.goto(f"{base_url}/cases/")
    submit(staff.get_by_role("navigation", name="需要您处理的").get_by_role("link", name="待受理"))
    assert_page_basics(staff)
    row = staff.locator("table.cases tbody tr", has_text=title).first
    assert row.locator(".state").inner_text() == "待受理"
    shot(staff, "s8-3-queue")
    submit(row.get_by_role("link"))
    case_url = staff.url
    assert re.fullmatch(rf"{base_url}/cases/\d+/", case_url), case_url
    assert staff.get_by_role("heading", level=1).inner_text() == title
    assert "李女士" in staff.locator("dl.facts").first.inner_text()
    answers = staff.locator("dl.answers").inner_text()
    assert "深夜凌晨" in answers and "楼上邻居阳台上的狗" in answers

    form = act_on_case(staff, "受理")
    submit(form.get_by_role("button", name="受理"))
    assert "受理" in staff.locator(".messages").inner_text()
    assert staff.locator(".status-line .state").inner_text() == "已受理"

    form = act_on_case(staff, "派遣")
    people = form.get_by_label("派给")
    worker = people.locator("option", has_text=WORKER_NAME).first.inner_text()
    people.select_option(label=worker)
    form.get_by_label("内部记录").fill("请与社区调解员一同上门了解情况")
    shot(staff, "s8-4-dispatch")
    submit(form.get_by_role("button", name="派遣"))
    assert staff.locator(".status-line .state").inner_text() == "已派遣"
    assert WORKER_NAME in staff.get_by_role("region", name="任务").inner_text()

    # 3. The grid worker, on the phone: sign for it, visit, finish with a note and a photo.
    worker_page = new_page(as_user=WORKER, viewport=PHONE)
    worker_page.goto(f"{base_url}/m/")
    assert_page_basics(worker_page)
    shot(worker_page, "s8-5-tasks")
    submit(worker_page.get_by_role("link").filter(has_text=title).first)
    assert_page_basics(worker_page)
    submit(worker_page.get_by_role("button", name="签收"))
    assert "签收" in worker_page.locator(".messages").inner_text()
    worker_page.get_by_label("处理结果").fill(OUTCOME)
    finish = worker_page.locator("form.move-finish")
    finish.get_by_label("答复居民").check()
    finish.get_by_label("居民可见的答复").fill(REPLY)
    photo = worker_page.get_by_label("处理后照片")
    if photo.count():
        photo.set_input_files(photo_png(tmp_path))
    shot(worker_page, "s8-6-finish")
    submit(worker_page.get_by_role("button", name="办结"))
    assert worker_page.url == f"{base_url}/m/"
    assert "办结" in worker_page.locator(".messages").inner_text()
    assert worker_page.get_by_role("link").filter(has_text=title).count() == 0

    # 4. The staff verify it.
    staff.goto(case_url)
    assert staff.locator(".status-line .state").inner_text() == "已办结待核查"
    assert staff.locator("ul.photos img").count() == 1
    form = act_on_case(staff, "核查通过")
    submit(form.get_by_role("button", name="核查通过"))
    assert staff.locator(".status-line .state").inner_text() == "已核查待回访"

    # 5. Ms Li opens her tracking page again and says she is satisfied.
    resident.goto(f"{base_url}/t/{code}/")
    assert_page_basics(resident)
    assert resident.locator(".status").inner_text() == "已办理完毕，请您评价"
    timeline = resident.locator("ol.timeline").inner_text()
    assert REPLY in timeline and OUTCOME not in timeline and "2单元301" not in timeline
    resident.get_by_label("满意", exact=True).check()
    shot(resident, "s8-7-rate")
    submit(resident.get_by_role("button", name="提交"))
    assert resident.locator(".status").inner_text() == "已办结"
    assert "满意" in resident.locator("main").inner_text()
    shot(resident, "s8-8-finished")

    # 6. Closed (结案), and its timeline shows each step, in order.
    staff.goto(case_url)
    assert staff.locator(".status-line .state").inner_text() == "已结案"
    timeline = staff.get_by_role("region", name="办理经过")
    steps = timeline.locator("li")
    texts = steps.all_inner_texts()
    shot(staff, "s8-9-closed")
    expected = ["收到反映", "受理", "派遣", "签收", "办结", "添加照片", "核查通过", "记录回访评价"]
    found = []
    for text in texts:
        for step in expected[len(found) :]:
            if step in text:
                found.append(step)
                break
    assert found == expected, texts
    assert "已结案" in texts[-1]
    assert any(OUTCOME in text for text in texts)
    assert "满意" in staff.locator("dl.facts").first.inner_text()
