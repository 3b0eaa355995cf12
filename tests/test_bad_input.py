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
}
STAFF = {
    "category": "category",
    "lat": "lat",
    "lng": "lng",
    "description": "description",
    "name": "reporter_name",
    "phone": "reporter_phone",
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
