"""Open311 GeoReport v2 under /open311/v2/: the real ``georeport`` client against the app, then
every endpoint over raw HTTP in JSON and XML, bad input (which writes nothing), idempotency."""

import datetime
import json
from urllib.parse import urlencode, urlsplit

import pytest
import requests
import xmltodict
from django.test import Client
from django.utils import timezone
from georeport import GeoReport
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from shapely.geometry import shape

from wangge.cases import services
from wangge.cases.choices import Channel, Kind, State
from wangge.cases.models import Case, CaseEvent, Category
from wangge.core import audit
from wangge.core.models import AuditEvent, IdempotencyKey
from wangge.demo.district import LVDU_GRID1, LVDU_GRID2, OPEN311_DEMO_KEY
from wangge.open311.models import Open311Client
from wangge.open311.services import create_open311_client
from wangge.territory import geo
from wangge.territory.models import Building, Node

ROOT = "/open311/v2"
FORMATS = ["json", "xml"]
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
XML_LISTS = ("service", "request", "error", "attribute", "value", "note", "category", "format")


# --- Helpers ------------------------------------------------------------------------------------


class DjangoTransport(BaseAdapter):
    """A ``requests`` transport that hands each request to Django's test client, so real
    client code runs against the app inside the test's transaction."""

    def __init__(self, client: Client):
        super().__init__()
        self.client = client

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        url = urlsplit(request.url)
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        skip = {"content-length", "content-type", "host"}
        reply = self.client.generic(
            request.method,
            url.path + (f"?{url.query}" if url.query else ""),
            data=body,
            content_type=request.headers.get("Content-Type", ""),
            headers={k: v for k, v in request.headers.items() if k.lower() not in skip},
        )
        response = requests.Response()
        response.status_code = reply.status_code
        response.reason = reply.reason_phrase
        response.headers = CaseInsensitiveDict(dict(reply.items()))
        response._content = reply.content
        response.encoding = requests.utils.get_encoding_from_headers(response.headers)
        response.url = request.url
        response.request = request
        return response

    def close(self):
        pass


def body(response, fmt):
    """The answer as Python: JSON as is; XML through xmltodict, lists always lists."""
    assert response["Content-Type"] == CONTENT_TYPES[fmt]
    if fmt == "json":
        return json.loads(response.content)
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return xmltodict.parse(response.content, force_list=XML_LISTS)


def requests_of(response, fmt) -> list[dict]:
    data = body(response, fmt)
    if fmt == "json":
        return data
    return (data["service_requests"] or {}).get("request", [])


def errors_of(response, fmt) -> list[tuple[int, str]]:
    data = body(response, fmt)
    items = data if fmt == "json" else data["errors"]["error"]
    return [(int(item["code"]), item["description"]) for item in items]


def written():
    """What a request may have written: cases, their timeline, audit events, retry keys."""
    return (
        Case.objects.count(),
        CaseEvent.objects.count(),
        AuditEvent.objects.count(),
        IdempotencyKey.objects.count(),
    )


@pytest.fixture
def web(db):
    return Client()


@pytest.fixture
def spot(db):
    """(lat, long) inside 绿都 grid 1."""
    point = shape(Node.objects.get(code=LVDU_GRID1).geometry).representative_point()
    return point.y, point.x


@pytest.fixture
def form(spot):
    lat, lng = spot
    return {
        "api_key": OPEN311_DEMO_KEY,
        "service_code": "MD02",
        "lat": str(lat),
        "long": str(lng),
        "attribute[period]": "night",
        "description": "楼上的狗每晚叫到凌晨",
    }


def post(web, fmt, data, **headers):
    """POST form-encoded, as the spec has it (``None`` leaves a field out)."""
    fields = {key: value for key, value in data.items() if value is not None}
    return web.post(
        f"{ROOT}/requests.{fmt}",
        urlencode(fields),
        content_type="application/x-www-form-urlencoded",
        headers=headers,
    )


def file_case(web, form, fmt="json", **changes) -> str:
    response = post(web, fmt, {**form, **changes})
    assert response.status_code == 201, response.content.decode()
    return requests_of(response, fmt)[0]["service_request_id"]


def staff_case(*, actor=None, public=False, days_ago=0, code="SJ01", kind="", **extra) -> Case:
    """A case taken in through the intake service (as staff, or the system)."""
    grid = Node.objects.get(code=LVDU_GRID1)
    point = shape(grid.geometry).representative_point()
    case = services.report(
        actor=actor,
        channel=Channel.PATROL if actor else Channel.PHONE,
        category=Category.objects.get(tree__is_current=True, code=code),
        description=extra.pop("description", "路边有一堆垃圾"),
        kind=kind,
        lng=point.x,
        lat=point.y,
        received_at=timezone.now() - datetime.timedelta(days=days_ago),
        **extra,
    )
    if public:
        Case.objects.filter(pk=case.pk).update(public=True)
    return case


# --- The georeport client, end to end -----------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_georeport_client_round_trip(web, form, monkeypatch, fmt):
    session = requests.Session()
    session.mount("http://testserver/", DjangoTransport(web))
    monkeypatch.setattr(requests, "get", session.get)
    monkeypatch.setattr(requests, "post", session.post)
    root = f"http://testserver{ROOT}"
    client = GeoReport(root, api_key=OPEN311_DEMO_KEY, output_format=fmt)

    offered = {service["service_code"]: service for service in client.get_service_list()}
    assert offered["MD02"]["service_name"] == "宠物扰民"
    assert offered["MD02"]["group"] == "矛盾纠纷"
    assert str(offered["MD02"]["metadata"]).lower() == "true"
    assert str(offered["SJ01"]["metadata"]).lower() == "false"
    assert "MD" not in offered  # a branch, not a service

    definition = client.get_service_definition("MD02")
    attributes = definition["attributes"]
    if fmt == "xml":
        attributes = attributes["attribute"]
    period = next(attribute for attribute in attributes if attribute["code"] == "period")
    assert str(period["required"]).lower() == "true"
    assert period["datatype"] == "singlevaluelist"
    values = period["values"] if fmt == "json" else period["values"]["value"]
    assert [value["key"] for value in values] == ["day", "evening", "night"]

    # georeport 0.3.1 reads only; filing goes through the same requests transport.
    created = requests.post(f"{root}/requests.{fmt}", data=form)
    assert created.status_code == 201
    if fmt == "json":
        number = created.json()[0]["service_request_id"]
    else:
        number = xmltodict.parse(created.content)["service_requests"]["request"][
            "service_request_id"
        ]

    one = client.get_service_request(number)
    assert one["service_request_id"] == number
    assert one["service_code"] == "MD02"
    assert one["status"] == "open"
    assert one["description"] == form["description"]
    assert one["requested_datetime"].endswith("+08:00")

    found = client.get_service_requests(service_request_id=number)
    found = [found] if isinstance(found, dict) else found
    assert [row["service_request_id"] for row in found] == [number]
    listed = client.get_service_requests(service_code="MD02", status="open")
    listed = [listed] if isinstance(listed, dict) else listed
    assert number in {row["service_request_id"] for row in listed}


# --- Discovery and services ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery(web, fmt):
    response = web.get(f"{ROOT}/discovery.{fmt}")
    assert response.status_code == 200
    data = body(response, fmt)
    if fmt == "xml":
        data = data["discovery"]
        endpoint = data["endpoints"]["endpoint"]
        formats = endpoint["formats"]["format"]
    else:
        endpoint = data["endpoints"][0]
        formats = endpoint["formats"]
    assert data["changeset"].endswith("+08:00")
    assert data["contact"] and data["key_service"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["type"] == "production"
    assert formats == ["text/xml", "application/json"]


def test_discovery_changeset_follows_audited_edits_of_the_services(web):
    before = web.get(f"{ROOT}/discovery.json").json()["changeset"]
    category = Category.objects.get(tree__is_current=True, code="MD02")
    audit.record(actor=None, action="cases.category.updated", target=category, reason="admin")
    after = web.get(f"{ROOT}/discovery.json").json()["changeset"]
    assert datetime.datetime.fromisoformat(after) > datetime.datetime.fromisoformat(before)
    assert after.endswith("+08:00")


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_are_the_public_active_leaves_of_the_current_tree(web, fmt):
    Category.objects.filter(tree__is_current=True, code="MS05").update(public=False)
    Category.objects.filter(tree__is_current=True, code="MS04").update(is_active=False)
    response = web.get(f"{ROOT}/services.{fmt}")
    assert response.status_code == 200
    data = body(response, fmt)
    services_ = data if fmt == "json" else data["services"]["service"]
    by_code = {service["service_code"]: service for service in services_}
    leaves = Category.objects.filter(
        tree__is_current=True, is_active=True, public=True, children__isnull=True
    )
    assert set(by_code) == set(leaves.values_list("code", flat=True))
    assert {"MS04", "MS05", "MS", "MD"}.isdisjoint(by_code)
    noise, litter = by_code["MD02"], by_code["SJ01"]
    assert noise["service_name"] == "宠物扰民"
    assert noise["type"] == "realtime"
    assert noise["group"] == "矛盾纠纷"
    assert "宠物扰民" in noise["keywords"]
    assert str(noise["metadata"]).lower() == "true"
    assert str(litter["metadata"]).lower() == "false"
    if fmt == "json":
        assert noise["metadata"] is True and litter["metadata"] is False


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition(web, fmt):
    response = web.get(f"{ROOT}/services/AQ01.{fmt}")
    assert response.status_code == 200
    data = body(response, fmt)
    if fmt == "xml":
        data = data["service_definition"]
        attributes = data["attributes"]["attribute"]
        for attribute in attributes:
            attribute["values"] = attribute.get("values", {}).get("value", [])
    else:
        attributes = data["attributes"]
    assert data["service_code"] == "AQ01"
    danger, kinds = attributes
    assert danger["code"] == "danger_now"
    assert danger["datatype"] == "singlevaluelist"  # a yes/no question
    assert [value["key"] for value in danger["values"]] == ["true", "false"]
    assert kinds["datatype"] == "multivaluelist"
    assert str(kinds["order"]) == "2"
    assert str(kinds["required"]).lower() == "false"
    assert str(kinds["variable"]).lower() == "true"

    plain = web.get(f"{ROOT}/services/SJ01.{fmt}")
    assert plain.status_code == 200
    if fmt == "json":
        assert plain.json() == {"service_code": "SJ01", "attributes": []}


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_service_is_404(web, fmt):
    for code in ("ZZ99", "MD"):  # unknown, and a branch of the tree
        response = web.get(f"{ROOT}/services/{code}.{fmt}")
        assert response.status_code == 404
        [(status, description)] = errors_of(response, fmt)
        assert status == 404 and code in description


def test_unknown_format_and_paths_are_spec_404s(web):
    for path in ("services.yaml", "services", "requests", "nothing.json", "services/MD02.html"):
        response = web.get(f"{ROOT}/{path}")
        assert response.status_code == 404, path
        [(status, _)] = errors_of(response, "xml")
        assert status == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_wrong_method_is_405_in_the_spec_format(web, fmt):
    response = web.post(f"{ROOT}/services.{fmt}", {})
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert errors_of(response, fmt)[0][0] == 405


# --- POST requests ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_files_a_public_case_through_the_intake(web, form, fmt):
    before = written()
    response = post(
        web, fmt, {**form, "first_name": "三", "last_name": "张", "phone": "13800001234"}
    )
    assert response.status_code == 201
    [answer] = requests_of(response, fmt)
    assert set(answer) == {"service_request_id", "service_notice", "account_id"}
    assert answer["account_id"] is None
    case = Case.objects.get(number=answer["service_request_id"])
    assert f"http://testserver/t/{case.tracking_code}/" in answer["service_notice"]
    assert case.public is True
    assert case.channel == Channel.OPEN311
    assert case.state == State.REPORTED
    assert case.category.code == "MD02"
    assert case.attributes == {"period": "night"}
    assert case.grid.path.startswith(Node.objects.get(code=LVDU_GRID1).path)
    assert case.reporter_name == "张三"
    assert case.reporter_phone == "13800001234"
    assert case.entered_by is None
    assert case.external_source == f"open311:{Open311Client.objects.get().pk}"
    cases, events, audits, keys = written()
    assert (cases, keys) == (before[0] + 1, before[3])
    assert audits > before[2] and events > before[1]
    assert AuditEvent.objects.filter(action="cases.case.reported").exists()


def test_post_accepts_json_multi_values_and_a_building(web, form):
    building = Building.objects.filter(
        grid__path__startswith=Node.objects.get(code=LVDU_GRID1).path
    )
    building = building.exclude(lng=None).first()
    payload = {
        "api_key": OPEN311_DEMO_KEY,
        "service_code": "AQ01",
        "address_id": building.pk,
        "attribute": {"danger_now": True, "kinds": ["fire", "electric"]},
        "description": "楼道堆满杂物",
    }
    response = web.post(f"{ROOT}/requests.json", payload, content_type="application/json")
    assert response.status_code == 201, response.content.decode()
    case = Case.objects.get(number=response.json()[0]["service_request_id"])
    assert case.building == building
    assert case.attributes == {"danger_now": True, "kinds": ["electric", "fire"]}

    # Form-encoded multi-value lists: attribute[CODE][] repeated.
    response = web.post(
        f"{ROOT}/requests.xml",
        "api_key=demo-open311-key&service_code=AQ01"
        f"&lat={form['lat']}&long={form['long']}"
        "&attribute%5Bdanger_now%5D=false&attribute[kinds][]=tree&attribute[kinds][]=snow",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 201, response.content.decode()
    number = requests_of(response, "xml")[0]["service_request_id"]
    case = Case.objects.get(number=number)
    assert case.attributes == {"danger_now": False, "kinds": ["snow", "tree"]}
    assert case.title == "消防通道堵塞"  # no description: the service's name


def test_post_by_address_string_of_a_known_building(web):
    building = Building.objects.exclude(address="").exclude(lng=None).first()
    assert Building.objects.filter(address=building.address).count() == 1
    data = {
        "api_key": OPEN311_DEMO_KEY,
        "service_code": "SJ01",
        "address_string": building.address,
        "description": "垃圾桶满了",
    }
    response = post(web, "json", data)
    assert response.status_code == 201, response.content.decode()
    case = Case.objects.get(number=response.json()[0]["service_request_id"])
    assert case.building == building and case.address == building.address


def test_post_in_gcj02(web, spot):
    lat, lng = spot
    g_lng, g_lat = (float(v) for v in geo.from_wgs84(lng, lat, "gcj02"))
    data = {
        "api_key": OPEN311_DEMO_KEY,
        "service_code": "SJ01",
        "lat": g_lat,
        "long": g_lng,
        "crs": "gcj02",
        "description": "垃圾",
    }
    number = requests_of(post(web, "json", data), "json")[0]["service_request_id"]
    case = Case.objects.get(number=number)
    assert case.lat == pytest.approx(lat, abs=1e-6) and case.lng == pytest.approx(lng, abs=1e-6)


NO_POINT = {"lat": None, "long": None}
BAD = [
    ("no api_key", {"api_key": None}, 403, "api_key"),
    ("wrong api_key", {"api_key": "not-a-key"}, 403, "api_key"),
    ("unknown service_code", {"service_code": "ZZ99"}, 400, "service_code"),
    ("a branch as service_code", {"service_code": "MD"}, 400, "service_code"),
    ("no service_code", {"service_code": None}, 400, "service_code"),
    ("no location", NO_POINT, 400, "lat"),
    ("lat without long", {"long": None}, 400, "lat/long"),
    ("not a number", {"lat": "north"}, 400, "lat/long"),
    ("out of range", {"lat": "134.7"}, 400, "lat/long"),
    ("outside every grid", {"lat": "39.9087", "long": "116.3975"}, 400, "不在本平台的任何网格内"),
    ("bad attribute value", {"attribute[period]": "noon"}, 400, "attribute[period]"),
    ("missing required attribute", {"attribute[period]": None}, 400, "attribute[period]"),
    ("unknown attribute", {"attribute[colour]": "red"}, 400, "attribute[colour]"),
    ("description too long", {"description": "吵" * 4001}, 400, "description"),
    ("bad phone", {"phone": "12345"}, 400, "phone"),
    ("name too long", {"first_name": "名" * 40, "last_name": "姓" * 40}, 400, "first_name"),
    ("unknown crs", {"crs": "mars"}, 400, "crs"),
    ("unknown address_id", {**NO_POINT, "address_id": "999999999"}, 400, "address_id"),
    ("address_id not a number", {"address_id": "12b"}, 400, "address_id"),
    ("unknown address alone", {**NO_POINT, "address_string": "火星路1号"}, 400, "address_string"),
    ("null character", {"description": "a\x00b"}, 400, "description"),
]  # fmt: skip


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("what", "changes", "status", "named"), BAD, ids=[b[0] for b in BAD])
def test_bad_post_is_refused_in_the_spec_format_and_writes_nothing(
    web, form, fmt, what, changes, status, named
):
    data = {**form, **changes}
    before = written()
    response = post(web, fmt, data)
    assert response.status_code == status, response.content.decode()
    problems = errors_of(response, fmt)
    assert problems and all(code == status for code, _ in problems)
    assert any(named in description for _, description in problems), problems
    assert written() == before


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_problem_is_named_at_once(web, form, fmt):
    data = {**form, "service_code": "MD02", "description": "吵" * 4001, "phone": "1"}
    del data["attribute[period]"]
    problems = [text for _, text in errors_of(post(web, fmt, data), fmt)]
    assert len(problems) == 3
    assert {text.split("：")[0] for text in problems} == {
        "attribute[period]",
        "description",
        "phone",
    }


@pytest.mark.parametrize("fmt", FORMATS)
def test_oversized_and_undecodable_bodies(web, form, fmt):
    before = written()
    url = f"{ROOT}/requests.{fmt}"
    huge = web.post(url, b"description=" + b"x" * (10 * 1024 * 1024), content_type="text/plain")
    assert huge.status_code == 413
    assert errors_of(huge, fmt)[0][0] == 413
    urlencoded = "application/x-www-form-urlencoded"
    raw = b"api_key=demo-open311-key&service_code=SJ01&lat=34.75&long=113.55&description=\xff\xfe"
    for payload in (raw, raw.replace(b"\xff\xfe", b"%FF%FE")):
        bad = web.post(url, payload, content_type=urlencoded)
        assert bad.status_code == 400
        [(code, description)] = errors_of(bad, fmt)
        assert code == 400 and "UTF-8" in description
    broken = web.post(url, b'{"api_key": ', content_type="application/json")
    assert broken.status_code == 400 and "JSON" in errors_of(broken, fmt)[0][1]
    assert written() == before


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        ({"description": {"text": "嵌套"}}, "description"),
        ({"attribute": {"source": ["狗\x00"]}}, "attribute[source]"),
        ({"attribute": {"period": ["day", "night"]}}, "attribute[period]"),
        ({"lat": True}, "lat/long"),
    ],
)
def test_bad_json_shapes_name_the_field(web, form, payload, named):
    data = {**form, **payload}
    del data["attribute[period]"]
    if "attribute" not in payload:
        data["attribute"] = {"period": "night"}
    before = written()
    response = web.post(f"{ROOT}/requests.json", data, content_type="application/json")
    assert response.status_code == 400, response.content.decode()
    assert any(named in text for _, text in errors_of(response, "json"))
    assert written() == before


def test_a_client_limited_to_a_node_files_only_there(web, form):
    create_open311_client(
        actor=None, name="二网格小程序", key="grid2-key", node=Node.objects.get(code=LVDU_GRID2)
    )
    before = written()
    response = post(web, "json", {**form, "api_key": "grid2-key"})  # a point in grid 1
    assert response.status_code == 403
    assert "服务范围" in errors_of(response, "json")[0][1]
    assert written() == before
    point = shape(Node.objects.get(code=LVDU_GRID2).geometry).representative_point()
    inside = post(web, "json", {**form, "api_key": "grid2-key", "lat": point.y, "long": point.x})
    assert inside.status_code == 201


def test_a_grid_client_may_give_an_address_alone(web):
    grid = Node.objects.get(code=LVDU_GRID2)
    create_open311_client(actor=None, name="二网格", key="grid2-key", node=grid)
    data = {"api_key": "grid2-key", "service_code": "SJ01", "address_string": "3号楼北侧"}
    response = post(web, "json", data)
    assert response.status_code == 201, response.content.decode()
    case = Case.objects.get(number=response.json()[0]["service_request_id"])
    assert case.grid == grid and case.address == "3号楼北侧" and case.lng is None


def test_an_inactive_client_is_refused(web, form):
    assert post(web, "json", form).status_code == 201
    client = Open311Client.objects.get()  # switched off as in the admin
    client.is_active = False
    client.save()
    before = written()
    response = post(web, "xml", form)
    assert response.status_code == 403
    assert written() == before


def test_posts_are_rate_limited_per_client(web, form, settings):
    settings.WANGGE_OPEN311_POSTS_PER_MINUTE = 2
    assert post(web, "json", form).status_code == 201
    assert post(web, "json", form).status_code == 201
    before = written()
    response = post(web, "xml", form)
    assert response.status_code == 429
    assert errors_of(response, "xml")[0][0] == 429
    assert written() == before


def test_csrf_is_not_asked(form, db):
    strict = Client(enforce_csrf_checks=True)
    assert post(strict, "json", form).status_code == 201


# --- Idempotency --------------------------------------------------------------------------------


def test_the_same_post_twice_with_one_idempotency_key_is_one_case(web, form):
    before = Case.objects.count()
    first = post(web, "json", form, **{"Idempotency-Key": "phone-42"})
    again = post(web, "xml", form, **{"Idempotency-Key": "phone-42"})
    assert first.status_code == again.status_code == 201
    number = requests_of(first, "json")[0]["service_request_id"]
    assert requests_of(again, "xml")[0]["service_request_id"] == number
    assert Case.objects.count() == before + 1

    # Another client's key of the same text is its own.
    create_open311_client(actor=None, name="另一个应用", key="other-key")
    other = post(web, "json", {**form, "api_key": "other-key"}, **{"Idempotency-Key": "phone-42"})
    assert requests_of(other, "json")[0]["service_request_id"] != number
    # Without a key, each POST is a case.
    post(web, "json", form)
    assert Case.objects.count() == before + 3


# --- GET requests -------------------------------------------------------------------------------


def numbers(response, fmt) -> list[str]:
    assert response.status_code == 200, response.content.decode()
    return [row["service_request_id"] for row in requests_of(response, fmt)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_requests_default_window_and_fields(web, form, fmt):
    reporter = {"first_name": "三", "last_name": "张", "phone": "13800001234"}
    number = file_case(web, form, **reporter, description="狗叫得厉害，张三，电话13800001234")
    old = staff_case(public=True, days_ago=100)
    private = staff_case(actor=None, public=False)
    listed = numbers(web.get(f"{ROOT}/requests.{fmt}"), fmt)
    assert number in listed
    assert old.number not in listed and private.number not in listed

    rows = requests_of(web.get(f"{ROOT}/requests.{fmt}"), fmt)
    [row] = [row for row in rows if row["service_request_id"] == number]
    expected = {
        "service_request_id", "status", "status_notes", "service_name", "service_code",
        "description", "agency_responsible", "service_notice", "requested_datetime",
        "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
        "long", "media_url",
    }  # fmt: skip
    assert set(row) == expected
    assert row["status"] == "open"
    assert row["service_code"] == "MD02" and row["service_name"] == "宠物扰民"
    assert row["agency_responsible"] == "绿都社区第1网格"
    assert row["requested_datetime"].endswith("+08:00")
    assert row["updated_datetime"].endswith("+08:00")
    assert row["expected_datetime"] is None and row["zipcode"] is None
    assert float(row["lat"]) == pytest.approx(float(form["lat"]))
    assert float(row["long"]) == pytest.approx(float(form["long"]))
    # Never the reporter's name or phone, not even where they wrote them themselves.
    raw = web.get(f"{ROOT}/requests.{fmt}?extensions=true").content.decode()
    assert "张三" not in raw and "13800001234" not in raw
    assert "138****1234" in row["description"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_requests_filters(web, form, fmt):
    noise = file_case(web, form)
    litter = file_case(web, form, service_code="SJ01", **{"attribute[period]": None})
    closed = staff_case(public=True, code="JZ01", kind=Kind.INSTANT)
    services.act(actor=None, case=closed, action="solve_now", note="已送救助站")
    old = staff_case(public=True, days_ago=100)
    url = f"{ROOT}/requests.{fmt}"

    by_code = numbers(web.get(url, {"service_code": "MD02,JZ01"}), fmt)
    assert noise in by_code and closed.number in by_code and litter not in by_code
    open_ = numbers(web.get(url, {"status": "open"}), fmt)
    assert noise in open_ and litter in open_ and closed.number not in open_
    closed_only = numbers(web.get(url, {"status": "closed"}), fmt)
    assert closed.number in closed_only and noise not in closed_only
    both = numbers(web.get(url, {"status": "open,closed"}), fmt)
    assert {noise, litter, closed.number} <= set(both)

    now = timezone.localtime()
    window = {
        "start_date": (now - datetime.timedelta(days=101)).isoformat(),
        "end_date": (now - datetime.timedelta(days=99)).isoformat(),
    }
    in_window = numbers(web.get(url, window), fmt)
    assert old.number in in_window and noise not in in_window
    only_start = {"start_date": (now - datetime.timedelta(days=120)).isoformat()}
    assert old.number in numbers(web.get(url, only_start), fmt)
    utc = {"end_date": timezone.now().astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    assert old.number not in numbers(web.get(url, utc), fmt)  # "Z" is a zone too

    # By number: overrides every other filter, and reaches outside the window.
    ids = f"{old.number},{noise},nonsense"
    by_id = numbers(web.get(url, {"service_request_id": ids, "status": "closed"}), fmt)
    assert set(by_id) == {old.number, noise}


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_requests_paging_and_extensions(web, form, fmt):
    first, second, third = (file_case(web, form) for _ in range(3))
    url = f"{ROOT}/requests.{fmt}"
    assert numbers(web.get(url, {"page_size": 2}), fmt) == [third, second]
    assert numbers(web.get(url, {"page_size": 2, "page": 2}), fmt)[0] == first
    assert numbers(web.get(url, {"page_size": 1, "page": 3}), fmt) == [first]

    case = Case.objects.get(number=third)
    services.act(actor=None, case=case, action="accept")
    rows = requests_of(web.get(url, {"page_size": 1, "extensions": "true"}), fmt)
    extended = rows[0]["extended_attributes"]
    if fmt == "xml":
        extended["category_path"] = extended["category_path"]["category"]
        extended["notes"] = extended["notes"]["note"]
    assert extended["state"] == "accepted"
    assert extended["category_path"] == ["矛盾纠纷", "宠物扰民"]
    assert [note["action"] for note in extended["notes"]] == ["reported", "accept"]
    assert all(note["at"].endswith("+08:00") for note in extended["notes"])
    assert rows[0]["expected_datetime"].endswith("+08:00")  # promised on acceptance
    plain = requests_of(web.get(url, {"page_size": 1}), fmt)
    assert "extended_attributes" not in plain[0]


BAD_QUERIES = [
    {"start_date": "yesterday"},
    {"start_date": "2026-01-01T00:00:00"},  # no zone
    {"start_date": "2026-01-01T00:00:00+08:00", "end_date": "2026-06-01T00:00:00+08:00"},
    {"start_date": "2026-02-01T00:00:00+08:00", "end_date": "2026-01-01T00:00:00+08:00"},
    {"status": "pending"},
    {"page": "0"},
    {"page": "²"},
    {"page": "100000000000000000000"},
    {"page_size": "1001"},
    {"page_size": "many"},
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("query", BAD_QUERIES)
def test_get_requests_bad_query_is_400(web, fmt, query):
    response = web.get(f"{ROOT}/requests.{fmt}", query)
    assert response.status_code == 400
    [(code, description)] = errors_of(response, fmt)
    assert code == 400 and next(iter(query)) in description


def test_an_unescaped_plus_in_a_date_still_reads(web, form):
    number = file_case(web, form)
    start = (timezone.localtime() - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S+08:00")
    response = web.get(f"{ROOT}/requests.json?start_date={start}")  # "+" arrives as " "
    assert number in numbers(response, "json")


@pytest.mark.parametrize("fmt", FORMATS)
def test_merged_and_void_cases_only_by_number(web, form, fmt):
    kept, merged, void = (file_case(web, form) for _ in range(3))
    case = Case.objects.get(number=merged)
    services.act(actor=None, case=case, action="merge", target=Case.objects.get(number=kept))
    services.act(actor=None, case=Case.objects.get(number=void), action="void", note="重复提交")
    listed = numbers(web.get(f"{ROOT}/requests.{fmt}"), fmt)
    assert kept in listed and merged not in listed and void not in listed
    rows = requests_of(
        web.get(f"{ROOT}/requests.{fmt}", {"service_request_id": f"{merged},{void}"}), fmt
    )
    notes = {row["service_request_id"]: (row["status"], row["status_notes"]) for row in rows}
    assert notes == {merged: ("closed", f"已并入案件 {kept}"), void: ("closed", "已作废")}
    [row] = requests_of(web.get(f"{ROOT}/requests/{merged}.{fmt}"), fmt)
    assert row["status"] == "closed"


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_one_request(web, form, fmt):
    number = file_case(web, form)
    response = web.get(f"{ROOT}/requests/{number}.{fmt}")
    assert response.status_code == 200
    rows = requests_of(response, fmt)
    assert [row["service_request_id"] for row in rows] == [number]
    if fmt == "json":
        assert isinstance(response.json(), list)
    for missing in ("999999999999999", "abc"):
        response = web.get(f"{ROOT}/requests/{missing}.{fmt}")
        assert response.status_code == 404
        assert errors_of(response, fmt)[0][0] == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_private_case_never_appears(web, fmt, user_named):
    worker = user_named("gridworker_lvdu1")
    private = staff_case(actor=worker)
    assert private.public is False
    assert private.number not in numbers(web.get(f"{ROOT}/requests.{fmt}"), fmt)
    query = {"service_request_id": private.number}
    assert numbers(web.get(f"{ROOT}/requests.{fmt}", query), fmt) == []
    assert web.get(f"{ROOT}/requests/{private.number}.{fmt}").status_code == 404
    assert web.get(f"{ROOT}/tokens/{private.tracking_code}.{fmt}").status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_tokens_are_tracking_codes(web, form, fmt):
    number = file_case(web, form)
    code = Case.objects.get(number=number).tracking_code
    response = web.get(f"{ROOT}/tokens/{code}.{fmt}")
    assert response.status_code == 200
    assert requests_of(response, fmt) == [{"service_request_id": number, "token": code}]
    missing = web.get(f"{ROOT}/tokens/NOPE2345.{fmt}")
    assert missing.status_code == 404 and errors_of(missing, fmt)[0][0] == 404


def test_xml_is_well_formed_whatever_the_text(web, form):
    text = "<b>&amp; \"引号\" 'x' \x01\x0b 控制字符 ]]> 结束"
    number = file_case(web, form, description=text)
    response = web.get(f"{ROOT}/requests/{number}.xml")
    [row] = requests_of(response, "xml")
    assert row["description"] == text.replace("\x01", "").replace("\x0b", "")
    assert requests_of(web.get(f"{ROOT}/requests/{number}.json"), "json")[0]["description"] == text


def test_listing_costs_a_fixed_number_of_queries(web, form, django_assert_max_num_queries):
    for _ in range(2):
        file_case(web, form)
    with django_assert_max_num_queries(6):
        small = web.get(f"{ROOT}/requests.json?extensions=true")
    for _ in range(4):
        file_case(web, form)
    with django_assert_max_num_queries(6):
        large = web.get(f"{ROOT}/requests.json?extensions=true")
    assert len(large.json()) >= len(small.json()) + 4


def test_a_key_issued_on_the_command_line_files_cases_in_its_area_only(web, form, capsys):
    from django.core.management import CommandError, call_command

    from wangge.demo.district import LVDU_GRID1 as GRID1

    area = Node.objects.get(code=GRID1).parent  # 绿都社区
    call_command("open311-key", "市民通App", "--area", area.code)
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert post(web, "json", {**form, "api_key": key}).status_code == 201
    elsewhere = Node.objects.filter(kind="grid").exclude(path__startswith=area.path).first()
    lat, lng = shape(elsewhere.geometry).representative_point().coords[0][::-1]
    response = post(web, "json", {**form, "api_key": key, "lat": lat, "long": lng})
    assert response.status_code == 403
    with pytest.raises(CommandError, match="没有编码为 NOPE"):
        call_command("open311-key", "某App", "--area", "NOPE")
    with pytest.raises(CommandError, match="名称不能为空"):
        call_command("open311-key", " ")
