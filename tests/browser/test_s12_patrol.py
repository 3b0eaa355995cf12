"""S12 (and S10) in Debian's Chromium: a grid worker starts a patrol on the phone with a party
member, walks (the position faked by the browser), loses the network, walks on and records two
findings — one solved on the spot —, gets the network back: the phone's outbox sends the trace
and the findings once, and sending again makes nothing twice. At the desk the patrol's page
draws the trace and the findings.

Screenshots go to ``docs/screenshots/`` (``patrols-*-phone.png``, ``patrols-*-desktop.png``).
"""

import pytest

from tests.browser.server import (
    DESKTOP,
    PHONE,
    SHOTS,  # docs/screenshots/ under `make screenshots`
    both_sizes,
    picture,
    size_of,
)
from tests.browser.test_pages import assert_page_basics

pytestmark = pytest.mark.browser

WORKER = "gridworker_lvdu1"
OFFICE = "community_lvdu"
GRID = "410102010003001"


def look(page, name: str, *, both: bool = True) -> None:
    """In Chinese, labelled, no sideways scrolling; a screenshot at the page's size and, with
    ``both``, at the other size too."""
    assert_page_basics(page)
    for size in both_sizes(page) if both else [size_of(page)]:
        scroll, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll <= window, f"{name} is {scroll}px wide in a {window}px window"
        picture(page, path=SHOTS / f"patrols-{name}-{size}.png", full_page=True)


def move_to(page, lng: float, lat: float, points: int) -> None:
    """The phone moves; the page has then followed ``points`` fixes in all."""
    page.context.set_geolocation({"longitude": lng, "latitude": lat, "accuracy": 8})
    page.wait_for_function(f"() => window.__patrolFixes >= {points}")


def record_finding(page, category: str, words: str, result: str = "") -> None:
    finding = page.locator("details#finding")
    if not finding.evaluate("details => details.open"):
        finding.locator("summary").click()
    page.select_option("select[name=category]", label=category)
    page.fill("textarea[name=description]", words)
    if result:
        page.check("input[name=solve_now]")
        page.fill("textarea[name=result]", result)
    page.click("form[data-patrol-finding] button[type=submit]")


def test_s12_a_patrol_walked_offline_is_sent_once(new_page, base_url):
    page = new_page(WORKER, viewport=PHONE)
    context = page.context
    context.grant_permissions(["geolocation"], origin=base_url)
    building = page.request.get(
        f"{base_url}/api/v1/buildings", params={"grid": GRID, "limit": 1}
    ).json()["items"][0]
    lng, lat = building["lng"], building["lat"]
    context.set_geolocation({"longitude": lng, "latitude": lat, "accuracy": 8})
    page.add_init_script(
        "window.__patrolFixes = 0;"
        "const watch = navigator.geolocation.watchPosition.bind(navigator.geolocation);"
        "navigator.geolocation.watchPosition = (ok, ...rest) =>"
        " watch((p) => { window.__patrolFixes += 1; ok(p); }, ...rest);"
    )

    # Start: ad hoc, in my grid, with the party member picked by name.
    page.goto(f"{base_url}/m/")
    page.get_by_role("link", name="巡查", exact=True).click()
    page.wait_for_url(f"{base_url}/m/patrols/")
    page.get_by_label("绿都社区双报到党员 郑伟").check()
    look(page, "start", both=False)
    page.get_by_role("button", name="开始巡查").click()
    page.wait_for_url(f"{base_url}/m/patrols/*/")
    patrol_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    page.wait_for_function("() => window.__patrolFixes >= 1")
    api = f"{base_url}/api/v1/patrols/{patrol_id}"

    # The network goes; the worker walks on and finds two things.
    page.wait_for_load_state("networkidle")
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    context.set_offline(True)
    page.wait_for_function("() => !navigator.onLine")
    move_to(page, lng, lat + 0.0005, 2)
    move_to(page, lng + 0.0005, lat + 0.0005, 3)
    record_finding(page, "社会救助 · 流浪乞讨", "桥洞下有人露宿，衣着单薄")
    page.locator("[data-outbox-count]").filter(has_text="1").wait_for()
    move_to(page, lng + 0.001, lat + 0.0005, 4)
    record_finding(
        page, "便民服务 · 车辆求助", "居民汽车电瓶亏电打不着火", result="招呼路人帮忙推车，车辆启动"
    )
    page.locator("[data-outbox-count]").filter(has_text="2").wait_for()
    assert "4" in page.locator("[data-trace-waiting]").inner_text()
    look(page, "offline", both=False)

    # Back online: the outbox sends the trace and the findings, once.
    sent = []
    page.on(
        "request",
        lambda request: (
            sent.append(request.post_data)
            if request.url.endswith("/trace") and request.method == "POST"
            else None
        ),
    )
    context.set_offline(False)
    page.wait_for_function(
        "() => document.querySelector('[data-outbox-count]').textContent === '0'"
    )
    page.wait_for_function("() => document.querySelector('[data-points]').textContent === '4'")
    detail = page.request.get(api).json()
    assert detail["point_count"] == 4
    assert len(detail["findings"]) == 2
    assert {f["channel"] for f in detail["findings"]} == {"patrol"}
    # The outbox may send the two in either order; the car was solved on the spot.
    solved = {f["title"]: f["solved_on_the_spot"] for f in detail["findings"]}
    assert sorted(solved.values()) == [False, True]
    assert next(v for title, v in solved.items() if "车辆" in title or "电瓶" in title)
    assert {m["name"] for m in detail["members"]} == {
        "绿都社区第1网格 孙丽",
        "绿都社区双报到党员 郑伟",
    }

    # Sent again (a retry on a bad network): nothing more is stored.
    csrf = next(c["value"] for c in context.cookies() if c["name"] == "csrftoken")
    assert sent
    for body in sent:
        again = page.request.post(
            f"{api}/trace",
            data=body,
            headers={"Content-Type": "application/json", "X-CSRFToken": csrf},
        )
        assert again.status == 200 and again.json()["added"] == 0
    page.click("[data-outbox-send]")
    page.reload()
    detail = page.request.get(api).json()
    assert detail["point_count"] == 4 and len(detail["findings"]) == 2
    look(page, "running", both=False)

    with page.expect_navigation():
        page.get_by_role("button", name="结束巡查").click()
    assert "巡查已结束" in page.locator("ul.messages").inner_text()
    look(page, "finished", both=False)
    assert page.request.get(api).json()["state"] == "finished"

    # At the desk: the trace on the map, the findings as markers and in the list.
    desk = new_page(OFFICE, viewport=DESKTOP)
    desk.goto(f"{base_url}/patrols/")
    assert desk.locator(f"a[href='/patrols/{patrol_id}/']").count() == 1
    look(desk, "list")
    desk.goto(f"{base_url}/patrols/{patrol_id}/")
    desk.locator("path.patrol-segment").first.wait_for()
    assert desk.locator("path.patrol-finding").count() == 2
    text = desk.locator("main").inner_text()
    assert "桥洞下有人露宿" in text and "居民汽车电瓶亏电" in text
    look(desk, "detail")


def test_s12_the_demo_night_patrol_at_the_desk(new_page, base_url):
    """平安街社区's night patrol: four walkers, a trace with a gap (two pieces), two findings."""
    page = new_page("district", viewport=DESKTOP)
    listed = page.request.get(f"{base_url}/api/v1/patrols", params={"grid": "410102006010"}).json()[
        "items"
    ]
    page.goto(f"{base_url}/patrols/{listed[0]['id']}/")
    page.locator("path.patrol-segment").first.wait_for()
    assert page.locator("path.patrol-segment").count() == 2
    assert page.locator("path.patrol-finding").count() == 2
    assert page.locator("[data-patrol-gaps]").inner_text() == "1"
    look(page, "night", both=False)
