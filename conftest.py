"""Test set-up shared by every app: the demo district, built once per run, and personas.

Tests go through the interface (pages, API, CLI) as the demo's people: a grid worker here
(``gridworker_lvdu1``), one in the next grid (``gridworker_lvdu2``), one in another street
(``gridworker_guanlan1``), a community, a street, the district, a party member.
"""

import pytest


def pytest_configure(config):
    from django.conf import settings

    # Hashing the demo passwords with the real hasher would cost seconds per run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        from wangge.demo import build

        if build.is_empty():
            build.build()


@pytest.fixture(autouse=True)
def _fresh_locate_index():
    """Each test sees the grid index of its own database state."""
    from wangge.territory.locate import invalidate

    invalidate()
    yield
    invalidate()


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
