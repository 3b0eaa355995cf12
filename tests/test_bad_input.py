"""A corpus of bad input against every door a case or a notice comes in by: Open311 (form and
JSON, answered in JSON and XML), the API's ``POST /api/v1/cases``, the residents' report page
``/r/<grid>/``, the staff's new case ``/cases/new/`` and new notice ``/notices/new/``.

Each bad submission is a 4xx that names the field (problem+json for the API, the spec's error
list for Open311, the form shown again with its error for a page) and writes nothing. A 500 is
a bug. Text with markup is stored as text and shown escaped. (Open311's own rules, one by one,
are in ``cases/tests/test_open311.py``; this corpus is the same bad values at every door.)
"""

from __future__ import annotations

import json
import uuid
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest
from django.utils.html import escape
from shapely.geometry import shape

from wangge.demo.district import LVDU_GRID1, OPEN311_DEMO_KEY

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
TEN_MB = 10 * 1024 * 1024


def written() -> dict[str, int]:
    """What a submission could write, counted."""
    from wangge.cases.models import Case, CaseEvent, Photo, Task
    from wangge.core.models import AuditEvent, IdempotencyKey
    from wangge.notices.models import Delivery, Notice, NoticeFile

    models = (Case, CaseEvent, Task, Photo, Notice, NoticeFile, Delivery, AuditEvent)
    counts = {model.__name__: model.objects.count() for model in models}
    counts["IdempotencyKey"] = IdempotencyKey.objects.count()
    return counts


@pytest.fixture
def spot():
    """(lat, lng) inside 绿都社区's grid 1."""
    from wangge.territory.models import Node

    point = shape(Node.objects.get(code=LVDU_GRID1).geometry).representative_point()
    return point.y, point.x


@pytest.fixture
def grid1():
    from wangge.territory.models import Node

    return Node.objects.get(code=LVDU_GRID1)


# The bad values, each a change to a good submission: (what, field, value). ``field`` is the
# name in the common vocabulary below; each door maps it to its own name.
CORPUS = [
    ("category missing", "category", None),
    ("category empty", "category", ""),
    ("category unknown", "category", "ZZ99"),
    ("category a list", "category", ["MD01", "MD02"]),
    ("lat 91", "lat", "91"),
    ("lng 181", "lng", "181"),
    ("lat NaN", "lat", "NaN"),
    ("lng inf", "lng", "inf"),
    ("lat 1e999", "lat", "1e999"),
    ("lat a word", "lat", "north"),
    ("lat an object", "lat", {"value": 34.7}),
    ("description a list", "description", ["楼上", "很吵"]),
    ("description an object", "description", {"text": "很吵"}),
    ("description over-long", "description", "吵" * 4001),
    ("description a NUL", "description", "a\x00b"),
    ("name over-long", "name", "名" * 200),
    ("phone garbage", "phone", "not-a-phone"),
    # Issue 12, item 9: unknown values and over-long text, named, never cut or a 500.
    ("crs epsg:3857", "crs", "epsg:3857"),
    ("channel unknown", "channel", "fax"),
    ("kind unknown", "kind", "urgent"),
    ("title 100,000 characters", "title", "标" * 100_000),
    ("address over-long", "address", "路" * 201),
    ("description 20,000 characters", "description", "吵" * 20_000),
]
IDS = [entry[0] for entry in CORPUS]

# Values a form can carry. The JSON shapes are for the JSON doors: a form's "list" is the same
# field sent twice, and the last one counts (Django's ``QueryDict.get``, Open311's rule).
FORM_CORPUS = [entry for entry in CORPUS if not isinstance(entry[2], (dict, list))]
FORM_IDS = [entry[0] for entry in FORM_CORPUS]


def changed(good: dict, names: dict, field: str, value) -> dict:
    data = dict(good)
    key = names.get(field)
    if key is None:
        pytest.skip(f"no {field} at this door")
    if value is None:
        data.pop(key, None)
    else:
        data[key] = value
    return data


def form_body(data: dict) -> str:
    pairs = []
    for key, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((key, item))
    return urlencode(pairs)


# --- Open311 -----------------------------------------------------------------------------------

OPEN311 = {
    "category": "service_code",
    "lat": "lat",
    "lng": "long",
    "description": "description",
    "name": "first_name",
    "phone": "phone",
    "crs": "crs",
    "address": "address_string",
}


@pytest.fixture
def open311_form(spot):
    lat, lng = spot
    return {
        "api_key": OPEN311_DEMO_KEY,
        "service_code": "MD01",
        "lat": str(lat),
        "long": str(lng),
        "attribute[period]": "night",
        "description": "楼上的狗每晚叫到凌晨",
    }


def open311_errors(response, fmt) -> list[tuple[int, str]]:
    if fmt == "json":
        return [(int(e["code"]), e["description"]) for e in response.json()]
    root = ET.fromstring(response.content)
    return [(int(e.findtext("code")), e.findtext("description")) for e in root.iter("error")]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(("what", "field", "value"), FORM_CORPUS, ids=FORM_IDS)
def test_open311_form(client, open311_form, fmt, what, field, value):
    data = changed(open311_form, OPEN311, field, value)
    before = written()
    response = client.post(
        f"/open311/v2/requests.{fmt}",
        form_body(data),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400, response.content.decode()
    problems = open311_errors(response, fmt)
    assert problems and all(code == 400 for code, _ in problems)
    assert written() == before


@pytest.mark.parametrize(("what", "field", "value"), CORPUS, ids=IDS)
def test_open311_json(client, open311_form, what, field, value):
    data = changed(open311_form, OPEN311, field, value)
    data.pop("attribute[period]")
    data["attribute"] = {"period": "night"}
    before = written()
    response = client.post(
        "/open311/v2/requests.json", json.dumps(data), content_type="application/json"
    )
    assert response.status_code == 400, response.content.decode()
    assert open311_errors(response, "json")
    assert written() == before


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_garbage_bodies(client, fmt):
    url = f"/open311/v2/requests.{fmt}"
    before = written()
    for body, kind in [
        (b"[1, 2, 3]", "application/json"),
        (b'"a string"', "application/json"),
        (b'{"api_key": NaN}', "application/json"),
        (b"\xff\xfe\x00", "application/json"),
        (b"api_key=\xff", "application/x-www-form-urlencoded"),
        (b"x" * TEN_MB, "application/x-www-form-urlencoded"),
    ]:
        response = client.post(url, body, content_type=kind)
        assert 400 <= response.status_code < 500, (body[:20], response.status_code)
        assert open311_errors(response, fmt)
    assert written() == before


# --- the API -----------------------------------------------------------------------------------

API = {
    "category": "category",
    "lat": "lat",
    "lng": "lng",
    "description": "description",
    "name": "reporter_name",
    "phone": "reporter_phone",
    "crs": "crs",
    "channel": "channel",
    "kind": "kind",
    "title": "title",
    "address": "address",
}


@pytest.fixture
def api_case(spot, grid1):
    lat, lng = spot
    return {
        "category": "MD01",
        "description": "楼上的狗每晚叫到凌晨",
        "lat": lat,
        "lng": lng,
        "attributes": {"period": "night"},
    }


def assert_problem(response, field: str | None = None):
    assert 400 <= response.status_code < 500, response.content.decode()
    assert response["Content-Type"] == "application/problem+json", response["Content-Type"]
    body = response.json()
    if field:
        named = [e.get("field", "") for e in body.get("errors", [])]
        assert any(field in name for name in named) or field in body.get("detail", ""), body


def _json_value(value):
    """Numbers as JSON numbers where Python's JSON reads one (``NaN``, ``1e999`` too)."""
    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError:
            return value
        return "@@" + value + "@@"
    return value


def _dumps(data: dict) -> str:
    text = json.dumps({key: _json_value(value) for key, value in data.items()})
    return text.replace('"@@', "").replace('@@"', "")


@pytest.mark.parametrize(("what", "field", "value"), CORPUS, ids=IDS)
def test_api_case(api_as, api_case, what, field, value):
    data = changed(api_case, API, field, value)
    client = api_as("community_lvdu")  # issuing its token is audited: before counting
    before = written()
    response = client.post(
        "/api/v1/cases",
        _dumps(data) if field in ("lat", "lng") else json.dumps(data),
        content_type="application/json",
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert_problem(response, API[field])
    assert written() == before


def test_api_garbage_bodies(api_as):
    client = api_as("community_lvdu")
    before = written()
    for body in [
        b"[1, 2, 3]",
        b"{",
        b"\xff\xfe\x00",
        b'{"category": "MD02"' + b" " * TEN_MB + b"}",
    ]:
        response = client.post("/api/v1/cases", body, content_type="application/json")
        assert_problem(response)
    assert written() == before


# --- the pages ---------------------------------------------------------------------------------

REPORT = {
    "category": "category",
    "lat": "lat",
    "lng": "lng",
    "description": "description",
    "name": "name",
    "phone": "phone",
    "address": "address",
}
STAFF = {
    "category": "category",
    "lat": "lat",
    "lng": "lng",
    "description": "description",
    "name": "reporter_name",
    "phone": "reporter_phone",
    "crs": "crs",
    "channel": "channel",
    "title": "title",
    "address": "address",
}


def _category_pk(code="MD01"):
    from wangge.cases.models import Category

    return Category.objects.filter(code=code).order_by("-pk").first().pk


def assert_form_names(response, field: str):
    """The form is shown again with the error on the field (a point's error may sit on either
    coordinate, or on the form when the point lies in no grid)."""
    errors = response.context["form"].errors
    fields = {"lat", "lng", "__all__"} if field in ("lat", "lng") else {field}
    assert fields & set(errors), dict(errors)
    html = response.content.decode()
    shown = [m for messages in errors.values() for m in messages if escape(m) in html]
    assert shown, f"no error shown on the page: {dict(errors)}"


@pytest.fixture
def report_form(spot):
    lat, lng = spot
    return {
        "category": str(_category_pk()),
        "description": "楼上的狗每晚叫到凌晨",
        "lat": str(lat),
        "lng": str(lng),
        "q-noise-period": "night",
        "key": str(uuid.uuid4()),
    }


@pytest.fixture
def staff_form(spot, grid1):
    lat, lng = spot
    return {
        "channel": "phone",
        "category": str(_category_pk()),
        "description": "楼上的狗每晚叫到凌晨",
        "grid": str(grid1.pk),
        "lat": str(lat),
        "lng": str(lng),
        "crs": "wgs84",
        "q-noise-period": "night",
        "key": str(uuid.uuid4()),
    }


@pytest.mark.parametrize(("what", "field", "value"), FORM_CORPUS, ids=FORM_IDS)
def test_resident_report_page(client, report_form, what, field, value):
    data = changed(report_form, REPORT, field, value)
    before = written()
    response = client.post(
        f"/r/{LVDU_GRID1}/", form_body(data), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400, response.status_code
    assert_form_names(response, REPORT[field])
    assert written() == before


@pytest.mark.parametrize(("what", "field", "value"), FORM_CORPUS, ids=FORM_IDS)
def test_staff_new_case_page(as_user, staff_form, what, field, value):
    data = changed(staff_form, STAFF, field, value)
    before = written()
    response = as_user("community_lvdu").post(
        "/cases/new/", form_body(data), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400, response.status_code
    assert_form_names(response, STAFF[field])
    assert written() == before


NOTICE_BAD = [
    ("title over-long", {"title": "通" * 101}),
    ("no place", {"nodes": None}),
    ("place not a number", {"nodes": "abc"}),
    ("place outside", {"nodes": "OUTSIDE"}),
    ("publish_at garbage", {"publish_at": "yesterday-ish"}),
    ("publish_at impossible", {"publish_at": "2026-13-45 25:61"}),
    ("expires before it starts", {"publish_at": "2030-01-02 09:00", "expires_at": "2030-01-01"}),
    ("kind unknown", {"kind": "999999"}),
    ("kind a word", {"kind": "notice"}),
    ("a NUL in the body", {"body": "a\x00b"}),
]


@pytest.mark.parametrize(("what", "changes"), NOTICE_BAD, ids=[n[0] for n in NOTICE_BAD])
def test_new_notice_page(as_user, grid1, what, changes):
    from wangge.demo.district import GUANLAN
    from wangge.notices.models import NoticeKind
    from wangge.territory.models import Node

    data = {
        "kind": str(NoticeKind.objects.order_by("pk").first().pk),
        "title": "停水通知",
        "body": "本周六上午停水。",
        "nodes": str(grid1.pk),
        "to_web": "on",
        "key": str(uuid.uuid4()),
    }
    for key, value in changes.items():
        if value is None:
            data.pop(key)
        elif value == "OUTSIDE":
            data[key] = str(Node.objects.get(code=GUANLAN).pk)
        else:
            data[key] = value
    before = written()
    response = as_user("community_lvdu").post(
        "/notices/new/", form_body(data), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400, response.status_code
    assert response.context["form"].errors
    assert written() == before


# --- undecodable query strings, and markup shown as text ---------------------------------------

QUERIES = [
    "/cases/?q=%FF%FE",
    "/cases/?grid=%FF",
    "/registry/persons/?q=%FF",
    "/notices/?q=%FF",
    "/map/cases.geojson?bbox=%FF",
    "/dashboard/?node=%FF",
    "/export/cases.csv?q=%FF",
]
API_QUERIES = [
    "/api/v1/cases?q=%FF%FE",
    "/api/v1/persons?q=%FF",
    "/api/v1/grids/locate?lng=%FF&lat=1",
    "/api/v1/notices?q=%FF",
]
PUBLIC_QUERIES = [
    "/open311/v2/requests.json?service_code=%FF",
    "/open311/v2/requests.xml?start_date=%FF",
    f"/r/{LVDU_GRID1}/?category=%FF",
    "/t/?code=%FF",
]


@pytest.mark.parametrize("path", QUERIES + API_QUERIES + PUBLIC_QUERIES)
def test_undecodable_query_string(as_user, api_as, path):
    client = (api_as if path.startswith("/api/") else as_user)("community_lvdu")
    response = client.get(path)
    assert response.status_code < 500, (path, response.status_code)
    if response.status_code >= 400 and path.startswith("/api/"):
        assert response["Content-Type"] == "application/problem+json"


def test_markup_is_stored_as_text_and_shown_escaped(api_as, as_user, api_case):
    response = api_as("community_lvdu").post(
        "/api/v1/cases",
        {**api_case, "description": f"楼上很吵{SCRIPT}", "title": SCRIPT},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content.decode()
    page = as_user("community_lvdu").get(f"/cases/{response.json()['id']}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert" not in html


NOTICE_API_BAD = [
    ("title over-long", {"title": "通" * 101}, "title"),
    ("title a NUL", {"title": "停\x00水"}, "title"),
    ("body a NUL", {"body": "停\x00水"}, "body"),
    ("body an object", {"body": {"text": "停水"}}, "body"),
    ("no place", {"nodes": []}, "nodes"),
    ("place a word", {"nodes": ["abc"]}, "nodes"),
    ("place outside", {"nodes": "OUTSIDE"}, "nodes"),
    ("kind unknown", {"kind": "no-such-kind"}, "kind"),
    ("publish_at garbage", {"publish_at": "yesterday-ish"}, "publish_at"),
    ("publish_at impossible", {"publish_at": "2026-13-45T25:61:00+08:00"}, "publish_at"),
    ("publish_at year 99999", {"publish_at": "99999-01-01T00:00:00+08:00"}, "publish_at"),
    ("expires before it starts", {"publish_at": "2030-01-02T09:00:00+08:00",
                                  "expires_at": "2030-01-01T09:00:00+08:00"}, "expires_at"),
    ("care tag unknown", {"care_tags": ["no-such-tag"]}, "care_tags"),
    ("role unknown", {"roles": ["emperor"]}, "roles"),
    ("wecom_format unknown", {"wecom_format": "html"}, "wecom_format"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("what", "changes", "field"), NOTICE_API_BAD, ids=[n[0] for n in NOTICE_API_BAD]
)
def test_api_notice(api_as, grid1, what, changes, field):
    from wangge.demo.district import GUANLAN
    from wangge.notices.models import NoticeKind
    from wangge.territory.models import Node

    data = {
        "kind": NoticeKind.objects.order_by("pk").first().code,
        "title": "停水通知",
        "body": "本周六上午停水。",
        "nodes": [grid1.pk],
    }
    data.update(changes)
    if data["nodes"] == "OUTSIDE":
        data["nodes"] = [Node.objects.get(code=GUANLAN).pk]
    client = api_as("community_lvdu")
    before = written()
    response = client.post(
        "/api/v1/notices",
        json.dumps(data),
        content_type="application/json",
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert_problem(response, field)
    assert written() == before


# --- JSON bodies need a JSON content type ------------------------------------------------------


def _json_operations():
    """(method, path) of every operation of ``/api/v1/`` that takes a JSON body, from the API's
    own document: a new one is covered without being listed here."""
    from wangge.api import api

    schema = api.get_openapi_schema()
    found = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                found.append((method, path))
    return found


def _sample_path(path: str) -> str:
    import re

    return re.sub(r"\{[^}]+\}", "1", path)


@pytest.mark.parametrize(
    "kind",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""],
)
def test_every_json_body_needs_a_json_content_type(api_as, kind):
    operations = _json_operations()
    assert len(operations) >= 15, operations
    client = api_as("district")
    body = json.dumps({"note": "x", "username": "district", "password": "x"})
    before = written()
    for method, path in operations:
        url = _sample_path(path)
        response = getattr(client, method)(url, body, content_type=kind)
        assert response.status_code == 415, (method, url, response.status_code)
        assert response["Content-Type"] == "application/problem+json"
        problem = response.json()
        assert problem["errors"][0]["field"] == "Content-Type", problem
        assert "application/json" in problem["detail"]
    assert written() == before


@pytest.mark.parametrize("kind", ["application/json", "application/merge-patch+json"])
def test_json_content_types_are_read(api_as, api_case, kind):
    response = api_as("community_lvdu").post(
        "/api/v1/cases", json.dumps(api_case), content_type=kind
    )
    assert response.status_code == 201, response.content.decode()


def test_a_form_post_of_json_words_writes_no_case(api_as, api_case):
    """A page of another site can post ``text/plain`` without asking first: with a session
    cookie (CSRF aside) or a token, it writes nothing."""
    client = api_as("community_lvdu")
    before = written()
    response = client.post("/api/v1/cases", json.dumps(api_case), content_type="text/plain")
    assert_problem(response, "Content-Type")
    assert response.status_code == 415
    assert written() == before


# --- Moves of a case: notes, choices, the review date, extensions ------------------------------


@pytest.fixture
def fresh_case(api_as, api_case):
    """A case 绿都社区 has just entered (dispatched to grid 1's worker)."""
    response = api_as("community_lvdu").post(
        "/api/v1/cases", json.dumps(api_case), content_type="application/json"
    )
    assert response.status_code == 201, response.content.decode()
    return response.json()


def _move(client, case_id, action, **body):
    return client.post(
        f"/api/v1/cases/{case_id}/actions/{action}",
        json.dumps(body, default=str),
        content_type="application/json",
    )


def move_written() -> dict[str, int]:
    from wangge.cases.models import Extension

    counts = written()
    counts["Extension"] = Extension.objects.count()
    return counts


MOVE_BAD = [
    ("note 100,000 characters", "comment", {"note": "注" * 100_000}, "note"),
    ("note 2,001 characters", "comment", {"note": "注" * 2001}, "note"),
    ("note a NUL", "comment", {"note": "a\x00b"}, "note"),
    ("rating unknown", "comment", {"note": "x", "rating": "meh"}, "rating"),
    ("kind unknown", "recategorize", {"category": "MD02", "kind": "urgent"}, "kind"),
    ("unit unknown", "request_extension", {"note": "等配件", "amount": 2, "unit": "fortnights"},
     "unit"),
    ("amount three decimals", "request_extension", {"note": "等配件", "amount": "1.234"},
     "amount"),
    ("amount a word", "request_extension", {"note": "等配件", "amount": "two"}, "amount"),
    ("amount enormous", "request_extension", {"note": "等配件", "amount": "1e9"}, "amount"),
    ("extension over the rule", "request_extension",
     {"note": "等配件", "amount": 11, "unit": "working_days"}, "amount"),
    ("extension over the rule in hours", "request_extension",
     {"note": "等配件", "amount": 500, "unit": "hours"}, "amount"),
    ("review date in the past", "park", {"note": "等改造", "parked_until": "PAST"},
     "parked_until"),
    ("review date not a date", "park", {"note": "等改造", "parked_until": "soon"},
     "parked_until"),
    ("category unknown", "recategorize", {"category": "ZZ99"}, "category"),
    ("category over-long", "recategorize", {"category": "Z" * 100}, "category"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("what", "action", "body", "field"), MOVE_BAD, ids=[m[0] for m in MOVE_BAD]
)
def test_api_move(api_as, fresh_case, today, what, action, body, field):
    import datetime

    if body.get("parked_until") == "PAST":
        body = {**body, "parked_until": (today - datetime.timedelta(days=1)).isoformat()}
    client = api_as("community_lvdu")
    before = move_written()
    response = _move(client, fresh_case["id"], action, **body)
    assert_problem(response, field)
    assert response.status_code == 400
    assert move_written() == before
    after = client.get(f"/api/v1/cases/{fresh_case['id']}").json()
    assert (after["state"], after["parked_until"]) == (fresh_case["state"], None)


def test_the_extension_message_names_the_rule(api_as, fresh_case):
    response = _move(
        api_as("community_lvdu"), fresh_case["id"], "request_extension", note="等配件", amount=11
    )
    detail = response.json()["detail"]
    assert "10 工作日" in detail or "10 个工作日" in detail, detail


def test_extensions_add_up_to_the_rule_and_no_more(api_as, fresh_case):
    """10 working days in all: 6 and then 4 are fine, one more hour is not."""
    from wangge.cases.models import Extension

    staff = api_as("community_lvdu")
    case_id = fresh_case["id"]
    for amount in (6, 4):
        response = _move(staff, case_id, "request_extension", note="等配件", amount=amount)
        assert response.status_code == 200, response.content.decode()
        pending = Extension.objects.get(case_id=case_id, state="pending")
        response = _move(
            staff, case_id, "decide_extension", extension=pending.pk, approve=True, note="同意"
        )
        assert response.status_code == 200, response.content.decode()
    before = move_written()
    response = _move(
        staff, case_id, "request_extension", note="还要等", amount=1, unit="working_hours"
    )
    assert_problem(response, "amount")
    assert move_written() == before


def test_an_extension_is_judged_again_when_decided(api_as, fresh_case):
    """Asked for within the rule; the rule is tightened in the admin before it is decided:
    approving it is refused, naming the request; refusing it is fine."""
    from wangge.cases.models import CategoryTree, Extension, StageLimit
    from wangge.core.memo import standards_changed

    staff = api_as("community_lvdu")
    case_id = fresh_case["id"]
    assert _move(staff, case_id, "request_extension", note="等配件", amount=8).status_code == 200
    pending = Extension.objects.get(case_id=case_id, state="pending")
    tree = CategoryTree.objects.get(is_current=True)
    StageLimit.objects.filter(tree=tree, category=None, stage="extension").update(amount=5)
    standards_changed()
    before = move_written()
    response = _move(staff, case_id, "decide_extension", extension=pending.pk, approve=True)
    assert_problem(response, "extension")
    assert move_written() == before
    response = _move(staff, case_id, "decide_extension", extension=pending.pk, approve=False)
    assert response.status_code == 200


def test_a_case_decided_as_a_project_follows_its_plan(api_as, fresh_case):
    """A meeting's decision (a project, as in story S5) may take longer than the rule."""
    staff = api_as("community_lvdu")
    case_id = fresh_case["id"]
    worker = api_as("gridworker_lvdu1")
    assert _move(worker, case_id, "escalate", note="需两委研究").status_code == 200
    response = _move(
        staff, case_id, "decide", note="列为微改造项目", project_ref="民生微改造：管网"
    )
    assert response.status_code == 200, response.content.decode()
    response = _move(
        staff, case_id, "dispatch", note="按决定推进", assignees=[_user_id("gridworker_lvdu1")]
    )
    assert response.status_code == 200, response.content.decode()
    response = _move(staff, case_id, "request_extension", note="施工两个月", amount=40)
    assert response.status_code == 200, response.content.decode()


def _user_id(username):
    from wangge.accounts.models import User

    return User.objects.get(username=username).pk


def test_a_review_date_of_today_is_fine(api_as, fresh_case, today):
    response = _move(
        api_as("community_lvdu"), fresh_case["id"], "park", note="等改造",
        parked_until=today.isoformat(),
    )  # fmt: skip
    assert response.status_code == 200, response.content.decode()
    assert response.json()["parked_until"] == today.isoformat()


def test_project_name_over_long_is_refused(api_as, fresh_case):
    staff = api_as("community_lvdu")
    case_id = fresh_case["id"]
    assert _move(api_as("gridworker_lvdu1"), case_id, "escalate", note="上报").status_code == 200
    before = move_written()
    response = _move(staff, case_id, "decide", note="研究", project_ref="项" * 101)
    assert_problem(response, "project_ref")
    assert move_written() == before


# --- Every other text the API takes ------------------------------------------------------------


def _found_item(api_as, grid1):
    import datetime

    from django.utils import timezone

    response = api_as("community_lvdu").post(
        "/api/v1/found-items",
        json.dumps(
            {
                "what": "钥匙",
                "where": "小区门口",
                "found_at": (timezone.now() - datetime.timedelta(hours=1)).isoformat(),
                "grid_id": grid1.pk,
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content.decode()
    return response.json()["id"]


def _claim(api_as, item_id, verified=None):
    client = api_as("community_lvdu")
    response = client.post(
        f"/api/v1/found-items/{item_id}/claims",
        json.dumps({"claimant_name": "王女士", "claimant_phone": "13900000011"}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content.decode()
    claim_id = response.json()["id"]
    if verified is not None:
        response = client.post(
            f"/api/v1/found-items/{item_id}/claims/{claim_id}/check",
            json.dumps({"verified": verified, "note": "说出了钥匙扣的样子"}),
            content_type="application/json",
        )
        assert response.status_code == 200, response.content.decode()
    return claim_id


def _household_id(grid1):
    from wangge.people.models import Household

    return Household.objects.filter(grid__path__startswith=grid1.path).order_by("pk").first().pk


def _person_id(grid1):
    from wangge.people.models import Person

    return Person.objects.filter(grid__path__startswith=grid1.path).order_by("pk").first().pk


def _case_id(grid1):
    from wangge.cases.models import Case

    return Case.objects.filter(grid__path__startswith=grid1.path).order_by("pk").first().pk


def _notice_waiting(api_as, grid1):
    """A notice for the whole street, written by the street's staff: waiting for approval."""
    from wangge.notices.models import Notice

    found = Notice.objects.filter(state="pending").order_by("pk").first()
    assert found is not None, "the demo has a notice waiting"
    return found.pk


API_TEXTS = [
    # (what, path (formatted with the objects below), body, field, persona)
    ("visit notes 100,000", "/api/v1/visits",
     {"household_id": "{household}", "notes": "访" * 100_000}, "notes", "gridworker_lvdu1"),
    ("visit kind unknown", "/api/v1/visits",
     {"household_id": "{household}", "kind": "séance"}, "kind", "gridworker_lvdu1"),
    ("notice body over-long", "/api/v1/notices",
     {"kind": "KIND", "title": "停水", "body": "水" * 5001, "nodes": ["{grid}"]}, "body",
     "community_lvdu"),
    ("notice title 100,000", "/api/v1/notices",
     {"kind": "KIND", "title": "停" * 100_000, "body": "停水", "nodes": ["{grid}"]}, "title",
     "community_lvdu"),
    ("review note over-long", "/api/v1/notices/{notice}/reject", {"note": "改" * 2001}, "note",
     "district_review"),
    ("robot name over-long", "/api/v1/robots",
     {"grid": "{grid}", "name": "群" * 65, "key": "0" * 36}, "name", "community_lvdu"),
    ("found item what over-long", "/api/v1/found-items",
     {"what": "物" * 201, "where": "门口", "found_at": "NOW", "grid_id": "{grid}"}, "what",
     "community_lvdu"),
    ("found item kept_at over-long", "/api/v1/found-items",
     {"what": "钥匙", "where": "门口", "found_at": "NOW", "grid_id": "{grid}",
      "kept_at": "处" * 201}, "kept_at", "community_lvdu"),
    ("claim proof over-long", "/api/v1/found-items/{item}/claims",
     {"claimant_name": "王女士", "claimant_phone": "13900000011", "proof": "证" * 2001}, "proof",
     "community_lvdu"),
    ("claim name over-long", "/api/v1/found-items/{item}/claims",
     {"claimant_name": "王" * 65, "claimant_phone": "13900000011"}, "claimant_name",
     "community_lvdu"),
    ("check note over-long", "/api/v1/found-items/{item}/claims/{claim}/check",
     {"verified": False, "note": "查" * 2001}, "note", "community_lvdu"),
    ("hand-over note over-long", "/api/v1/found-items/{item}/claims/{verified}/hand-over",
     {"note": "交" * 2001}, "note", "community_lvdu"),
    ("case reveal purpose over-long", "/api/v1/cases/{case}/reveal", {"purpose": "回" * 501},
     "purpose", "community_lvdu"),
    ("person reveal purpose over-long", "/api/v1/persons/{person}/reveal",
     {"field": "phone", "purpose": "核" * 501}, "purpose", "community_lvdu"),
    ("person reveal field unknown", "/api/v1/persons/{person}/reveal",
     {"field": "password", "purpose": "核实身份"}, "field", "community_lvdu"),
    ("token name over-long", "/api/v1/auth/token",
     {"username": "district", "password": "x", "name": "令" * 65}, "name", None),
    ("token user name 100,000", "/api/v1/auth/token",
     {"username": "u" * 100_000, "password": "x"}, "username", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("what", "path", "body", "field", "persona"), API_TEXTS, ids=[t[0] for t in API_TEXTS]
)
def test_api_text(api_as, client, grid1, what, path, body, field, persona):
    import datetime

    from django.utils import timezone

    from wangge.notices.models import NoticeKind

    item = _found_item(api_as, grid1) if "{item}" in path else None
    objects = {
        "grid": grid1.pk,
        "household": _household_id(grid1),
        "person": _person_id(grid1),
        "case": _case_id(grid1),
        "notice": _notice_waiting(api_as, grid1) if "{notice}" in path else None,
        "item": item,
        "claim": _claim(api_as, item) if "{claim}" in path else None,
        "verified": _claim(api_as, item, verified=True) if "{verified}" in path else None,
    }
    values = {}
    for key, value in body.items():
        if value == "NOW":
            value = (timezone.now() - datetime.timedelta(hours=1)).isoformat()
        elif value == "KIND":
            value = NoticeKind.objects.order_by("pk").first().code
        elif isinstance(value, str) and value.startswith("{") and value.endswith("}"):
            value = objects[value[1:-1]]
        elif isinstance(value, list):
            value = [objects[v[1:-1]] if str(v).startswith("{") else v for v in value]
        values[key] = value
    caller = api_as(persona) if persona else client
    before = move_written()
    response = caller.post(
        path.format(**objects),
        json.dumps(values),
        content_type="application/json",
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert_problem(response, field)
    assert response.status_code == 400, response.status_code
    assert move_written() == before


@pytest.mark.parametrize(
    "path", ["/api/v1/cases", "/api/v1/visits", "/api/v1/notices", "/api/v1/found-items"]
)
def test_an_idempotency_key_over_its_limit_is_refused_not_cut(api_as, grid1, api_case, path):
    import datetime

    from django.utils import timezone

    from wangge.notices.models import NoticeKind

    bodies = {
        "/api/v1/cases": api_case,
        "/api/v1/visits": {"household_id": _household_id(grid1)},
        "/api/v1/notices": {
            "kind": NoticeKind.objects.order_by("pk").first().code,
            "title": "停水",
            "body": "停水",
            "nodes": [grid1.pk],
        },
        "/api/v1/found-items": {
            "what": "钥匙",
            "where": "门口",
            "found_at": (timezone.now() - datetime.timedelta(hours=1)).isoformat(),
            "grid_id": grid1.pk,
        },
    }
    client = api_as("community_lvdu")
    before = written()
    response = client.post(
        path,
        json.dumps(bodies[path]),
        content_type="application/json",
        headers={"Idempotency-Key": "k" * 129},
    )
    assert_problem(response, "Idempotency-Key")
    assert written() == before


def test_api_errors_are_in_chinese_and_name_the_limit(api_as, api_case):
    response = api_as("community_lvdu").post(
        "/api/v1/cases",
        json.dumps({**api_case, "title": "标" * 100_000, "crs": "epsg:3857"}),
        content_type="application/json",
    )
    body = response.json()
    messages = {error["field"]: error["message"] for error in body["errors"]}
    assert "最多 100 个字" in messages["title"] and "100000" in messages["title"]
    # The schema judged the title first; fixed, the coordinate system is named.
    response = api_as("community_lvdu").post(
        "/api/v1/cases",
        json.dumps({**api_case, "crs": "epsg:3857"}),
        content_type="application/json",
    )
    body = response.json()
    assert response.status_code == 400
    messages = {error["field"]: error["message"] for error in body["errors"]}
    assert "epsg:3857" in messages["crs"] and "wgs84" in messages["crs"]


# --- Pages: the console's moves, the phone's task, notices, claims ------------------------------


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.mark.parametrize(
    ("what", "action", "data", "words"),
    [
        ("note over-long", "comment", {"note": "注" * 2001}, "最多 2000 个字"),
        ("review date past", "park", {"note": "等改造", "parked_until": "PAST"}, "不能早于"),
        ("extension over the rule", "request_extension",
         {"note": "等配件", "amount": "11", "unit": "working_days"}, "10"),
        ("unit unknown", "request_extension", {"note": "等配件", "amount": "2", "unit": "moons"},
         "moons"),
    ],
)  # fmt: skip
def test_console_move(as_user, fresh_case, today, what, action, data, words):
    import datetime

    if data.get("parked_until") == "PAST":
        data = {**data, "parked_until": (today - datetime.timedelta(days=3)).isoformat()}
    client = as_user("community_lvdu")
    before = move_written()
    response = client.post(f"/cases/{fresh_case['id']}/act/{action}/", data)
    # The case page again, the move open with what was typed and the field's problem beside it.
    assert response.status_code == 400
    said = response.content.decode()
    assert words in said
    assert move_written() == before


def test_phone_task_note_over_long(as_user, fresh_case):
    from wangge.cases.models import Task

    task = Task.objects.get(case_id=fresh_case["id"], assignee__username="gridworker_lvdu1")
    client = as_user("gridworker_lvdu1")
    before = move_written()
    response = client.post(f"/m/tasks/{task.pk}/sign/", {"note": "签" * 2001})
    assert response.status_code == 400
    assert "最多 2000 个字" in response.content.decode()
    assert move_written() == before


def test_new_notice_page_body_over_long(as_user, grid1):
    from wangge.notices.models import NoticeKind

    data = {
        "kind": str(NoticeKind.objects.order_by("pk").first().pk),
        "title": "停水通知",
        "body": "水" * 5001,
        "nodes": str(grid1.pk),
        "to_web": "on",
        "key": str(uuid.uuid4()),
    }
    before = written()
    response = as_user("community_lvdu").post("/notices/new/", data)
    assert response.status_code == 400
    assert "body" in response.context["form"].errors
    assert "5000" in " ".join(response.context["form"].errors["body"])
    assert written() == before


def test_claim_page_proof_over_long(as_user, api_as, grid1):
    from wangge.lostfound.models import Claim

    item = _found_item(api_as, grid1)
    before = Claim.objects.count()
    response = as_user("community_lvdu").post(
        f"/found/{item}/claims/",
        {"claimant_name": "王女士", "claimant_phone": "13900000011", "proof": "证" * 2001},
    )
    assert response.status_code == 400
    assert "proof" in response.context["claim_form"].errors
    assert Claim.objects.count() == before


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/cases/duplicates?category=MD01&lng=113.55&lat=34.75&crs=epsg:3857",
        "/api/v1/grids/locate?lng=113.55&lat=34.75&crs=epsg:3857",
    ],
)
def test_an_unknown_coordinate_system_in_a_query_is_named(api_as, path):
    response = api_as("community_lvdu").get(path)
    assert_problem(response, "crs")
    assert response.status_code == 400
    assert "epsg:3857" in response.json()["errors"][0]["message"]
