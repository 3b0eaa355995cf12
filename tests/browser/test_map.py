"""The map page in Debian's Chromium: the grids are drawn from the app's own files (no base
map, nothing from the internet), a click on a grid opens its popup, "Find a grid" does the same
from the keyboard, the map fills the window below the top bar, and a grid worker's map holds
their grid only; at phone and desktop size, without console errors."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.server import DESKTOP, PHONE
from tests.browser.test_pages import assert_page_basics

pytestmark = pytest.mark.browser

GRIDS = "path.map-grid.leaflet-interactive"

# A point of the grid polygon that a click reaches (not under a marker, a building or a
# control), found by asking the page what lies on top.
CLICKABLE_POINT = """(path) => {
  const box = path.getBoundingClientRect();
  for (let fy = 0.5; fy < 0.95; fy += 0.05) {
    for (const fx of [0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8]) {
      for (const y of [box.top + box.height * fy, box.top + box.height * (1 - fy)]) {
        const x = box.left + box.width * fx;
        if (document.elementFromPoint(x, y) === path) return [x, y];
      }
    }
  }
  return null;
}"""


def open_map(page, base_url):
    """Open /map/ and wait until every layer has been fetched and drawn."""
    outside = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url) if not request.url.startswith((base_url, "data:")) else None
        ),
    )
    response = page.goto(f"{base_url}/map/")
    assert response.status == 200
    page.wait_for_selector("#map[data-loaded]", state="attached")
    assert page.locator("#map").get_attribute("data-loaded") == "yes"
    assert outside == [], f"the map loaded files from elsewhere: {outside}"
    return page


def click_a_grid(page, index=0):
    path = page.locator(GRIDS).nth(index)
    point = path.evaluate(CLICKABLE_POINT)
    assert point, "no part of the grid can be clicked"
    page.mouse.click(*point)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    return popup


def assert_fills_the_window(page):
    """The map fills the window below the top bar, without scrolling either way."""
    sizes = page.evaluate(
        """() => {
          const map = document.getElementById("map").getBoundingClientRect();
          const bar = document.querySelector(".map-bar").getBoundingClientRect();
          const root = document.documentElement;
          return [root.scrollWidth, root.scrollHeight, innerWidth, innerHeight,
                  map.bottom, bar.bottom, map.top];
        }"""
    )
    width, height, window_width, window_height, map_bottom, bar_bottom, map_top = sizes
    assert width <= window_width and height <= window_height
    assert abs(map_bottom - window_height) <= 1 and abs(map_top - bar_bottom) <= 1


def test_community_map_draws_its_grids_and_opens_a_grid(new_page, base_url):
    page = open_map(new_page(as_user="community_lvdu", viewport=DESKTOP), base_url)

    assert_page_basics(page)
    assert page.title().startswith("Map") or page.title().startswith("地图")
    assert page.locator(GRIDS).count() >= 6
    assert page.locator("path.map-building").count() > 0
    assert page.locator(".map-case, .map-cluster").count() > 0
    assert page.locator("#map-status").inner_text() == ""

    popup = click_a_grid(page)
    text = popup.inner_text()
    assert re.search(r"第\d网格", text) and "户数" in text
    link = popup.get_by_role("link")
    assert re.fullmatch(r"/cases/\?grid=\d+", link.get_attribute("href"))
    assert_fills_the_window(page)


def test_find_a_grid_opens_its_popup_from_the_keyboard(new_page, base_url):
    page = open_map(new_page(as_user="community_lvdu", viewport=DESKTOP), base_url)
    finder = page.locator("#map-grid")
    assert finder.is_enabled()
    options = finder.locator("option").all_inner_texts()
    assert "绿都社区 第2网格" in options
    assert not [option for option in options if "观澜社区" in option]

    finder.focus()
    finder.select_option(label="绿都社区 第2网格")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "第2网格" in popup.inner_text() and "绿都社区" in popup.inner_text()
    close = page.locator(".leaflet-popup-close-button")
    assert close.get_attribute("aria-label")


def test_grid_worker_map_holds_their_grid_only(new_page, base_url):
    page = open_map(new_page(as_user="gridworker_lvdu1", viewport=PHONE), base_url)

    assert page.locator(GRIDS).count() == 1
    options = page.locator("#map-grid option").all_inner_texts()
    assert "绿都社区 第1网格" in options
    for elsewhere in ("第2网格", "观澜社区"):
        assert not [option for option in options if elsewhere in option]
    popup = click_a_grid(page)
    assert "第1网格" in popup.inner_text()
    assert_fills_the_window(page)  # on a phone as well as at a desk


def test_layers_can_be_switched_off(new_page, base_url):
    page = open_map(new_page(as_user="community_lvdu", viewport=DESKTOP), base_url)
    switches = page.locator(".leaflet-control-layers-selector")
    assert switches.count() == 3
    assert page.locator("path.map-building").count() > 0
    page.get_by_role("checkbox", name="楼栋").uncheck()
    assert page.locator("path.map-building").count() == 0
    page.get_by_role("checkbox", name="网格").uncheck()
    assert page.locator(GRIDS).count() == 0


def test_the_servers_clusters_are_drawn_and_zoom_in_on_a_click(new_page, base_url):
    """A district's map gets clusters from the server when its view holds too many cases
    (``maps.views.MAX_POINTS``): here the answer is replaced by one cluster over the grids, and
    the page draws it with its count, red for its late cases, and zooms in on a click, asking
    again for what the new view holds."""
    page = new_page(as_user="community_lvdu", viewport=DESKTOP)
    asked = []

    def one_cluster(route):
        asked.append(route.request.url)
        real = route.fetch().json()
        lngs = [f["geometry"]["coordinates"][0] for f in real["features"]]
        lats = [f["geometry"]["coordinates"][1] for f in real["features"]]
        middle = [sum(lngs) / len(lngs), sum(lats) / len(lats)]
        cluster = {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": middle},
            "properties": {
                "cluster": True,
                "count": 4321,
                "late": 12,
                "bbox": [min(lngs), min(lats), max(lngs), max(lats)],
            },
        }
        route.fulfill(json={"type": "FeatureCollection", "features": [cluster]})

    page.route("**/map/cases.geojson*", one_cluster)
    open_map(page, base_url)
    assert page.locator("#map").get_attribute("data-cases") == "clusters"
    assert len(asked) == 1 and "bbox=" in asked[0] and "zoom=" in asked[0]
    cluster = page.locator(".map-cluster.is-late")
    assert cluster.count() == 1 and cluster.inner_text() == "4321"
    assert page.locator(".map-case").count() == 0

    cluster.click()
    for _ in range(50):  # the zoom animates, then the new view is asked for
        if len(asked) > 1:
            break
        page.wait_for_timeout(100)
    assert len(asked) == 2, "the zoomed view was not asked for"
    assert zoom_of(asked[1]) > zoom_of(asked[0])
    # The zoomed view's answer may still be on its way through the handler: let it arrive
    # before the page closes, or it fails in whatever test runs next.
    page.unroute_all(behavior="wait")


def zoom_of(url):
    return int(parse_qs(urlsplit(url).query)["zoom"][0])
