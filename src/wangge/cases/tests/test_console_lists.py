"""The case list's tools: many cases moved at once, views kept under a name, and the list as
a spreadsheet with its filters — each within the user's scope."""

import csv
import io

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from wangge.accounts.models import User
from wangge.cases.choices import FINAL_STATES, State
from wangge.cases.models import Case
from wangge.core.models import AuditEvent, SavedView
from wangge.demo.district import GUANLAN_GRID1, LVDU_GRID1
from wangge.territory.models import Node

pytestmark = pytest.mark.django_db


def within(code):
    return Case.objects.filter(grid__path__startswith=Node.objects.get(code=code).path)


def said(response) -> str:
    return " | ".join(str(m) for m in get_messages(response.wsgi_request))


def exported(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


# --- Bulk moves -----------------------------------------------------------------------------


def test_bulk_accept_then_dispatch_to_one_worker(as_user):
    cases = list(within(LVDU_GRID1).filter(state="reported").order_by("pk")[:3])
    assert len(cases) >= 2
    client = as_user("community_lvdu")
    page = client.get("/cases/", {"state": "reported"}).content.decode()
    assert 'name="ids"' in page and "批量处理勾选的案件" in page
    ids = [case.pk for case in cases]
    response = client.post(
        "/cases/bulk/", {"action": "accept", "ids": ids, "query": "state=reported"}
    )
    assert response.status_code == 302 and response.url == "/cases/?state=reported"
    assert f"共 {len(ids)} 件" in said(response)
    assert set(Case.objects.filter(pk__in=ids).values_list("state", flat=True)) == {"accepted"}

    worker = User.objects.get(username="gridworker_lvdu1")
    response = client.post(
        "/cases/bulk/",
        {"action": "dispatch", "ids": ids, "assignee": worker.pk, "note": "请尽快处理"},
    )
    assert response.status_code == 302
    for case in Case.objects.filter(pk__in=ids):
        assert case.state == "dispatched" and case.handler_id == worker.pk
        assert case.events.filter(action="dispatch", note="请尽快处理").exists()


def test_bulk_lists_what_it_refused_and_why(as_user):
    waiting = within(LVDU_GRID1).filter(state="reported").order_by("pk").first()
    closed = within(LVDU_GRID1).filter(state="closed").order_by("pk").first()
    response = as_user("community_lvdu").post(
        "/cases/bulk/", {"action": "accept", "ids": [waiting.pk, closed.pk]}
    )
    text = said(response)
    assert "共 1 件" in text and f"{closed.number}:" in text and "不能受理" in text
    closed.refresh_from_db()
    assert closed.state == "closed"


def test_bulk_never_touches_a_case_outside_scope(as_user):
    far = within(GUANLAN_GRID1).filter(state="reported").order_by("pk").first()
    response = as_user("community_lvdu").post("/cases/bulk/", {"action": "accept", "ids": [far.pk]})
    assert "未找到" in said(response) and far.number not in said(response)
    far.refresh_from_db()
    assert far.state == "reported"


@pytest.mark.parametrize(
    "data, message",
    [
        ({"action": "accept"}, "请先勾选"),
        ({"action": "sleep", "ids": ["1"]}, "请选择"),
        ({"action": "accept", "ids": [str(n) for n in range(1, 203)]}, "最多"),
    ],
)
def test_bulk_bad_input_is_a_message(as_user, data, message):
    response = as_user("community_lvdu").post("/cases/bulk/", data)
    assert response.status_code == 302 and message in said(response)


def test_who_may_not_move_cases_gets_no_bulk_tools(as_user):
    page = as_user("gridworker_lvdu1").get("/cases/").content.decode()
    assert 'name="ids"' not in page
    response = as_user("partymember_lvdu").post("/cases/bulk/", {"action": "accept", "ids": ["1"]})
    assert response.status_code == 404


# --- Saved views ----------------------------------------------------------------------------


def test_a_saved_view_is_kept_shown_and_deleted(as_user):
    client = as_user("community_lvdu")
    response = client.post(
        "/views/save/",
        {"page": "cases", "name": "超时的", "query": "overdue=true&page=3"},
    )
    assert response.status_code == 302 and response.url == "/cases/?overdue=true"
    view = SavedView.objects.get(user__username="community_lvdu", name="超时的")
    assert view.query == "overdue=true"
    assert AuditEvent.objects.filter(action="core.view.saved", target_id=str(view.pk)).exists()
    page = client.get("/cases/?overdue=true").content.decode()
    assert "超时的" in page and 'aria-current="true"' in page
    # Someone else sees none of it and cannot delete it.
    other = Client()
    other.force_login(User.objects.get(username="gridleader_lvdu"))
    assert "超时的" not in other.get("/cases/").content.decode()
    assert other.post(f"/views/{view.pk}/delete/").status_code == 404
    response = client.post(f"/views/{view.pk}/delete/")
    assert response.status_code == 302 and not SavedView.objects.filter(pk=view.pk).exists()


def test_saving_the_same_name_replaces_and_bad_names_are_refused(as_user):
    client = as_user("community_lvdu")
    client.post("/views/save/", {"page": "cases", "name": "A", "query": "state=reported"})
    client.post("/views/save/", {"page": "cases", "name": "A", "query": "state=done"})
    assert SavedView.objects.get(user__username="community_lvdu", name="A").query == "state=done"
    response = client.post("/views/save/", {"page": "cases", "name": " ", "query": "state=done"})
    assert "请给视图起个名字" in said(response)
    response = client.post("/views/save/", {"page": "cases", "name": "x" * 41, "query": ""})
    assert "太长" in said(response)
    assert client.post("/views/save/", {"page": "nowhere", "name": "B"}).status_code == 404
    assert SavedView.objects.filter(user__username="community_lvdu").count() == 1


# --- Exports --------------------------------------------------------------------------------


def test_the_case_list_exports_what_it_shows(as_user):
    client = as_user("community_lvdu")
    page = client.get("/cases/?state=closed").content.decode()
    assert "/export/cases.xlsx?state=closed" in page and "/export/cases.csv?state=closed" in page
    # ``closed`` is every finished case, as Open311's status: closed, merged or void.
    rows = exported(client.get("/export/cases.csv?state=closed"))
    expected = Case.objects.restrict(User.objects.get(username="community_lvdu"), "view").filter(
        state__in=FINAL_STATES
    )
    assert len(rows) == expected.count() > 0
    assert "已结案" in {row["状态"] for row in rows}
    assert {row["状态"] for row in rows} <= {str(State(state).label) for state in FINAL_STATES}
    assert all("****" in row["联系电话"] or not row["联系电话"] for row in rows)


def test_a_grid_worker_exports_only_their_grid(as_user):
    rows = exported(as_user("gridworker_lvdu1").get("/export/cases.csv"))
    codes = {row["网格编码"] for row in rows}
    assert codes and all(code.startswith(LVDU_GRID1) for code in codes)
    assert not any(row["网格编码"] == GUANLAN_GRID1 for row in rows)
    # And asking for another grid gives nothing of it.
    rows = exported(as_user("gridworker_lvdu1").get(f"/export/cases.csv?grid={GUANLAN_GRID1}"))
    assert rows == []


def test_an_export_with_bad_filters_says_so(as_user):
    response = as_user("community_lvdu").get("/export/cases.csv?state=sleeping")
    assert response.status_code == 400
    assert "sleeping" in response.content.decode()


def test_cases_are_export_only(as_user, api_as):
    client = as_user("community_lvdu")
    assert "cases" not in client.get("/import/").content.decode().split("<select")[1][:2000]
    upload = SimpleUploadedFile("cases.csv", "案件编号\n1\n".encode(), content_type="text/csv")
    response = api_as("community_lvdu").post("/api/v1/imports/cases", {"file": upload})
    assert response.status_code == 404
    assert as_user("partymember_lvdu").get("/export/cases.csv").status_code == 404


def test_the_api_export_takes_the_same_filters(api_as):
    response = api_as("community_lvdu").get("/api/v1/exports/cases?format=csv&state=done")
    rows = exported(response)
    assert rows and {row["状态"] for row in rows} == {"已办结待核查"}
    bad = api_as("community_lvdu").get("/api/v1/exports/cases?format=csv&state=sleeping")
    assert bad.status_code == 400 and bad["Content-Type"] == "application/problem+json"


def test_the_audit_log_exports_what_it_shows(as_user):
    client = as_user("community_lvdu")
    exported(client.get("/export/cases.csv?state=done"))  # an export is itself audited
    client.post(
        "/views/save/", {"page": "audit", "name": "导出记录", "query": "action=core.export"}
    )
    page = client.get("/audit/?action=core.export").content.decode()
    assert "/export/audit.csv?action=core.export" in page and "导出记录" in page
    rows = exported(client.get("/export/audit.csv?action=core.export"))
    assert rows and {row["操作代码"] for row in rows} == {"core.export.downloaded"}
    # Newest first: this very export, then the cases' one.
    assert [row["操作"] for row in rows[:2]] == ["表格导出", "表格导出"]
    assert "audit" in rows[0]["对象"] and "cases" in rows[1]["对象"]
    # The grid worker may not read the log, nor export it.
    assert as_user("gridworker_lvdu1").get("/export/audit.csv").status_code == 404
