"""Exports name people by their names, never by their logins: the case list's handler, the
notices' writer and approver, the audit log's actor (whose account is in a column of its own,
labelled, for the administrator who needs it) — through every door: the page's export link,
the API's and the CLI."""

import csv
import io

import pytest
from django.core.management import call_command

from wangge.accounts import services as accounts
from wangge.accounts.models import User

pytestmark = pytest.mark.django_db

# Export kind → (the persona who may export it, the columns naming staff).
STAFF_COLUMNS = {
    "cases": ("community_lvdu", ["处理人"]),
    "notices": ("community_lvdu", ["撰写人", "审核人"]),
    "audit": ("community_lvdu", ["操作人"]),
}


def rows_of(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def by_page(as_user, kind, username):
    response = as_user(username).get(f"/export/{kind}.csv")
    assert response.status_code == 200
    return rows_of(b"".join(response.streaming_content).decode("utf-8"))


def by_api(api_as, kind, username):
    response = api_as(username).get(f"/api/v1/exports/{kind}", {"format": "csv"})
    assert response.status_code == 200
    return rows_of(b"".join(response.streaming_content).decode("utf-8"))


def by_cli(tmp_path, kind, username):
    path = tmp_path / f"{kind}.csv"
    call_command("export", kind, str(path), "--as", username)
    return rows_of(path.read_text("utf-8"))


@pytest.fixture
def logins():
    return set(User.objects.values_list("username", flat=True))


@pytest.mark.parametrize("door", ["page", "api", "cli"])
@pytest.mark.parametrize("kind", sorted(STAFF_COLUMNS))
def test_every_export_names_staff_by_name(door, kind, as_user, api_as, tmp_path, logins):
    username, columns = STAFF_COLUMNS[kind]
    if kind == "audit":  # something of the persona's own in the log
        as_user(username).get("/export/cases.csv")
    rows = {
        "page": lambda: by_page(as_user, kind, username),
        "api": lambda: by_api(api_as, kind, username),
        "cli": lambda: by_cli(tmp_path, kind, username),
    }[door]()
    named = [row[column] for row in rows for column in columns if row[column]]
    assert named, f"no one named in the {kind} export"
    for value in named:
        assert value not in logins, value
        assert not any(f"({login})" in value for login in logins), value
    names = {user.display_name for user in User.objects.exclude(display_name="")}
    assert {value for value in named if not value.startswith("系统")} <= names


def test_the_audit_export_gives_the_account_in_its_own_labelled_column(as_user):
    as_user("community_lvdu").get("/export/cases.csv")
    rows = by_page(as_user, "audit", "community_lvdu")
    mine = next(row for row in rows if row["操作代码"] == "core.export.downloaded")
    assert mine["操作人"] == "绿都社区 李娜"
    assert mine["操作人账号"] == "community_lvdu"


def test_an_account_without_a_name_is_labelled_as_an_account(as_user, tmp_path):
    nameless = accounts.create_user(actor=None, username="helper_0001")
    assert nameless.name == "helper_0001（账号）"
    from wangge.cases.models import Case

    case = Case.objects.filter(grid__code__startswith="410102010003", state="closed").first()
    Case.objects.filter(pk=case.pk).update(handler=nameless)
    rows = by_cli(tmp_path, "cases", "community_lvdu")
    row = next(row for row in rows if row["案件编号"] == case.number)
    assert row["处理人"] == "helper_0001（账号）"
