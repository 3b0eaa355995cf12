"""The keyboard alone, in Debian's Chromium: on the sign-in page, the case list and a resident's
report page, Tab goes through every link, button and form control in the order of the page,
each showing where the focus is (an outline or a ring, from :focus-visible); on the console's
pages the first Tab lands on "skip to content", which leads to the page's main part. The sign-in
page and the case list at a desk, the resident's page on a phone (a phone's layout only hides
some of what a desk's shows)."""

import pytest

from tests.browser.server import DESKTOP, PHONE
from wangge.demo import district as demo

pytestmark = pytest.mark.browser

# Every element Tab should stop at, in the order of the page, each marked with its place in
# that order (data-tab-stop). A group of radio buttons is one stop (its ticked one, or its first).
TAB_STOPS = """() => {
  const candidates = document.querySelectorAll(
    "a[href], area[href], button, input, select, textarea, summary, iframe, [tabindex]," +
    " [contenteditable='true'], [contenteditable='']");
  const stops = [];
  const radios = new Set();
  for (const el of candidates) {
    if (el.tabIndex < 0 || el.disabled || el.closest("[inert]")) continue;
    if (el.matches("input[type=hidden]")) continue;
    if (!el.checkVisibility({visibilityProperty: true})) continue;  // closed <details> too
    if (el.matches("input[type=radio]")) {
      const key = (el.form ? el.form.id || "form" : "") + "/" + el.name;
      if (radios.has(key)) continue;
      radios.add(key);
      const group = Array.from(document.querySelectorAll(`input[type=radio][name="${el.name}"]`))
        .filter((r) => r.form === el.form);
      const stop = group.find((r) => r.checked) || group[0];
      stops.push(stop);
      continue;
    }
    stops.push(el);
  }
  stops.forEach((el, i) => { el.dataset.tabStop = String(i); });
  return stops.map((el) => (el.matches("input, select, textarea") ? el.name || el.id
    : el.textContent.trim() || el.id || el.tagName).slice(0, 40));
}"""

# Where the focus is now, and whether it shows: an outline or a box shadow while it matches
# :focus-visible, on an element with a box on the screen.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const ring = style.boxShadow !== "none";
  const box = el.getBoundingClientRect();
  return {
    stop: el.dataset.tabStop === undefined ? null : Number(el.dataset.tabStop),
    what: el.outerHTML.slice(0, 120),
    visible: el.matches(":focus-visible") && (outline || ring) && box.width > 0 && box.height > 0
      && box.right > 0 && box.bottom > 0,
  };
}"""


def tab_through(page):
    """Press Tab once more than there are stops: the stops' names, the stop that had the
    focus before (or ``None``), and the stops reached, in order (``None``: the focus left the
    page, before it comes round again)."""
    names = page.evaluate(TAB_STOPS)
    assert names, f"nothing to Tab to on {page.url}"
    before = page.evaluate(FOCUSED)
    before = before["stop"] if before else None
    reached, hidden = [], []
    for _ in range(len(names) + 1):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:
            reached.append(None)
            continue
        assert focused["stop"] is not None, f"Tab reached something unexpected: {focused['what']}"
        reached.append(focused["stop"])
        if not focused["visible"]:
            hidden.append(focused["what"])
    assert hidden == [], f"no visible focus on {page.url}: {hidden}"
    return names, before, reached


def assert_in_order(names, before, reached):
    """Each stop once, in order, from the one after ``before`` round to where it began."""
    start = 0 if before is None else (before + 1) % len(names)
    expected = list(range(start, len(names))) + list(range(start))
    got = [stop for stop in reached if stop is not None]
    assert got[: len(expected)] == expected, [names[i] for i in got]


def test_sign_in_page(new_page, base_url):
    page = new_page(viewport=DESKTOP)
    page.goto(f"{base_url}/accounts/login/")
    # The user name has the focus already (autofocus); Tab goes on from there, round the page.
    assert page.evaluate("() => document.activeElement.id") == "id_username"
    names, before, reached = tab_through(page)
    assert names[before] == "username"
    assert names[0] == "跳到正文"
    assert_in_order(names, before, reached)


def test_case_list(new_page, base_url):
    page = new_page(as_user="community_lvdu", viewport=DESKTOP)
    page.goto(f"{base_url}/cases/")
    names, before, reached = tab_through(page)
    assert before is None
    assert names[0] == "跳到正文"
    assert_in_order(names, before, reached)

    # Enter on "skip to content" leads past the header: the next Tab is in the main part.
    page.goto(f"{base_url}/cases/")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "跳到正文"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("() => Boolean(document.activeElement.closest('main'))")


def test_resident_report_page(new_page, base_url):
    page = new_page(viewport=PHONE)
    page.goto(f"{base_url}/r/{demo.LVDU_GRID1}/")
    names, before, reached = tab_through(page)
    assert before is None
    assert names[0] == "跳到正文"
    assert_in_order(names, before, reached)

    # Another category, chosen from the keyboard: its questions come next in the order.
    category = page.get_by_label("是什么事？")
    category.focus()
    category.select_option(label="矛盾纠纷 · 宠物扰民")
    names, before, reached = tab_through(page)
    assert names[before] == "category"
    assert names[before + 1 : before + 3] == ["q-noise-period", "q-noise-source"]
    assert_in_order(names, before, reached)
