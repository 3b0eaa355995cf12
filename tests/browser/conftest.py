"""Fixtures for the browser tests: one demo server and one Chromium for the whole session.

The server is a subprocess with its own throwaway data (see ``server.py``), not pytest-django's
``live_server``, whose teardown would flush the shared demo data.
"""

import re

import pytest

from tests.browser import server as srv


@pytest.fixture(scope="session")
def base_url(tmp_path_factory):
    if not srv.CHROMIUM.exists():
        pytest.skip(f"{srv.CHROMIUM} is absent: the browser tests need Debian's Chromium")
    with srv.demo_server(tmp_path_factory.mktemp("wangge-browser")) as url:
        yield url


@pytest.fixture(scope="session")
def browser(base_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = srv.launch(playwright)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def signed_in(browser, base_url):
    """``signed_in("district")`` → that persona's cookies, signed in through the form once."""
    states = {}

    def state(username):
        if username not in states:
            context = browser.new_context(locale=srv.LOCALE)
            page = context.new_page()
            srv.sign_in(page, base_url, username)
            assert page.url == f"{base_url}/", f"{username} could not sign in"
            states[username] = context.storage_state()
            context.close()
        return states[username]

    return state


@pytest.fixture
def new_page(browser, signed_in):
    """``new_page(as_user=None, viewport=DESKTOP, locale=LOCALE)`` → a page in a fresh context,
    in Chinese (``locale="en-US"``: as a browser asking for English).

    Console errors and uncaught exceptions on any page it visits fail the test — except the
    browser's note that the page itself came with a 400 (a refused form shown again with what
    was typed; a resource that fails to load still counts); with ``refusals=True`` any refused
    answer (Chromium's "the server responded with a status of 400, 409 or 429") is expected.
    """
    contexts, problems = [], []
    refused = re.compile(
        r"Failed to load resource: the server responded with a status of 4(00|09|29)"
    )

    def make(as_user=None, viewport=srv.DESKTOP, locale=srv.LOCALE, refusals=False):
        context = browser.new_context(
            viewport=viewport,
            locale=locale,
            storage_state=signed_in(as_user) if as_user else None,
        )
        contexts.append(context)
        page = context.new_page()

        def on_console(message):
            refused_form = (
                message.text.endswith("the server responded with a status of 400 (Bad Request)")
                and message.location.get("url") == page.url
            )
            if message.type == "error" and not (
                refused_form or (refusals and refused.match(message.text))
            ):
                problems.append(f"console error on {page.url}: {message.text}")

        def on_page_error(error):
            problems.append(f"uncaught error on {page.url}: {error}")

        page.on("console", on_console)
        page.on("pageerror", on_page_error)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture
def page(new_page):
    return new_page()
