"""Story S8's mediation side (矛盾纠纷与人民调解) in Debian's Chromium, in Chinese: at a desk
(1440×900) the mediator opens a dispute of 观澜社区 taken in the day before (water leaking from
the flat above, found in the same screening drive as Ms Li's dog), records the mediation
session and the written agreement, and opens the 调解协议书 to print — the only page with the
parties' names in full; on the phone (390×844) the grid worker records the follow-up visit with
one thumb. The parties are masked on every other page. (The barking dog's own case loop and
callback are ``test_s8_barking_dog.py``; its dispute is settled in the demo already.)

The district's administrator plays the mediator: 观澜社区's own staff have no password in the
demo. Screenshots go to ``docs/screenshots/`` (``disputes-*-phone.png``, ``…-desktop.png``).
"""

import pytest

from tests.browser.server import DESKTOP, PHONE, SHOTS, picture
from tests.browser.test_pages import assert_page_basics

pytestmark = pytest.mark.browser

MEDIATOR = "district"
WORKER = "gridworker_guanlan1"
TITLE = "7号院3号楼楼上卫生间漏水渗至楼下"
APPLICANT = "王丽华"  # typed in at intake: masked everywhere but the printed agreement
TERMS = "陈志强于12月20日前请维修人员重做卫生间防水层，并承担楼下卫生间顶棚修复费用800元。"


def look(page, name: str) -> None:
    assert_page_basics(page)
    scroll, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= window, f"{name} is {scroll}px wide in a {window}px window"
    size = "phone" if page.viewport_size["width"] == PHONE["width"] else "desktop"
    picture(page, path=SHOTS / f"disputes-{name}-{size}.png", full_page=True)


def submit(locator):
    page = locator.page
    with page.expect_navigation():
        locator.click()
    page.wait_for_load_state()


def test_s8_a_mediation_recorded_agreed_printed_and_followed_up(new_page, base_url):
    # 1. At the desk: the list, from the navigation; the parties masked.
    desk = new_page(MEDIATOR, viewport=DESKTOP)
    desk.goto(f"{base_url}/")
    submit(desk.locator("nav.mainnav").get_by_role("link", name="网格工作"))
    assert desk.url == f"{base_url}/fieldwork/"
    submit(desk.locator("nav.subnav").get_by_role("link", name="调解"))
    assert desk.url == f"{base_url}/disputes/"
    row = desk.locator("table.disputes tbody tr", has_text=TITLE)
    assert "王**" in row.inner_text() and APPLICANT not in desk.locator("main").inner_text()
    look(desk, "list")
    submit(row.get_by_role("link", name=TITLE))
    assert desk.locator("[data-dispute-state]").inner_text() == "已受理"
    main = desk.locator("main").inner_text()
    assert "王**" in main and APPLICANT not in main and "136****0311" in main

    # 2. The session: both parties came, what was said.
    session = desk.locator("details.action", has_text="登记调解记录")
    session.locator("summary").click()
    session.get_by_label("调解地点").fill("7号院3号楼王女士家")
    session.get_by_label("调解经过").fill(
        "调解员与网格员上门查看：漏水来自楼上卫生间地面防水层，与公共管道无关。"
        "陈先生同意重做防水并承担楼下顶棚修复费用。"
    )
    look(desk, "session")
    submit(session.get_by_role("button", name="保存调解记录"))
    assert "调解记录已保存" in desk.locator(".messages").inner_text()
    assert desk.locator("[data-dispute-state]").inner_text() == "调解中"
    assert desk.locator("[data-session]").count() == 1

    # 3. The written agreement: terms, how and by when.
    outcome = desk.locator("details.action", has_text="登记调解结果")
    outcome.locator("summary").click()
    outcome.get_by_label("调解结果").select_option(label="达成书面协议（调解协议书）")
    outcome.get_by_label("争议事项及各方责任").fill(
        "漏水系楼上卫生间防水层老化所致，由陈志强承担维修责任。"
    )
    outcome.get_by_label("协议内容").fill(TERMS)
    outcome.get_by_label("履行方式").fill("陈志强自行委托维修，社区网格员回访督促")
    outcome.get_by_label("履行期限").fill("2026-12-20")
    submit(outcome.get_by_role("button", name="登记调解结果"))
    assert desk.locator("[data-dispute-state]").inner_text() == "达成书面协议"
    assert TERMS in desk.locator("[data-terms]").inner_text()
    look(desk, "agreed")

    # 4. The 调解协议书: one sheet per party and one for the committee, names in full.
    submit(desk.locator("[data-print]"))
    assert desk.url.endswith("/agreement/")
    sheets = desk.locator("main.sheet")
    assert sheets.count() == 3
    first = sheets.first.inner_text()
    assert "人民调解协议书" in first and APPLICANT in first and "陈志强" in first
    assert TERMS in first and "2026-12-20" in first
    assert "签名或按指印" in first and "人民调解委员会" in first
    assert "记入审计日志" in desk.locator(".screen-only").inner_text()
    look(desk, "agreement")

    # 5. On the phone: the grid worker's disputes, the follow-up visit with one thumb.
    phone = new_page(WORKER, viewport=PHONE)
    phone.goto(f"{base_url}/m/")
    submit(phone.get_by_role("link", name="调解纠纷"))
    card = phone.locator("ul.cards li", has_text=TITLE)
    assert "王**" in card.inner_text()
    look(phone, "phone-list")
    submit(card.get_by_role("link"))
    assert APPLICANT not in phone.locator("main").inner_text()
    for question, answer in (
        ("协议是否履行？", "是"),
        ("当事人是否满意？", "是"),
        ("是否有激化风险？", "否"),
    ):
        phone.locator("fieldset", has_text=question).get_by_label(answer, exact=True).check()
    phone.get_by_label("说明").fill("防水已重做，楼下不再渗水，顶棚已修好。")
    look(phone, "follow-up")
    submit(phone.get_by_role("button", name="保存回访记录"))
    assert "回访已登记" in phone.locator(".messages").inner_text()
    assert "满意" in phone.locator("[data-follow-up]").inner_text()
    look(phone, "followed-up")

    # 6. Back at the desk: the follow-up visit is on the dispute's page.
    desk.goto(desk.url.removesuffix("agreement/"))
    assert desk.locator("[data-follow-up]").count() == 1
    assert "无激化风险" in desk.locator("[data-follow-up]").inner_text()
