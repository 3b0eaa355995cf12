"""The door to the API: tokens (issued, throttled, revoked, expired), who the caller is,
and the memberships they may see — as the demo's people, through HTTP."""

import datetime
import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from wangge.accounts.models import ApiToken, LoginAttempt, Membership
from wangge.accounts.services import issue_token
from wangge.core.models import AuditEvent
from wangge.demo.district import GUANLAN, LVDU, LVDU_GRID1

pytestmark = pytest.mark.django_db

PASSWORD = settings.WANGGE_DEMO_PASSWORD
TOKEN_URL = "/api/v1/auth/token"
LOGIN_PAGE = "/accounts/login/"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"] and body["type"] == "about:blank"
    return body


def ask_for_token(client, username, password, **extra):
    return client.post(
        TOKEN_URL,
        {"username": username, "password": password, **extra},
        content_type="application/json",
    )


def bearer(key: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {key}"})


def fail_to_sign_in(client, username, times):
    for _ in range(times):
        assert ask_for_token(client, username, "not-the-password").status_code == 401


def pass_the_window():
    """Move every recorded attempt to just before the throttling window."""
    window = datetime.timedelta(seconds=settings.WANGGE_LOGIN_WINDOW_SECONDS + 1)
    LoginAttempt.objects.update(at=timezone.now() - window)


# --- POST /auth/token -------------------------------------------------------------------------


def test_right_password_gives_a_token_that_works_as_bearer(client, user_named):
    response = ask_for_token(client, "gridworker_lvdu1", PASSWORD, name="手机")
    assert response.status_code == 200, response.content
    body = response.json()
    expires = datetime.datetime.fromisoformat(body["expires_at"])
    assert timezone.now() + datetime.timedelta(days=1) < expires
    me = bearer(body["token"]).get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["username"] == "gridworker_lvdu1"
    # Stored hashed, shown once.
    stored = ApiToken.objects.get(user=user_named("gridworker_lvdu1"), name="手机")
    assert stored.key_hash == ApiToken.hash_key(body["token"]) != body["token"]
    assert stored.prefix == body["token"][:8]


@pytest.mark.parametrize(
    ("username", "password"),
    [("gridworker_lvdu1", "wrong-password"), ("nobody_here", PASSWORD), ("gridworker_lvdu1", "")],
)
def test_wrong_name_or_password_is_one_401(client, username, password):
    body = assert_problem(ask_for_token(client, username, password), 401)
    assert body["detail"] == "用户名或密码错误"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"username": "gridworker_lvdu1"}, "password"),
        ({"password": PASSWORD}, "username"),
        ({"username": 5, "password": PASSWORD}, "username"),
    ],
)
def test_missing_or_malformed_field_is_400_naming_it(client, payload, field):
    response = client.post(TOKEN_URL, payload, content_type="application/json")
    body = assert_problem(response, 400)
    assert any(error["field"].endswith(field) for error in body["errors"]), body


def test_body_that_is_not_json_is_400(client):
    assert_problem(client.post(TOKEN_URL, "username=x", content_type="application/json"), 400)


def test_five_failures_lock_the_user_name_even_for_the_right_password(client):
    # Changing the case of the name does not buy more attempts.
    fail_to_sign_in(client, "gridworker_lvdu1", 3)
    fail_to_sign_in(client, "GridWorker_LVDU1", 2)
    response = ask_for_token(client, "gridworker_lvdu1", PASSWORD)
    body = assert_problem(response, 429)
    assert "登录失败次数过多" in body["detail"]
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= settings.WANGGE_LOGIN_WINDOW_SECONDS + 1
    assert "token" not in body
    # Another user from the same address is not locked out.
    assert ask_for_token(client, "gridworker_lvdu2", PASSWORD).status_code == 200
    # Once the window has passed, the right password works again.
    pass_the_window()
    assert ask_for_token(client, "gridworker_lvdu1", PASSWORD).status_code == 200


def test_four_failures_do_not_lock(client):
    fail_to_sign_in(client, "gridworker_lvdu1", 4)
    assert ask_for_token(client, "gridworker_lvdu1", PASSWORD).status_code == 200


def test_many_failures_from_one_address_lock_that_address(settings):
    settings.WANGGE_LOGIN_MAX_FAILURES_PER_IP = 3
    guesser = Client(REMOTE_ADDR="10.9.8.7")
    for username in ("district", "street_zyxl", "community_lvdu"):
        fail_to_sign_in(guesser, username, 1)
    assert_problem(ask_for_token(guesser, "gridworker_lvdu1", PASSWORD), 429)
    elsewhere = Client(REMOTE_ADDR="10.9.8.8")
    assert ask_for_token(elsewhere, "gridworker_lvdu1", PASSWORD).status_code == 200


# --- The sign-in page -------------------------------------------------------------------------


def test_login_page_speaks_chinese(client):
    response = client.get(LOGIN_PAGE)
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="zh-hans">' in page
    assert "登录" in page and "用户名" in page and "密码" in page


def test_login_page_signs_in_or_says_wrong_password_in_chinese(client, user_named):
    wrong = client.post(LOGIN_PAGE, {"username": "gridworker_lvdu1", "password": "nope"})
    assert wrong.status_code == 200
    assert "用户名或密码错误" in wrong.content.decode()
    assert "_auth_user_id" not in client.session
    right = client.post(LOGIN_PAGE, {"username": "gridworker_lvdu1", "password": PASSWORD})
    assert right.status_code == 302 and right["Location"] == "/"
    assert client.session["_auth_user_id"] == str(user_named("gridworker_lvdu1").pk)


def test_login_page_is_throttled_with_the_api_and_says_so_in_chinese(client):
    for _ in range(3):
        client.post(LOGIN_PAGE, {"username": "gridworker_lvdu1", "password": "nope"})
    fail_to_sign_in(Client(), "gridworker_lvdu1", 2)  # failures through the API count too
    response = client.post(LOGIN_PAGE, {"username": "gridworker_lvdu1", "password": PASSWORD})
    assert response.status_code == 200
    page = response.content.decode()
    assert "登录失败次数过多" in page
    assert re.search(r"请 1[45] 分钟后再试", page)
    assert "_auth_user_id" not in client.session
    pass_the_window()
    response = client.post(LOGIN_PAGE, {"username": "gridworker_lvdu1", "password": PASSWORD})
    assert response.status_code == 302


# --- Which tokens are accepted --------------------------------------------------------------


def test_deleting_the_token_revokes_it(client, user_named):
    key = ask_for_token(client, "gridworker_lvdu1", PASSWORD).json()["token"]
    caller = bearer(key)
    response = caller.delete(TOKEN_URL)
    assert response.status_code == 204
    after = caller.get("/api/v1/me")
    assert_problem(after, 401)
    assert after["WWW-Authenticate"] == "Bearer"
    token = ApiToken.objects.get(key_hash=ApiToken.hash_key(key))
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(
        action="accounts.token.revoked",
        target_id=str(token.pk),
        actor=user_named("gridworker_lvdu1"),
    ).exists()


def test_deleting_without_a_token_is_400(as_user):
    assert_problem(as_user("community_lvdu").delete(TOKEN_URL), 400)


def test_expired_token_is_401(user_named):
    key, token = issue_token(user=user_named("gridworker_lvdu1"))
    assert bearer(key).get("/api/v1/me").status_code == 200
    token.expires_at = timezone.now() - datetime.timedelta(seconds=1)
    token.save()
    assert_problem(bearer(key).get("/api/v1/me"), 401)


def test_inactive_users_token_is_401_and_they_get_no_new_one(client, user_named):
    user = user_named("gridworker_lvdu1")
    key, _token = issue_token(user=user)
    user.is_active = False
    user.save()
    assert_problem(bearer(key).get("/api/v1/me"), 401)
    assert_problem(ask_for_token(client, "gridworker_lvdu1", PASSWORD), 401)


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer not-a-token", "Bearer ", "Basic Z3JpZDpwYXNz", "Token abc"],
)
def test_no_or_bad_credentials_are_401(authorization):
    headers = {"Authorization": authorization} if authorization else {}
    assert_problem(Client(headers=headers).get("/api/v1/me"), 401)


# --- GET /me ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "role", "codes"),
    [
        ("district", "district_admin", ["410102"]),
        ("community_lvdu", "community_staff", [LVDU]),
        ("gridworker_lvdu1", "grid_worker", [LVDU_GRID1]),
        ("gridleader_lvdu", "grid_leader", [f"{LVDU}{n:03d}" for n in range(1, 7)]),
        ("partymember_lvdu", "party_member", [LVDU]),
    ],
)
def test_me_says_who_and_where(api_as, user_named, persona, role, codes):
    body = api_as(persona).get("/api/v1/me").json()
    user = user_named(persona)
    assert body["id"] == user.pk
    assert body["username"] == persona
    assert body["display_name"] == user.display_name
    assert body["is_superuser"] is False
    assert [m["node"]["code"] for m in body["memberships"]] == codes
    assert {m["role"] for m in body["memberships"]} == {role}
    assert all(m["user"]["username"] == persona for m in body["memberships"])


def test_me_labels_roles_in_chinese(api_as):
    membership = api_as("gridworker_lvdu1").get("/api/v1/me").json()["memberships"][0]
    assert membership["role_label"] == "网格员"
    assert membership["node"]["name"] == "第1网格"


def test_me_leaves_out_ended_memberships(api_as, user_named):
    user = user_named("gridleader_lvdu")
    Membership.objects.filter(user=user, node__code=LVDU_GRID1).update(is_active=False)
    memberships = api_as("gridleader_lvdu").get("/api/v1/me").json()["memberships"]
    codes = [membership["node"]["code"] for membership in memberships]
    assert LVDU_GRID1 not in codes and len(codes) == 5


# --- GET /memberships -------------------------------------------------------------------------


def memberships_of(client, **params):
    response = client.get("/api/v1/memberships", {"limit": 500, **params})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == len(body["items"])
    return body["items"]


@pytest.mark.parametrize(
    ("persona", "prefix"),
    [("community_lvdu", LVDU), ("street_zyxl", "410102010"), ("district", "410102")],
)
def test_list_holds_the_memberships_under_my_node(api_as, persona, prefix):
    items = memberships_of(api_as(persona))
    expected = Membership.objects.filter(node__code__startswith=prefix, is_active=True)
    assert {item["id"] for item in items} == set(expected.values_list("pk", flat=True))
    assert all(item["node"]["code"].startswith(prefix) for item in items)


def test_community_sees_its_people_but_not_the_street_or_another_street(api_as):
    usernames = {item["user"]["username"] for item in memberships_of(api_as("community_lvdu"))}
    assert {"gridworker_lvdu1", "gridleader_lvdu", "buildinghead_001001"} <= usernames
    assert not usernames & {"street_zyxl", "district", "gridworker_guanlan1", "community_wanda"}


def test_membership_by_id_inside_is_shown_outside_is_404(api_as):
    client = api_as("community_lvdu")
    mine = Membership.objects.get(user__username="gridworker_lvdu1")
    body = client.get(f"/api/v1/memberships/{mine.pk}").json()
    assert body["user"]["username"] == "gridworker_lvdu1"
    assert body["node"]["code"] == LVDU_GRID1
    assert body["role"] == "grid_worker" and body["is_active"] is True
    for outsider in (
        Membership.objects.get(user__username="gridworker_guanlan1"),
        Membership.objects.get(user__username="street_zyxl"),
        Membership.objects.filter(node__code__startswith=GUANLAN).first(),
    ):
        assert_problem(client.get(f"/api/v1/memberships/{outsider.pk}"), 404)


@pytest.mark.parametrize("persona", ["gridworker_lvdu1", "partymember_lvdu", "buildinghead_001001"])
def test_roles_without_view_membership_see_none(api_as, persona):
    client = api_as(persona)
    assert memberships_of(client) == []
    own = Membership.objects.filter(user__username=persona).first()
    assert_problem(client.get(f"/api/v1/memberships/{own.pk}"), 404)


def test_filter_by_node_takes_its_subtree(api_as, node):
    items = memberships_of(api_as("community_lvdu"), node=node(LVDU_GRID1).pk)
    assert {item["node"]["code"][:15] for item in items} == {LVDU_GRID1}
    assert {item["user"]["username"] for item in items} == {
        "gridleader_lvdu",
        "gridworker_lvdu1",
        "buildinghead_001001",
        "buildinghead_001002",
        "property_lvdu",  # the grid team's property staff (S2)
    }


def test_filter_by_a_node_outside_scope_gives_nothing(api_as, node):
    assert memberships_of(api_as("community_lvdu"), node=node(GUANLAN).pk) == []


def test_filter_by_role_and_user(api_as, user_named):
    client = api_as("community_lvdu")
    workers = memberships_of(client, role="grid_worker")
    assert {item["user"]["username"] for item in workers} == {
        f"gridworker_lvdu{n}" for n in range(1, 7)
    }
    assert {item["role_label"] for item in workers} == {"网格员"}
    leader = memberships_of(client, user=user_named("gridleader_lvdu").pk)
    assert len(leader) == 6 and {item["role"] for item in leader} == {"grid_leader"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"role": "king"}, "role"),
        ({"user": "a b"}, "user"),
        ({"node": "x"}, "node"),
        ({"limit": 0}, None),
        ({"limit": 501}, None),
        ({"offset": -1}, None),
    ],
)
def test_bad_query_is_400(api_as, params, field):
    body = assert_problem(api_as("community_lvdu").get("/api/v1/memberships", params), 400)
    if field:
        assert [error["field"] for error in body["errors"]] == [field]


def test_list_does_not_query_per_membership(api_as, django_assert_max_num_queries):
    client = api_as("district")
    client.get("/api/v1/me")  # the token's first use is recorded once
    with django_assert_max_num_queries(8):
        items = memberships_of(client)
    assert len(items) > 100
