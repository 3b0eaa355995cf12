"""Test set-up shared by every app: the demo district, built once per run, and personas.

Tests go through the interface (pages, API, CLI) as the demo's people: a grid worker here
(``gridworker_lvdu1``), one in the next grid (``gridworker_lvdu2``), one in another street
(``gridworker_guanlan1``), a community, a street, the district, a party member.
"""

import os
from pathlib import Path

import pytest
from tests import demo_template, pinned


def pytest_configure(config):
    from django.conf import settings

    # The whole run lives at one pinned moment (``tests/pinned.py``), whatever today is: the
    # demo's year of cases and every figure counted back from today come out the same.
    config._wangge_clock = pinned.start()
    # Hashing the demo passwords with the real hasher would cost seconds per run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    skip_sqlite_constraint_scan()
    # While working on a few tests: ``WANGGE_TEST_DB=var/test.sqlite3 pytest --reuse-db …``
    # keeps the test database with its demo between runs (one per pinned day); after a change
    # to the models or the demo, ``--create-db`` builds it again.
    kept = os.environ.get("WANGGE_TEST_DB")
    database = settings.DATABASES["default"]
    if kept and database["ENGINE"] == "django.db.backends.sqlite3":
        path = Path(kept)
        database["TEST"]["NAME"] = str(path.with_stem(f"{path.stem}-{pinned.today()}"))
    # Spread over workers, the run builds the demo once: the first worker that needs it
    # builds it and publishes a copy for the others (``tests/demo_template.py``).
    if (
        getattr(config.option, "numprocesses", None)
        and not hasattr(config, "workerinput")
        and not kept
        and not os.environ.get(demo_template.ENV)
    ):
        config._wangge_demo_share = demo_template.prepare()


def skip_sqlite_constraint_scan():
    """At each test's end Django checks the constraints the test deferred before rolling it
    back. On SQLite that is ``PRAGMA foreign_key_check`` over every table of the demo — some
    45 ms a test, over a minute a run; on PostgreSQL it is ``SET CONSTRAINTS ALL IMMEDIATE``,
    at no cost. CI's PostgreSQL pass runs every database test (``.ci/run``) and keeps the
    check; the SQLite pass leaves it to that pass."""
    from django.test import TestCase

    should_check = TestCase._should_check_constraints

    def on_postgresql_only(self, connection):
        return connection.vendor != "sqlite" and should_check(self, connection)

    TestCase._should_check_constraints = on_postgresql_only


# The order a worker takes the tests in, longest first, so that no worker runs alone at the
# end: the tests that crash real processes (one worker runs them from the start while another
# builds the demo they do not need), the browser's walk over every page, the other browser
# tests, then the rest (stable: each keeps its order within its rank).
PROCESSES, SWEEP, BROWSER, REST = range(4)


def _rank(item) -> int:
    if item.get_closest_marker("crash") or item.get_closest_marker("processes"):
        return PROCESSES
    if item.get_closest_marker("browser"):
        return SWEEP if item.module.__name__.endswith(".test_sweep") else BROWSER
    return REST


def pytest_itemcollected(item):
    if _rank(item) == PROCESSES:
        # One worker takes the tests that crash real processes (``--dist loadgroup``), one
        # after the other, while another builds the demo they do not need.
        item.add_marker(pytest.mark.xdist_group("processes"))


@pytest.hookimpl(trylast=True)  # after pytest-django's own ordering (database tests first)
def pytest_collection_modifyitems(config, items):
    items.sort(key=_rank)
    # pytest-xdist marks a group by a suffix on the test's id; with a pytest whose ids it cannot
    # write (pytest 9.2 and xdist 3.8) the group would silently fall apart over the workers.
    if getattr(config.option, "loadgroup", False):
        loose = [
            item.nodeid
            for item in items
            if _rank(item) == PROCESSES and not item.nodeid.endswith("@processes")
        ]
        if loose:
            raise pytest.UsageError(f"pytest-xdist did not group {loose}: see dependencies.md")


def pytest_unconfigure(config):
    clock = getattr(config, "_wangge_clock", None)
    if clock is not None:
        clock.stop()
    folder = getattr(config, "_wangge_demo_share", None)
    if folder is not None:
        from django.conf import settings

        demo_template.finish(folder, settings.DATABASES["default"])


def pytest_report_header(config):
    return f"wangge: the clock is pinned to {pinned.moment().isoformat()} (WANGGE_TEST_TODAY)"


def needs_database(item) -> bool:
    """Whether pytest-django sets up the test database for ``item`` (as it decides)."""
    return bool(
        item.get_closest_marker("django_db")
        or {"db", "transactional_db"} & set(getattr(item, "fixturenames", ()))
    )


@pytest.fixture(scope="session")
def django_db_setup(request, django_db_setup, django_db_blocker):
    # pytest-django sets up no test database for a run without a test that uses one (the
    # browser tests alone); the demo server then builds its own.
    if not any(needs_database(item) for item in request.session.items):
        return
    request.config.wangge_test_demo = True
    with django_db_blocker.unblock():
        from wangge.demo import build

        share = demo_template.Share.from_environ()
        builds = share is not None and build.is_empty() and share.claim()
        if share is not None and not builds and build.is_empty() and share.wait():
            demo_template.load(share)
        if build.is_empty():
            # The clock stands at the pinned moment while the demo is built (see
            # ``pinned.start``), then ticks on from where the run's clock has got to.
            clock = pinned.start(tick=False)
            try:
                build.build(today=pinned.today())
            except BaseException:
                if builds:
                    share.fail()
                raise
            finally:
                clock.stop()
            if builds:
                demo_template.publish(share)


@pytest.fixture(autouse=True)
def _fresh_locate_index():
    """Each test sees the grid index of its own database state."""
    from wangge.territory.locate import invalidate

    invalidate()
    yield
    invalidate()


@pytest.fixture
def today():
    """The pinned day the demo was built for (``tests/pinned.py``)."""
    return pinned.today()


@pytest.fixture
def user_named(db):
    from wangge.accounts.models import User

    return lambda username: User.objects.get(username=username)


@pytest.fixture
def as_user(db, client, user_named):
    """``as_user("gridworker_lvdu1")`` → the test client, signed in as that persona."""

    def sign_in(username):
        client.logout()
        client.force_login(user_named(username))
        return client

    return sign_in


@pytest.fixture
def api_as(db, user_named):
    """``api_as("gridworker_lvdu1")`` → a client sending that persona's bearer token."""
    from django.test import Client

    from wangge.accounts.services import issue_token

    def make(username):
        key, _token = issue_token(user=user_named(username), name="test")
        return Client(headers={"Authorization": f"Bearer {key}"})

    return make


@pytest.fixture
def node(db):
    """``node("410102010003001")`` → the territory node with that code."""
    from wangge.territory.models import Node

    return lambda code: Node.objects.get(code=code)
