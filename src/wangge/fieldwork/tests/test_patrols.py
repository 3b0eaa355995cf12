"""Patrols (巡查) through the API and the pages, as the demo's people: a patrol started with
its members, its trace sent in batches (a retried batch stores nothing twice), cut at its gaps
with the distance counted only within the pieces, findings made cases of the loop (channel:
patrol) once however often they are sent, checkpoints scanned, each worker's time on patrol;
nothing outside one's places, bad input named, nothing half-written; and the demo's S12 and
S10 patrols."""

from __future__ import annotations

import datetime
import math
import uuid

import pytest
from django.utils import timezone

from wangge.cases.models import Case
from wangge.demo.district import GUANLAN_GRID1, KAIYUAN, LVDU_GRID1, PATROL_FINDINGS, PINGANJIE
from wangge.fieldwork.models import Patrol, PatrolFinding, TracePoint

pytestmark = pytest.mark.django_db

ME = "gridworker_lvdu1"
FAR = "gridworker_guanlan1"
NEXT_DOOR = "gridworker_lvdu2"
PARTY = "partymember_lvdu"
OFFICE = "community_lvdu"
# A street corner of 绿都社区's grid 1 is found from its buildings.
METRES_PER_MILLIDEGREE_LAT = 2 * 6_371_008.8 * math.pi / 360 / 1000


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def fields_named(body) -> set[str]:
    return {error["field"].removeprefix("payload.") for error in body.get("errors", [])}


def post(client, url, body, **headers):
    return client.post(url, body, content_type="application/json", headers=headers)


def a_spot_in(code: str) -> tuple[float, float]:
    from wangge.territory.models import Building

    building = Building.objects.filter(grid__code__startswith=code, lng__isnull=False).first()
    return building.lng, building.lat


def start(client, *, members=(PARTY,), grid=LVDU_GRID1, key=None) -> dict:
    response = post(
        client,
        "/api/v1/patrols",
        {"grid": grid, "members": list(members), "note": "楼院巡查"},
        **({"Idempotency-Key": key} if key else {}),
    )
    assert response.status_code == 201, response.content
    return response.json()


def walk(origin, *, seconds, gap_at=(), start=None) -> list[dict]:
    """Points going north from ``origin``, one per given second after ``start``, 0.001° of
    latitude apart (about 111 m); ``gap_at``: the seconds whose point follows a gap."""
    lng, lat = origin
    start = start or timezone.now()
    return [
        {
            "t": (start + datetime.timedelta(seconds=s)).isoformat(),
            "lng": lng,
            "lat": round(lat + 0.001 * index, 7),
            "accuracy": 6,
            **({"gap": True} if s in gap_at else {}),
        }
        for index, s in enumerate(seconds)
    ]


def test_a_retried_batch_stores_nothing_twice(api_as):
    me = api_as(ME)
    patrol = start(me)
    assert patrol["state"] == "underway"
    assert {m["name"] for m in patrol["members"]} >= {"绿都社区第1网格 孙丽"}
    assert len(patrol["members"]) == 2
    url = f"/api/v1/patrols/{patrol['id']}/trace"
    points = walk(a_spot_in(LVDU_GRID1), seconds=[-200, -170, -140, -110, -80])
    first = post(me, url, {"batch": "b-1", "points": points})
    assert first.status_code == 201 and first.json()["added"] == 5
    again = post(me, url, {"batch": "b-1", "points": points})
    assert again.status_code == 200 and again.json()["added"] == 0
    # Sent again under a new key with one new fix: only the new one is stored.
    more = walk(a_spot_in(LVDU_GRID1), seconds=[-80, -50], start=timezone.now())
    more[0] = points[-1]
    overlap = post(me, url, {"batch": "b-2", "points": more})
    assert overlap.json()["added"] == 1
    assert TracePoint.objects.filter(patrol_id=patrol["id"]).count() == 6
    # The same create retried with its key is the same patrol.
    key = uuid.uuid4().hex
    assert start(me, key=key)["id"] == start(me, key=key)["id"]


def test_gaps_cut_the_trace_and_only_the_pieces_count(api_as):
    me = api_as(ME)
    patrol = start(me)
    url = f"/api/v1/patrols/{patrol['id']}/trace"
    # Three pieces: a pause of 150 s (longer than the 120 s of a gap) and a gap the phone
    # marked (the screen went off) though only 30 s passed.
    seconds = [-240, -210, -180, 0, 30, 60, 90, 120]
    points = walk(a_spot_in(LVDU_GRID1), seconds=seconds, gap_at={90})
    assert post(me, url, {"batch": "g-1", "points": points}).status_code == 201
    detail = me.get(f"/api/v1/patrols/{patrol['id']}").json()
    assert detail["segments"] == 3
    assert detail["trace"]["type"] == "MultiLineString"
    assert [len(line) for line in detail["trace"]["coordinates"]] == [3, 3, 2]
    # Four steps north within pieces (2 + 2 + 1 = 5 steps of 0.001°), none across the gaps.
    steps = 5
    assert detail["distance_m"] == pytest.approx(steps * METRES_PER_MILLIDEGREE_LAT, abs=2)
    assert detail["duration_s"] == 60 + 60 + 30
    assert detail["point_count"] == 8


@pytest.mark.parametrize(
    "order",
    [
        pytest.param([(0, 2), (2, 5), (5, 8)], id="in-order-batches"),
        pytest.param([(3, 8), (0, 3)], id="a-late-batch"),
    ],
)
def test_a_trace_sent_in_batches_measures_as_one(api_as, order):
    """Batches carry the measures on from the last fix (or, for a batch sent late, measure
    the trace again): the same as the trace sent at once."""
    me = api_as(ME)
    patrol = start(me)
    url = f"/api/v1/patrols/{patrol['id']}/trace"
    points = walk(
        a_spot_in(LVDU_GRID1), seconds=[-240, -210, -180, 0, 30, 60, 90, 120], gap_at={90}
    )
    for number, (first, last) in enumerate(order):
        response = post(me, url, {"batch": f"o-{number}", "points": points[first:last]})
        assert response.status_code == 201 and response.json()["added"] == last - first
    detail = me.get(f"/api/v1/patrols/{patrol['id']}").json()
    assert detail["segments"] == 3 and detail["point_count"] == 8
    assert detail["distance_m"] == pytest.approx(5 * METRES_PER_MILLIDEGREE_LAT, abs=2)
    assert detail["duration_s"] == 60 + 60 + 30


def test_findings_become_cases_of_the_patrol_once(api_as):
    me = api_as(ME)
    patrol = start(me)
    spot = a_spot_in(LVDU_GRID1)
    post(
        me,
        f"/api/v1/patrols/{patrol['id']}/trace",
        {"batch": "f-1", "points": walk(spot, seconds=[-60, -30])},
    )
    url = f"/api/v1/patrols/{patrol['id']}/findings"
    body = {"category": "BJ04", "description": "树枝被雪压弯，垂到人行道上"}
    first = post(me, url, body, **{"Idempotency-Key": "finding-1"})
    assert first.status_code == 201, first.content
    again = post(me, url, body, **{"Idempotency-Key": "finding-1"})
    assert again.json()["case_id"] == first.json()["case_id"]
    case = Case.objects.get(pk=first.json()["case_id"])
    assert case.channel == "patrol" and case.grid.code.startswith(LVDU_GRID1)
    # Where the patrol last was, as nothing else was said.
    assert (case.lng, case.lat) == pytest.approx((spot[0], spot[1] + 0.001))
    solved = post(
        me,
        url,
        {
            "category": "BM02",
            "description": "居民汽车电瓶亏电打不着火",
            "solved_note": "招呼路人帮忙推车，车辆启动",
        },
        **{"Idempotency-Key": "finding-2"},
    )
    assert solved.json()["state"] == "closed" and solved.json()["solved_on_the_spot"]
    # A party member on the patrol records one too (it waits for acceptance).
    party = post(
        api_as(PARTY),
        url,
        {"category": "JZ01", "description": "桥洞下有人露宿"},
        **{"Idempotency-Key": "finding-3"},
    )
    assert party.status_code == 201, party.content
    assert party.json()["state"] == "reported"
    detail = me.get(f"/api/v1/patrols/{patrol['id']}").json()
    assert detail["finding_count"] == 3
    assert {f["channel"] for f in detail["findings"]} == {"patrol"}


def test_checkpoints_are_kept_by_the_office_and_scanned_on_patrol(api_as, as_user):
    office = api_as(OFFICE)
    made = post(office, "/api/v1/checkpoints", {"grid": LVDU_GRID1, "name": "北门"})
    assert made.status_code == 201, made.content
    code = made.json()["code"]
    # A grid worker scans them; keeping them is the office's.
    assert (
        post(api_as(ME), "/api/v1/checkpoints", {"grid": LVDU_GRID1, "name": "x"}).status_code
        == 404
    )
    me = api_as(ME)
    patrol = start(me)
    url = f"/api/v1/patrols/{patrol['id']}/scans"
    first = post(me, url, {"code": code.lower()})
    assert first.status_code == 201, first.content
    assert post(me, url, {"code": code}).json()["id"] == first.json()["id"]
    assert me.get(f"/api/v1/patrols/{patrol['id']}").json()["scans"][0]["checkpoint"] == "北门"
    assert "code" in fields_named(problem(post(me, url, {"code": "NOSUCH"}), 400))
    label = as_user(OFFICE).get(f"/patrols/checkpoints/{made.json()['id']}/label/")
    assert label.status_code == 200
    assert b'class="qr"' in label.content and code.encode() in label.content


def test_finish_and_each_workers_time(api_as):
    me = api_as(ME)
    patrol = start(me)
    points = walk(a_spot_in(LVDU_GRID1), seconds=[-240, -180, -120, -60])
    post(me, f"/api/v1/patrols/{patrol['id']}/trace", {"batch": "t-1", "points": points})
    done = post(me, f"/api/v1/patrols/{patrol['id']}/finish", {})
    assert done.status_code == 200 and done.json()["state"] == "finished"
    assert done.json()["duration_s"] == 180
    totals = me.get("/api/v1/patrols/totals", {"by": "day", "member": "郑伟"}).json()
    day = timezone.localdate().isoformat()
    mine = {(t["name"], t["period"]): t for t in totals}
    party = mine[("绿都社区双报到党员 郑伟", day)]
    assert party["duration_s"] >= 180 and party["target_s"] == 120 * 60
    assert problem(me.get("/api/v1/patrols/totals", {"by": "week"}), 400)


def test_outside_ones_places_a_patrol_is_not_there(api_as, as_user):
    patrol = start(api_as(ME))
    pk = patrol["id"]
    before = TracePoint.objects.count(), PatrolFinding.objects.count()
    for who in (FAR, NEXT_DOOR):
        client = api_as(who)
        problem(client.get(f"/api/v1/patrols/{pk}"), 404)
        points = walk(a_spot_in(LVDU_GRID1), seconds=[-10])
        problem(post(client, f"/api/v1/patrols/{pk}/trace", {"batch": "x", "points": points}), 404)
        body = {"category": "BJ04", "description": "x"}
        problem(post(client, f"/api/v1/patrols/{pk}/findings", body), 404)
        problem(post(client, f"/api/v1/patrols/{pk}/finish", {}), 404)
        assert pk not in {
            p["id"] for p in client.get("/api/v1/patrols", {"limit": 500}).json()["items"]
        }
        assert as_user(who).get(f"/patrols/{pk}/").status_code == 404
        assert as_user(who).get(f"/m/patrols/{pk}/").status_code == 404
    # A party member sees only the patrols he walks.
    other = start(api_as(ME), members=())
    problem(api_as(PARTY).get(f"/api/v1/patrols/{other['id']}"), 404)
    assert api_as(PARTY).get(f"/api/v1/patrols/{pk}").status_code == 200
    # Nor may anyone start one outside their grids.
    problem(post(api_as(FAR), "/api/v1/patrols", {"grid": LVDU_GRID1}), 404)
    assert (TracePoint.objects.count(), PatrolFinding.objects.count()) == before
    assert Patrol.objects.get(pk=pk).state == "underway"


def test_bad_input_is_named_and_nothing_is_written(api_as):
    me = api_as(ME)
    patrol = start(me)
    url = f"/api/v1/patrols/{patrol['id']}/trace"
    spot = a_spot_in(LVDU_GRID1)
    points = walk(spot, seconds=[-90, -60, -30])
    points[1]["lng"] = 200
    assert "points.1.lng" in fields_named(
        problem(post(me, url, {"batch": "e-1", "points": points}), 400)
    )
    backwards = walk(spot, seconds=[-30, -60])
    assert "points.1.t" in fields_named(
        problem(post(me, url, {"batch": "e-2", "points": backwards}), 400)
    )
    future = walk(spot, seconds=[3600])
    assert "points.0.t" in fields_named(
        problem(post(me, url, {"batch": "e-3", "points": future}), 400)
    )
    many = walk(spot, seconds=[-290 + i * 0.5 for i in range(501)])
    assert "points" in fields_named(problem(post(me, url, {"batch": "e-4", "points": many}), 400))
    assert "batch" in fields_named(problem(post(me, url, {"batch": "", "points": points}), 400))
    assert TracePoint.objects.filter(patrol_id=patrol["id"]).count() == 0
    # The same key, sent right, is not taken for the refused batch.
    good = walk(spot, seconds=[-90, -60])
    assert post(me, url, {"batch": "e-1", "points": good}).json()["added"] == 2

    count = Patrol.objects.count()
    assert "grid" in fields_named(problem(post(me, "/api/v1/patrols", {"grid": "北门"}), 400))
    body = {"grid": LVDU_GRID1, "members": ["nobody_here"]}
    assert "members" in fields_named(problem(post(me, "/api/v1/patrols", body), 400))
    body = {"grid": LVDU_GRID1, "members": [FAR]}  # works elsewhere
    assert "members" in fields_named(problem(post(me, "/api/v1/patrols", body), 400))
    now = timezone.now()
    body = {
        "grid": LVDU_GRID1,
        "start": False,
        "planned_start": now.isoformat(),
        "planned_end": (now - datetime.timedelta(hours=1)).isoformat(),
    }
    assert "planned_end" in fields_named(problem(post(me, "/api/v1/patrols", body), 400))
    assert Patrol.objects.count() == count
    findings = f"/api/v1/patrols/{patrol['id']}/findings"
    cases = Case.objects.count()
    body = {"category": "NOPE", "description": "x"}
    assert "category" in fields_named(problem(post(me, findings, body), 400))
    body = {"category": "BJ04", "description": "x", "lng": 113.6}
    assert "lat" in fields_named(problem(post(me, findings, body), 400))
    assert Case.objects.count() == cases


def test_the_phone_starts_walks_and_finishes_a_patrol(as_user, user_named):
    phone = as_user(ME)
    page = phone.get("/m/patrols/")
    assert page.status_code == 200
    party = user_named(PARTY)
    assert party.name in page.content.decode()
    started = phone.post(
        "/m/patrols/",
        {"key": "phone-1", "grid": LVDU_GRID1, "kind": "ordinary", "members": [party.pk]},
    )
    assert started.status_code == 302, started.content
    url = started["Location"]
    running = phone.get(url)
    assert b"data-patrol" in running.content and b"data-report-form" in running.content
    pk = int(url.rstrip("/").rsplit("/", 1)[1])
    from wangge.cases.models import Category

    category = Category.objects.get(tree__is_current=True, code="BJ04")
    lng, lat = a_spot_in(LVDU_GRID1)
    form = {
        "key": "pf-1",
        "category": category.pk,
        "description": "路灯不亮",
        "lng": lng,
        "lat": lat,
    }
    sent = phone.post(f"/m/patrols/{pk}/findings/", form, headers={"Accept": "application/json"})
    assert sent.status_code == 201, sent.content
    resent = phone.post(f"/m/patrols/{pk}/findings/", form, headers={"Accept": "application/json"})
    assert resent.json()["id"] == sent.json()["id"]
    refused = phone.post(f"/m/patrols/{pk}/findings/", {"key": "pf-2", "description": "路灯"})
    assert refused.status_code == 400 and "路灯".encode() in refused.content
    assert phone.post(f"/m/patrols/{pk}/finish/").status_code == 302
    assert Patrol.objects.get(pk=pk).state == "finished"
    assert Patrol.objects.filter(pk=pk, members=party).exists()
    # The desk sees it, its finding and its members.
    desk = as_user(OFFICE).get(f"/patrols/{pk}/")
    assert desk.status_code == 200
    assert b"patrol-config" in desk.content and "路灯不亮".encode() in desk.content
    listed = as_user(OFFICE).get("/patrols/", {"grid": LVDU_GRID1, "member": "郑伟"})
    assert f"/patrols/{pk}/".encode() in listed.content


def test_the_demo_patrols(api_as):
    district = api_as("district")
    night = district.get("/api/v1/patrols", {"grid": PINGANJIE}).json()["items"]
    assert len(night) == 1 and len(night[0]["members"]) == 4
    detail = district.get(f"/api/v1/patrols/{night[0]['id']}").json()
    assert detail["segments"] == 2 and detail["state"] == "finished"
    titles = {f["title"]: f for f in detail["findings"]}
    assert set(titles) == {PATROL_FINDINGS["S12-rough"], PATROL_FINDINGS["S12-tree"]}
    assert titles[PATROL_FINDINGS["S12-rough"]]["state"] == "transferred"
    courtyard = district.get("/api/v1/patrols", {"grid": KAIYUAN}).json()["items"]
    found = district.get(f"/api/v1/patrols/{courtyard[0]['id']}").json()["findings"]
    assert [f["solved_on_the_spot"] for f in found] == [True]
    assert GUANLAN_GRID1  # the far grid has no demo patrol: the scope matrix seeds its own
