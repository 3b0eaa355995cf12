"""Fixtures for the browser tests: one demo server and one Chromium for the whole session.

The server is a subprocess with its own throwaway data (see ``server.py``), not pytest-django's
``live_server``, whose teardown would flush the shared demo data: on SQLite a copy of the test
database as the demo left it (built once for the worker), elsewhere a demo of its own.
"""

import os
import re
import sqlite3

import pytest

from tests.browser import server as srv


@pytest.fixture(scope="session")
def base_url(request, tmp_path_factory, django_db_setup, django_db_blocker):
    if not srv.CHROMIUM.exists():
        pytest.skip(f"{srv.CHROMIUM} is absent: the browser tests need Debian's Chromium")
    var_dir = tmp_path_factory.mktemp("wangge-browser")
    copy = None
    if getattr(request.config, "wangge_test_demo", False):
        copy = copy_test_database(var_dir / "demo-copy.sqlite3", django_db_blocker)
    with srv.demo_server(var_dir, copy_of=copy, field_keys=keys()) as url:
        yield url


def copy_test_database(target, django_db_blocker):
    """The test database as it stands between tests — the demo, every test's changes rolled
    back — copied to ``target`` (SQLite's online backup); None on another engine."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return None
    with django_db_blocker.unblock():
        connection.ensure_connection()
        assert not connection.in_atomic_block, "copied while a test's transaction is open"
        copy = sqlite3.connect(target)
        try:
            connection.connection.backup(copy)
        finally:
            copy.close()
    return target


def keys() -> list[str]:
    from django.conf import settings

    return list(settings.WANGGE_FIELD_KEYS)


@pytest.fixture(scope="session")
def browser(base_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = srv.launch(playwright)
        # Playwright's synchronous API keeps its event loop in this thread for the rest of
        # the worker's session, and Django refuses database work in a thread with a running
        # loop. The tests this worker takes after the browser tests are plain synchronous
        # code: let them use the database (the browser tests come first, ``conftest.py``).
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
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
