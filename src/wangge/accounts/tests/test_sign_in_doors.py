"""One sign-in door: the sign-in page, the API's token and the admin's login all go through the
same throttled, recorded ``sign_in``. They count the same failures, lock the same way, record
every attempt (with the door it came in by), and an account locked through one door is locked
at the others — as the demo's people, through HTTP."""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.test import Client

from wangge.accounts.choices import Door
from wangge.accounts.forms import AdminLoginForm
from wangge.accounts.models import LoginAttempt
from wangge.core.models import AuditEvent

pytestmark = pytest.mark.django_db

PASSWORD = settings.WANGGE_DEMO_PASSWORD
WRONG = "not-the-password"
LOCKED_WORDS = "登录失败次数过多"


def through_page(client, username, password) -> str:
    response = client.post("/accounts/login/", {"username": username, "password": password})
    if response.status_code == 302:
        assert response["Location"] == "/"
        return "in"
    assert response.status_code == 200, response.status_code
    return "locked" if LOCKED_WORDS in response.content.decode() else "refused"


def through_admin(client, username, password) -> str:
    response = client.post(
        "/admin/login/?next=/admin/", {"username": username, "password": password}
    )
    if response.status_code == 302:
        assert response["Location"] == "/admin/"
        return "in"
    assert response.status_code == 200, response.status_code
    return "locked" if LOCKED_WORDS in response.content.decode() else "refused"


def through_api(client, username, password) -> str:
    response = client.post(
        "/api/v1/auth/token",
        {"username": username, "password": password},
        content_type="application/json",
    )
    assert response["Content-Type"].split(";")[0] in (
        "application/json",
        "application/problem+json",
    )
    return {200: "in", 401: "refused", 429: "locked"}[response.status_code]


DOORS = {Door.PAGE: through_page, Door.API: through_api, Door.ADMIN: through_admin}


def knock(door: str, username: str, password: str) -> str:
    """One attempt through ``door`` in a fresh browser (or API client)."""
    return DOORS[door](Client(), username, password)


def attempts(username: str):
    return LoginAttempt.objects.filter(username=username).order_by("pk")


def test_twenty_wrong_passwords_at_the_admin_do_not_let_the_right_one_in():
    """The issue's case: at the admin's login, twenty wrong passwords for ``district`` and
    then the right one. The first five are refused and recorded, the rest refused as locked;
    the right password does not get in, at the admin or anywhere else."""
    outcomes = [knock(Door.ADMIN, "district", WRONG) for _ in range(20)]
    limit = settings.WANGGE_LOGIN_MAX_FAILURES_PER_USER
    assert outcomes == ["refused"] * limit + ["locked"] * (20 - limit)
    assert knock(Door.ADMIN, "district", PASSWORD) == "locked"
    recorded = list(attempts("district"))
    assert len(recorded) == limit
    assert all(not a.succeeded and a.door == Door.ADMIN for a in recorded)
    assert knock(Door.PAGE, "district", PASSWORD) == "locked"
    assert knock(Door.API, "district", PASSWORD) == "locked"
    assert not attempts("district").filter(succeeded=True).exists()


@pytest.mark.parametrize("door", list(DOORS))
def test_an_account_locked_at_one_door_is_locked_at_every_door(door):
    limit = settings.WANGGE_LOGIN_MAX_FAILURES_PER_USER
    for _ in range(limit):
        assert knock(door, "district", WRONG) == "refused"
    assert [(a.door, a.succeeded) for a in attempts("district")] == [(door, False)] * limit
    for other in DOORS:
        assert knock(other, "district", PASSWORD) == "locked", other
    # Locked attempts are refused before the password is looked at: nothing more counted.
    assert attempts("district").count() == limit


def test_failures_at_every_door_count_together():
    """Two wrong at the page, two through the API, one at the admin: five, so locked."""
    for door, times in ((Door.PAGE, 2), (Door.API, 2), (Door.ADMIN, 1)):
        for _ in range(times):
            assert knock(door, "district", WRONG) == "refused"
    assert sorted(attempts("district").values_list("door", flat=True)) == sorted(
        [Door.PAGE] * 2 + [Door.API] * 2 + [Door.ADMIN]
    )
    for door in DOORS:
        assert knock(door, "district", PASSWORD) == "locked", door


@pytest.mark.parametrize("door", list(DOORS))
def test_four_failures_then_the_right_password_gets_in_and_is_recorded(door):
    for other in DOORS:
        if other != door:
            knock(other, "district", WRONG)
    knock(door, "district", WRONG)
    knock(door, "district", WRONG)
    assert attempts("district").count() == 4
    assert knock(door, "district", PASSWORD) == "in"
    last = attempts("district").last()
    assert last.succeeded and last.door == door
    signed_in = AuditEvent.objects.filter(action="accounts.user.signed_in").order_by("pk").last()
    assert signed_in.actor.username == "district" and signed_in.after == {"door": door}


def test_the_admin_refuses_an_account_that_may_not_use_it_and_records_it():
    """A grid worker's right password at the admin: not in (no session), recorded as a
    failure at the admin's door, so guessing there counts like anywhere else."""
    client = Client()
    assert through_admin(client, "gridworker_lvdu1", PASSWORD) == "refused"
    assert "_auth_user_id" not in client.session
    attempt = attempts("gridworker_lvdu1").get()
    assert (attempt.door, attempt.succeeded) == (Door.ADMIN, False)
    # The same password at the page is fine.
    assert knock(Door.PAGE, "gridworker_lvdu1", PASSWORD) == "in"


def test_the_admin_signs_in_through_the_throttled_form(client):
    assert admin.site.login_form is AdminLoginForm
    assert through_admin(client, "district", PASSWORD) == "in"
    assert client.get("/admin/").status_code == 200
    attempt = attempts("district").get()
    assert (attempt.door, attempt.succeeded) == (Door.ADMIN, True)


def test_the_admin_login_page_shows_the_lock_in_chinese():
    limit = settings.WANGGE_LOGIN_MAX_FAILURES_PER_USER
    for _ in range(limit):
        knock(Door.PAGE, "district", WRONG)
    response = Client().post("/admin/login/", {"username": "district", "password": PASSWORD})
    assert response.status_code == 200
    assert "登录失败次数过多" in response.content.decode()


def test_only_the_sign_in_service_checks_passwords():
    """Every door goes through ``accounts.services.sign_in``: no other module calls
    ``authenticate`` (a new door would have to, and would skip the throttle)."""
    root = Path(__file__).resolve().parents[2]
    callers = set()
    for path in root.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name == "authenticate" and not (
                    isinstance(func, ast.Attribute)
                    and isinstance(func.value, ast.Call)
                    and getattr(func.value.func, "id", "") == "super"
                ):
                    callers.add(str(path.relative_to(root)))
    assert callers == {"accounts/services.py"}, callers


def test_a_password_of_megabytes_is_refused_before_it_is_hashed():
    long = "p" * 5000
    response = Client().post("/accounts/login/", {"username": "district", "password": long})
    assert response.status_code == 200
    assert "4096" in " ".join(response.context["form"].errors["password"])
    response = Client().post(
        "/api/v1/auth/token",
        {"username": "district", "password": long},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["password"]
    assert not attempts("district").exists()
