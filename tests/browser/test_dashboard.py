"""The dashboard in Debian's Chromium: every chart drawn by the vendored ECharts (nothing
from the internet), its numbers one click away in a table, a tooltip giving each rate with
its counts, charts stacked on a phone and side by side on a desktop, without sideways
scrolling and without console errors."""

import re

import pytest

from tests.browser.server import DESKTOP, PHONE, both_sizes
from tests.browser.test_pages import assert_page_basics

pytestmark = pytest.mark.browser

CHARTS = "[data-chart]"
# ECharts draws on a <canvas> in each container; dashboard.js marks the container once its
# first drawing (animation included) has finished.
ALL_DRAWN = """() => {
  const boxes = Array.from(document.querySelectorAll("[data-chart]"));
  return boxes.length > 0
    && boxes.every((box) => box.dataset.drawn === "yes" && box.querySelector("canvas"));
}"""


def open_dashboard(page, base_url, query=""):
    """Open the dashboard and wait until every chart has been drawn."""
    outside = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url) if not request.url.startswith((base_url, "data:")) else None
        ),
    )
    response = page.goto(f"{base_url}/dashboard/{query}")
    assert response.status == 200
    page.wait_for_function(ALL_DRAWN)
    assert outside == [], f"the dashboard loaded files from elsewhere: {outside}"
    return page


def boxes(page, selector):
    return [
        page.locator(selector).nth(i).bounding_box() for i in range(page.locator(selector).count())
    ]


# At both sizes: the layout itself is checked, stacked on a phone and side by side at a desk.
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_community_dashboard_draws_every_chart(new_page, base_url, viewport):
    page = open_dashboard(new_page(as_user="community_lvdu", viewport=viewport), base_url)

    assert_page_basics(page)
    assert page.get_by_role("heading", level=1).inner_text().endswith("绿都社区")
    charts = boxes(page, CHARTS)
    assert len(charts) == 3
    for box in charts:
        assert box["width"] >= 250 and box["height"] >= 250, box
    assert page.locator(f"{CHARTS} canvas").count() >= 3
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the dashboard is {width[0]}px wide in a {width[1]}px window"

    cards = boxes(page, ".dash-card")
    ranking = page.locator('section[aria-labelledby="places-title"]').bounding_box()
    channels = page.locator('section[aria-labelledby="channels-title"]').bounding_box()
    same_row = abs(ranking["y"] - channels["y"]) < 1
    if viewport == PHONE:
        assert not same_row and len({round(box["x"]) for box in cards}) == 1  # stacked
    else:
        assert same_row  # side by side


def test_tooltip_gives_each_rate_with_its_counts(new_page, base_url):
    page = open_dashboard(new_page(as_user="community_lvdu", viewport=DESKTOP), base_url)
    chart = page.locator('[data-chart="months"]')
    box = chart.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.6)
    tooltip = chart.locator(".dash-tooltip")
    tooltip.wait_for(state="visible")
    text = tooltip.inner_text()
    assert re.search(r"\d+(\.\d)?%（\d+/\d+）", text), text
    labels = page.evaluate(
        "JSON.parse(document.getElementById('dashboard-data').textContent).labels.rates"
    )
    for label in labels.values():
        assert label in text


def test_numbers_of_a_chart_open_in_a_table(new_page, base_url):
    page = open_dashboard(new_page(as_user="community_lvdu", viewport=DESKTOP), base_url)
    numbers = page.locator('section[aria-labelledby="months-title"] details.numbers')
    table = numbers.locator("table")
    assert not table.is_visible()
    numbers.locator("summary").click()
    assert table.is_visible()
    assert table.locator("tbody tr").count() == 12
    for size in both_sizes(page):
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"an open table made the page scroll sideways ({size})"


def test_choosing_a_grid_from_the_form(new_page, base_url):
    page = open_dashboard(new_page(as_user="community_lvdu", viewport=PHONE), base_url)
    page.locator("#dash-node").select_option(label="\u3000第2网格")
    page.locator(".dash-form button[type=submit]").click()
    page.wait_for_load_state()
    page.wait_for_function(ALL_DRAWN)

    assert page.get_by_role("heading", level=1).inner_text().endswith("第2网格")
    assert "months=12" in page.url and "node=" in page.url
    assert page.locator("table.dash-ranking").count() == 0  # nothing below a grid


def test_grid_worker_dashboard_holds_their_grid_only(new_page, base_url):
    page = open_dashboard(new_page(as_user="gridworker_lvdu1", viewport=PHONE), base_url)
    main = page.locator("main").inner_text()
    assert "第1网格" in main
    for elsewhere in ("观澜社区", "第2网格"):
        assert elsewhere not in main
