"""The interface in English, for a browser that asks for it (Accept-Language: en): staff
pages, the grid worker's phone pages and the residents' pages carry no Chinese in their
chrome — navigation, headings, buttons, labels, table headers, legends, messages, states.

Data stays as it was written (names of places and people, case titles, the category tree and
its questions): the pages mark it ``translate="no"``, and it is left out here."""

import re

import pytest

from tests.browser.server import DESKTOP, PHONE
from wangge.demo import district as demo

pytestmark = pytest.mark.browser

ENGLISH = "en-US"

# The chrome's Chinese, if any: the text of these elements (leaving out what is marked as data,
# form controls' options and values), their aria-label and placeholder attributes, and the
# text of buttons given as <input>.
CHINESE_CHROME = """() => {
  const han = /[\\u3400-\\u9fff]/;
  const chrome = "nav a, h1, h2, h3, button, label, thead th, th[scope=col], summary, legend," +
    " dt, caption, .messages li, .errorlist li, span.state, span.mark, .status, .help";
  const textOf = (el) => {
    let text = "";
    for (const node of el.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) text += node.textContent;
      else if (node.nodeType === Node.ELEMENT_NODE
        && !node.matches("[translate=no], select, option, textarea, script, style")) {
        text += textOf(node);
      }
    }
    return text;
  };
  const found = [];
  for (const el of document.querySelectorAll(chrome)) {
    if (el.closest("[translate=no]") || !el.checkVisibility()) continue;
    const text = textOf(el).replace(/\\s+/g, " ").trim();
    if (han.test(text)) found.push(`<${el.tagName.toLowerCase()}> ${text.slice(0, 60)}`);
  }
  for (const el of document.querySelectorAll("[aria-label], [placeholder], input[type=submit]")) {
    if (el.closest("[translate=no]")) continue;
    for (const name of ["aria-label", "placeholder", "value"]) {
      const value = el.getAttribute(name) || "";
      if ((name !== "value" || el.type === "submit") && han.test(value)) {
        found.push(`<${el.tagName.toLowerCase()} ${name}="${value.slice(0, 60)}">`);
      }
    }
  }
  return found;
}"""


def assert_english(page):
    assert page.locator("html").get_attribute("lang") == "en", page.url
    assert page.evaluate(CHINESE_CHROME) == [], f"Chinese in the chrome of {page.url}"


def test_staff_pages_in_english(new_page, base_url):
    # At a desk, where the console shows the most (a phone only hides some of it).
    page = new_page(as_user="community_lvdu", viewport=DESKTOP, locale=ENGLISH)
    for path in ["/", "/cases/", "/cases/new/", "/map/", "/dashboard/", "/import/", "/audit/"]:
        page.goto(f"{base_url}{path}")
        assert_english(page)
    page.goto(f"{base_url}/cases/?state=dispatched")
    page.locator("table.cases tbody a").first.click()
    page.wait_for_load_state()
    assert re.search(r"/cases/\d+/$", page.url)
    for summary in page.locator("details.action > summary").all():
        summary.click()  # every move's form open: its labels and buttons shown
    assert_english(page)


def test_phone_pages_in_english(new_page, base_url):
    page = new_page(as_user="gridworker_lvdu1", viewport=PHONE, locale=ENGLISH)
    for path in ["/m/", "/m/report/", "/m/grid/"]:
        page.goto(f"{base_url}{path}")
        assert_english(page)
    page.goto(f"{base_url}/m/")
    page.locator("ul.cards a").first.click()
    page.wait_for_load_state()
    assert_english(page)


def test_resident_pages_in_english(new_page, base_url):
    page = new_page(viewport=PHONE, locale=ENGLISH)
    page.goto(f"{base_url}/accounts/login/")
    assert_english(page)
    page.goto(f"{base_url}/t/")
    assert_english(page)
    page.goto(f"{base_url}/r/{demo.LVDU_GRID1}/")
    assert_english(page)
    # A report sent in English: the answer, the tracking page and its messages in English too.
    category = page.get_by_label("What is it about?")
    category.select_option(index=1)
    page.get_by_label("What happened, and where exactly?").fill("楼道灯坏了，晚上很黑。")
    with page.expect_navigation():
        page.get_by_role("button", name="Send", exact=True).click()
    assert re.search(r"/t/[A-Z0-9]+/$", page.url), page.url
    assert "Keep your tracking code" in page.locator(".messages").inner_text()
    assert_english(page)
