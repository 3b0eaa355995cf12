"""Every page of the console, the phone pages and the residents' pages, as a demo persona of
each role that may open it (and as nobody signed in), at phone and at desktop size, in Debian's
Chromium:
no console errors or uncaught exceptions (the ``new_page`` fixture), a <title>, ``lang`` zh-hans,
every form control labelled, no sideways scrolling on a phone, and text with WCAG AA contrast.

The pages are the URL configuration's routes, not a list kept by hand: those without parameters
as they are, those with parameters filled from the demo district by ``SAMPLES``. A new route
fails ``test_every_route_is_swept_or_excluded`` until it has a sample or is excluded with a
reason.
"""

from __future__ import annotations

import datetime
import functools
import io
import json
import os
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from openpyxl import Workbook

from tests import pinned
from tests.browser.server import DESKTOP, LOCALE, PHONE
from tests.browser.test_pages import PERSONAS, UNLABELLED_CONTROLS
from wangge.demo import district as demo

pytestmark = pytest.mark.browser

# What is not a page, by the start of its path: the API, the admin (Django's own), the language
# switch (a POST), the health check, Open311 (XML and JSON for other systems), file downloads.
EXCLUDED_PREFIXES = ("api/", "admin/", "i18n/", "healthz", "open311/", "export/")

# What is not a page, by route name, and why.
EXCLUDED = {
    "logout": "a POST",
    "import-template": "a file download (CSV)",
    "saved-view-save": "a POST",
    "saved-view-delete": "a POST",
    "case-console-act": "a POST",
    "case-console-bulk": "a POST",
    "case-console-reveal": "a POST",
    "case-console-duplicates": "a fragment of the new-case page, fetched by htmx",
    "found-claim": "a POST",
    "found-check": "a POST",
    "found-hand-over": "a POST",
    "found-publish": "a POST",
    "found-notice-photo": "a file (a photo on a found item's notice)",
    "found-notice-thumbnail": "a file (a photo on a found item's notice)",
    "phone-task-act": "a POST",
    "phone-case-act": "a POST",
    "phone-case-reveal": "a POST",
    "phone-manifest": "the phone pages' web app manifest (JSON)",
    "phone-sw": "the phone pages' service worker (JavaScript)",
    "map-grids": "a layer of the map page (GeoJSON)",
    "map-buildings": "a layer of the map page (GeoJSON)",
    "map-cases": "a layer of the map page (GeoJSON)",
    "registry-person-reveal": "a POST",
    "notice-publish": "a POST",
    "notice-review": "a POST",
    "notice-withdraw": "a POST",
    "notice-file": "a POST (an upload)",
    "notice-file-get": "a file (a notice's picture or attachment)",
    "notice-public-file": "a file (a notice's picture or attachment)",
    "notice-robot-switch": "a POST",
    "notice-follow-grid": "a POST",
    "notice-follow-case": "a POST",
    "campaign-team": "a POST (a campaign's team)",
    "campaign-act": "a POST (a campaign opened or closed)",
    "campaign-photo": "a file (a check's photo)",
    "campaign-photo-thumbnail": "a file (a check's photo)",
    "grid-team-building": "a POST (a building given or taken back)",
    "grid-team-add": "a POST (a member added from the team page)",
    "errand-act": "a POST",
    "phone-errand-act": "a POST",
    "dispute-session": "a POST",
    "dispute-outcome": "a POST",
    "dispute-signed": "a POST",
    "dispute-follow-up": "a POST",
    "dispute-close": "a POST",
    "checkpoint-retire": "a POST",
    "phone-patrol-start": "a POST",
    "phone-patrol-finding": "a POST",
    "phone-patrol-scan": "a POST",
    "phone-patrol-finish": "a POST",
}

GRIDS = [demo.LVDU_GRID1, demo.GUANLAN_GRID1, demo.LVDU_GRID2]

# Routes with parameters → the candidates for their parameters, from the demo district (see
# ``Demo``); each persona opens the first candidate it may see.
SAMPLES = {
    "job-detail": lambda d: [{"pk": d.job}],
    "case-console-detail": lambda d: [{"pk": pk} for pk in d.cases],
    "case-report": lambda d: [{"grid_code": code} for code in GRIDS],
    "case-report-poster": lambda d: [{"grid_code": code} for code in GRIDS],
    "case-track": lambda d: [{"code": d.tracking_code}],
    "found-detail": lambda d: [{"pk": d.found_item[0]}],
    "found-poster": lambda d: [{"pk": d.found_item[0]}],
    "found-notice": lambda d: [{"code": d.found_item[1]}],
    "found-edit": lambda d: [{"pk": d.found_item[0]}],
    "phone-task": lambda d: [{"pk": pk} for pk in d.tasks],
    "phone-case": lambda d: [{"pk": pk} for pk in d.cases],
    "registry-node": lambda d: [{"code": code} for code in [*GRIDS, demo.LVDU, demo.GUANLAN]],
    "registry-building": lambda d: [{"pk": pk} for pk in d.ids("buildings")],
    "registry-household": lambda d: [{"pk": pk} for pk in d.ids("households")],
    "registry-person": lambda d: [{"pk": pk} for pk in d.ids("persons")],
    "registry-household-new": lambda d: [{"building_pk": pk} for pk in d.ids("buildings")],
    "registry-household-edit": lambda d: [{"pk": pk} for pk in d.ids("households")],
    "registry-person-new": lambda d: [{"household_pk": pk} for pk in d.ids("households")],
    "registry-person-edit": lambda d: [{"pk": pk} for pk in d.ids("persons")],
    "registry-visit-new": lambda d: [{"household_pk": pk} for pk in d.ids("households")],
    "phone-visit": lambda d: [{"pk": pk} for pk in d.ids("households")],
    "notice-detail": lambda d: [{"pk": d.notice}],
    "notice-poster": lambda d: [{"pk": d.notice}],
    "notice-public": lambda d: [{"pk": d.notice}],
    "notice-edit": lambda d: [{"pk": d.draft_notice}],
    "notice-follow-confirm": lambda d: [{"token": d.follow_token}],
    "campaign-detail": lambda d: [{"pk": pk} for pk in d.everyone("campaigns")],
    "campaign-report": lambda d: [{"pk": pk} for pk in d.everyone("campaigns")],
    "phone-campaign-check": lambda d: d.campaign_buildings,
    "errand-detail": lambda d: [{"pk": pk} for pk in d.everyone("care-requests")],
    "phone-errand": lambda d: [{"pk": pk} for pk in d.everyone("care-requests")],
    "dispute-detail": lambda d: [{"pk": pk} for pk in d.everyone("disputes")],
    "dispute-agreement": lambda d: [{"pk": pk} for pk in d.agreements],
    "phone-dispute": lambda d: [{"pk": pk} for pk in d.everyone("disputes")],
    "patrol-detail": lambda d: [{"pk": pk} for pk in d.everyone("patrols")],
    "phone-patrol": lambda d: [{"pk": pk} for pk in d.everyone("patrols")],
    "checkpoint-label": lambda d: [{"pk": pk} for pk in d.everyone("checkpoints")],
    "phone-checkpoint": lambda d: [{"code": code} for code in d.checkpoint_codes],
}

# Grid workers whose own cases, tasks and registers give the candidates: one in 绿都社区, one
# next door, one in another street, so that every persona finds something it may open.
WORKERS = ["gridworker_lvdu1", "gridworker_lvdu2", "gridworker_guanlan1"]


@dataclass(frozen=True)
class Route:
    path: str  # as Django writes it: "cases/<int:pk>/"
    name: str
    parameters: tuple[str, ...]

    def fill(self, values: dict) -> str:
        path = self.path
        for key, value in values.items():
            path = re.sub(rf"<(?:\w+:)?{key}>", str(value), path)
        return "/" + path


def routes() -> list[Route]:
    """Every route of the URL configuration, with its full path."""
    from django.urls import URLPattern, URLResolver, get_resolver

    found = []

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                path = prefix + str(pattern.pattern)
                parameters = tuple(re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", path))
                names = tuple(a or b for a, b in parameters)
                found.append(Route(path, pattern.name or "", names))

    walk(get_resolver().url_patterns, "")
    return found


def pages() -> list[Route]:
    return [
        route
        for route in routes()
        if not route.path.startswith(EXCLUDED_PREFIXES) and route.name not in EXCLUDED
    ]


def test_every_route_is_swept_or_excluded():
    unsampled = [
        f"/{route.path} ({route.name or 'no name'})"
        for route in pages()
        if route.parameters and route.name not in SAMPLES
    ]
    assert unsampled == [], (
        "routes with parameters but no sample in SAMPLES (nor a reason in EXCLUDED): "
        + ", ".join(unsampled)
    )


class Demo:
    """Sample ids from the demo district, found through the API and the pages as the personas
    who may see them; each looked up once per run."""

    def __init__(self, browser, signed_in, base_url):
        self.browser, self.signed_in, self.base_url = browser, signed_in, base_url
        self.contexts = {}

    def context(self, username):
        if username not in self.contexts:
            self.contexts[username] = self.browser.new_context(
                locale=LOCALE, storage_state=self.signed_in(username)
            )
        return self.contexts[username]

    def api(self, username, path):
        response = self.context(username).request.get(f"{self.base_url}/api/v1/{path}")
        assert response.ok, f"{path} as {username}: {response.status}"
        return response.json()

    def first(self, path):
        """The first item of an API list for each of the grid workers."""
        return [
            items[0]["id"]
            for items in (self.api(worker, path)["items"] for worker in WORKERS)
            if items
        ]

    @functools.cached_property
    def cases(self):
        return self.first("cases?limit=1")

    @functools.cached_property
    def tasks(self):
        return self.first("tasks?limit=1&state=dispatched&state=signed&state=handling")

    @functools.cache  # noqa: B019 (one Demo per run)
    def ids(self, kind):
        return self.first(f"{kind}?limit=1")

    @functools.cache  # noqa: B019 (one Demo per run)
    def everyone(self, kind):
        """The first item of an API list for the grid workers and the district (field work's
        demo lies in communities the workers do not cover), without repeats."""
        found = [
            items[0]["id"]
            for items in (
                self.api(who, f"{kind}?limit=1")["items"] for who in [*WORKERS, "district"]
            )
            if items
        ]
        return list(dict.fromkeys(found))

    @functools.cached_property
    def campaign_buildings(self):
        """A building of each campaign's place, to check on the phone."""
        samples = []
        for pk in self.everyone("campaigns"):
            items = self.api("district", f"campaigns/{pk}/coverage")["items"]
            if items:
                samples.append({"pk": pk, "building": items[0]["id"]})
        return samples

    @functools.cached_property
    def agreements(self):
        """Disputes settled by a written agreement (the page that prints it)."""
        items = self.api("district", "disputes?limit=100")["items"]
        return [item["id"] for item in items if item.get("state") in ("agreed", "closed")] or [
            item["id"] for item in items
        ]

    @functools.cached_property
    def checkpoint_codes(self):
        return [item["code"] for item in self.api("district", "checkpoints?limit=5")["items"]]

    @functools.cached_property
    def tracking_code(self):
        """A case handled and waiting for the resident's rating (the page with the most)."""
        items = self.api("community_lvdu", "cases?state=verified&limit=1")["items"]
        case = items[0] if items else self.api("community_lvdu", "cases?limit=1")["items"][0]
        return self.api("community_lvdu", f"cases/{case['id']}")["tracking_code"]

    @functools.cached_property
    def notice(self):
        """A notice the demo published for 绿都社区's grids (S1)."""
        page = self.context("community_lvdu").new_page()
        page.goto(f"{self.base_url}/notices/?state=published")
        href = page.locator("table.notices a").first.get_attribute("href")
        page.close()
        return int(re.search(r"/notices/(\d+)/$", href).group(1))

    @functools.cached_property
    def draft_notice(self):
        """A draft, written through the page as 绿都社区's staff would."""
        page = self.context("community_lvdu").new_page()
        page.goto(f"{self.base_url}/notices/new/")
        page.get_by_label("类型", exact=True).select_option(index=1)
        page.get_by_label("标题", exact=True).fill("草稿：楼道清理")
        page.get_by_label("正文", exact=True).fill("本周六上午清理楼道杂物。")
        page.get_by_label("辖区", exact=True).select_option(label="绿都社区 第1网格")
        with page.expect_navigation():
            page.get_by_role("button", name="存为草稿").click()
        match = re.search(r"/notices/(\d+)/$", page.url)
        assert match, page.url
        page.close()
        return int(match.group(1))

    @functools.cached_property
    def follow_token(self):
        """A resident's number waiting for its code: given on a grid's page by someone not
        signed in, as a resident would (the page it leads to is the sample)."""
        context = self.browser.new_context(locale=LOCALE)
        page = context.new_page()
        page.goto(f"{self.base_url}/r/{demo.LVDU_GRID1}/")
        follow = page.locator("#follow")
        follow.get_by_label("您的手机号").fill("13900007777")
        with page.expect_navigation():
            follow.get_by_role("button", name="给我发短信").click()
        match = re.search(r"/follow/([^/]+)/$", page.url)
        assert match, page.url
        context.close()
        return match.group(1)

    @functools.cached_property
    def job(self):
        """An import checked without importing (a job of one's own, as the import page makes)."""
        book = Workbook()
        book.active.append(["姓名", "身份证号", "网格编码"])
        book.active.append(["测试甲", "410102199001011237", demo.LVDU_GRID1])
        data = io.BytesIO()
        book.save(data)
        page = self.context("community_lvdu").new_page()
        page.goto(f"{self.base_url}/import/")
        page.get_by_label("导入内容").select_option(label="人员")
        page.get_by_label("文件（.xlsx 或 .csv）").set_input_files(
            {"name": "人员.xlsx", "mimeType": "application/octet-stream", "buffer": data.getvalue()}
        )
        page.get_by_label("仅检查，不导入").check()
        with page.expect_navigation():
            page.get_by_role("button", name="上传并检查").click()
        match = re.search(r"/jobs/(\d+)/$", page.url)
        assert match, page.url
        page.close()
        return int(match.group(1))

    @functools.cached_property
    def found_item(self):
        """A found item (its id and its notice's code); one is recorded if there is none."""
        username = "community_lvdu"
        items = self.api(username, "found-items?limit=1")["items"]
        if not items:
            context = self.context(username)
            token = next(c["value"] for c in context.cookies() if c["name"] == "csrftoken")
            grid = self.api(username, "grids?limit=50")["items"]
            grid_id = next(g["id"] for g in grid if g["code"] == demo.LVDU_GRID1)
            response = context.request.post(
                f"{self.base_url}/api/v1/found-items",
                headers={"X-CSRFToken": token, "Referer": f"{self.base_url}/"},
                data={
                    "what": "钥匙一串",
                    "where": "绿都城1号楼楼下",
                    # a morning a few days before the tests' pinned day
                    "found_at": f"{pinned.today() - datetime.timedelta(days=3)}T09:30:00+08:00",
                    "grid_id": grid_id,
                    "kept_at": "绿都社区居委会",
                },
            )
            assert response.status == 201, response.text()
            items = [response.json()]
        item = items[0]
        return item["id"], urlsplit(item["notice_url"]).path.rstrip("/").rsplit("/", 1)[-1]

    def close(self):
        for context in self.contexts.values():
            context.close()


@pytest.fixture(scope="session")
def sweep_demo(browser, signed_in, base_url):
    samples = Demo(browser, signed_in, base_url)
    yield samples
    samples.close()


# One script per page: what the page says about itself, and the text whose contrast is too low.
# Contrast (WCAG 2.x): the text's colour against the background painted under it, found by
# walking up its ancestors and compositing their background colours (alpha included) over white;
# 4.5:1, or 3:1 for large text (24px, or 18.66px bold). Skipped: hidden elements, disabled
# controls, and text over a picture (a background image, an <img>, <canvas>, <svg> or <video>
# under it: map tiles, charts), whose background a script cannot know.
CHECK = """(unlabelledScript) => {
  const unlabelled = eval(unlabelledScript)();
  const parse = (text) => {
    let m = text.match(/^rgba?\\(([^)]*)\\)$/);
    if (m) {
      const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(parseFloat);
      return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
    }
    m = text.match(/^color\\(srgb ([^)]*)\\)$/);
    if (m) {
      const p = m[1].split(/[\\s\\/]+/).filter(Boolean).map(parseFloat);
      return [p[0] * 255, p[1] * 255, p[2] * 255, p.length > 3 ? p[3] : 1];
    }
    return null;
  };
  const over = (top, bottom) => {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat([1]);
  };
  const luminance = (c) => {
    const f = (v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const ratio = (a, b) => {
    const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const media = Array.from(document.querySelectorAll("img, canvas, svg, video"))
    .map((el) => el.getBoundingClientRect())
    .filter((r) => r.width > 0 && r.height > 0);
  const hits = (a, b) =>
    a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const background = (el) => {
    const layers = [];
    let opacity = 1;
    for (let e = el; e; e = e.parentElement) {
      const style = getComputedStyle(e);
      opacity *= parseFloat(style.opacity);
      if (style.backgroundImage !== "none") return null;
      const colour = parse(style.backgroundColor);
      if (colour && colour[3] > 0) {
        layers.push(colour);
        if (colour[3] >= 1) break;
      }
    }
    let colour = [255, 255, 255, 1];
    for (const layer of layers.reverse()) colour = over(layer, colour);
    return {colour, opacity};
  };
  const ownText = (el) => Array.from(el.childNodes)
    .filter((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
  const controls = "input:not([type=hidden]):not([type=checkbox]):not([type=radio])" +
    ":not([type=file]):not([type=range]):not([type=color]), select, textarea";
  const failures = [];
  for (const el of document.body.querySelectorAll("*")) {
    const isControl = el.matches(controls);
    const texts = isControl ? [] : ownText(el);
    if (!texts.length && !isControl) continue;
    if (el.closest("option, script, style, noscript, template, svg, canvas, [hidden]")) continue;
    if (el.matches(":disabled") || el.closest("[aria-disabled=true], fieldset:disabled")) continue;
    const style = getComputedStyle(el);
    if (!el.checkVisibility({visibilityProperty: true})) continue;  // closed <details> too
    let rects = [];
    if (isControl) {
      rects = [el.getBoundingClientRect()];
    } else {
      const range = document.createRange();
      for (const text of texts) {
        range.selectNodeContents(text);
        rects.push(...range.getClientRects());
      }
    }
    rects = rects.filter((r) => r.width > 1 && r.height > 1 && r.right > 0 && r.bottom > 0);
    if (!rects.length) continue;
    if (rects.some((r) => media.some((m) => hits(r, m)))) continue;
    const shown = background(el);
    if (!shown || shown.opacity === 0) continue;
    let colour = parse(style.color);
    let words = isControl ? (el.value || "") : texts.map((n) => n.textContent.trim()).join(" ");
    if (isControl && !el.value && el.placeholder) {
      colour = parse(getComputedStyle(el, "::placeholder").color);
      words = el.placeholder;
    }
    if (!colour || !words.trim()) continue;
    colour = [colour[0], colour[1], colour[2], colour[3] * shown.opacity];
    if (colour[3] === 0) continue;
    const painted = over(colour, shown.colour);
    const size = parseFloat(style.fontSize);
    const bold = parseInt(style.fontWeight, 10) >= 700;
    const needed = size >= 24 || (size >= 18.66 && bold) ? 3 : 4.5;
    const got = ratio(painted, shown.colour);
    if (got < needed - 0.005) {
      const classes = typeof el.className === "string" ? el.className.trim() : "";
      const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
        (classes ? "." + classes.split(/\\s+/).join(".") : "");
      const under = "rgb(" + shown.colour.slice(0, 3).map(Math.round).join(", ") + ")";
      failures.push(`${name} "${words.trim().slice(0, 30)}": ${got.toFixed(2)}:1 < ${needed}:1 ` +
        `(${style.color} on ${under}, ${size}px)`);
    }
  }
  return {
    lang: document.documentElement.lang,
    title: document.title.trim(),
    icon: Boolean(document.querySelector("link[rel~=icon]")),
    unlabelled,
    width: document.documentElement.scrollWidth,
    window: window.innerWidth,
    contrast: Array.from(new Set(failures)),
  };
}"""


def problems_of(page, viewport) -> list[str]:
    """Everything wrong with the page now open, in words."""
    seen = page.evaluate(CHECK, UNLABELLED_CONTROLS)
    problems = []
    if seen["lang"] != "zh-hans":
        problems.append(f"lang is {seen['lang']!r}")
    if not seen["title"]:
        problems.append("no <title>")
    if not seen["icon"]:
        problems.append("no <link rel=icon> (the browser asks for /favicon.ico: a 404)")
    problems += [f"unlabelled: {html}" for html in seen["unlabelled"]]
    if viewport is PHONE and seen["width"] > seen["window"]:
        problems.append(f"{seen['width']}px wide in a {seen['window']}px window")
    problems += [f"contrast: {failure}" for failure in seen["contrast"]]
    return problems


def settle(page, name):
    """Let the pages drawn by script finish drawing (the map's layers, the dashboard's charts)."""
    if name == "map":
        page.wait_for_selector("#map[data-loaded]", state="attached")
    if name == "dashboard":
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-chart]')]"
            ".every(c => c.dataset.drawn === 'yes')"
        )


def candidates(route, samples) -> list[str]:
    if not route.parameters:
        return ["/" + route.path]
    return [route.fill(values) for values in SAMPLES[route.name](samples)]


# One persona of each role: the demo's other grid workers (the next grid, another street) open
# the same pages with other rows in them, and what each may see is the scope matrix's to prove.
SWEPT = [name for name in PERSONAS if name not in {"gridworker_lvdu2", "gridworker_guanlan1"}]


@pytest.mark.parametrize("username", [None, *SWEPT], ids=["anonymous", *SWEPT])
def test_every_page_as(browser, signed_in, base_url, sweep_demo, tmp_path_factory, username):
    """One context for the persona; each page is opened once, at phone size, checked, then
    checked again at desktop size. A page the persona may not open (a 404, or the sign-in page
    instead) is passed over, and its candidates tried in turn."""
    context = browser.new_context(
        viewport=PHONE, locale=LOCALE, storage_state=signed_in(username) if username else None
    )
    page = context.new_page()
    errors = []
    # A page without an icon is reported as such; the browser's own request for /favicon.ico
    # may come after the next page has started (after a 404 page, say), so it is left out.
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.location.get("url", "").endswith("/favicon.ico")
            else None
        ),
    )
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    report, opened = [], set()
    try:
        for route in pages():
            for path in candidates(route, sweep_demo):
                # Nobody signed in is sent to the sign-in page from most pages: asked first
                # without the browser, such a redirect costs the server little.
                if username is None:
                    probe = context.request.get(f"{base_url}{path}", max_redirects=0)
                    if probe.status != 200:
                        continue
                page.set_viewport_size(PHONE)
                errors.clear()
                response = page.goto(f"{base_url}{path}")
                if response.status != 200 or urlsplit(page.url).path != urlsplit(path).path:
                    continue  # not this persona's page: its 404 is no fault
                opened.add(route.name)
                settle(page, route.name)
                problems = [f"(phone) {p}" for p in problems_of(page, PHONE)]
                page.set_viewport_size(DESKTOP)
                problems += [f"(desktop) {p}" for p in problems_of(page, DESKTOP)]
                problems += [f"console: {error}" for error in errors]
                report += [f"{path} {problem}" for problem in problems]
                break
    finally:
        context.close()
    assert opened, f"{username or 'nobody'} may open no page at all"
    assert report == [], f"as {username or 'nobody'}:\n" + "\n".join(report)
    # What each persona opened is written where every worker of the run can read it; the last
    # persona swept, in whichever process, checks that each page was opened by someone — a
    # route nobody may open is a POST, a file or a fragment to exclude, or has samples that
    # find nothing.
    base = tmp_path_factory.getbasetemp()  # a worker's own, inside the run's (pytest-xdist)
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "sweep-opened"
    shared.mkdir(exist_ok=True)
    (shared / f"{username or 'anonymous'}.json").write_text(json.dumps(sorted(opened)))
    swept = {path.stem: set(json.loads(path.read_text())) for path in shared.glob("*.json")}
    if len(swept) == 1 + len(SWEPT):
        everyone = set().union(*swept.values())
        missed = sorted(route.name or route.path for route in pages() if route.name not in everyone)
        assert missed == [], f"routes no persona could open: {missed}"
