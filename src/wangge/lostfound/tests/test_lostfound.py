"""Lost and found, S4: keys found on patrol at 万达社区 are back with their owner within the
hour, every step on the case's timeline and in the audit log, no phone number shown."""

import datetime
import io
import json
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from wangge.accounts import services as accounts
from wangge.accounts.models import User
from wangge.cases.choices import Channel, Kind, State
from wangge.cases.models import Case, CaseEvent, Photo
from wangge.core.errors import ValidationError
from wangge.core.models import AuditEvent
from wangge.demo.district import LVDU_GRID1
from wangge.lostfound import services as lostfound
from wangge.lostfound.models import Claim, FoundItem
from wangge.lostfound.public import item_photos, notice_code, notice_text
from wangge.notices.models import Delivery
from wangge.territory.choices import NodeKind
from wangge.territory.models import Node

pytestmark = pytest.mark.django_db

WANDA = "410102010007"
WANDA_PLAZA = "410102010007007"  # 万达广场专属网格
LEADER = "gridleader_wanda"
OFFICE_PHONE = "0371-67180000"
FINDER_PHONE = "13800000001"
OWNER_PHONE = "13903710005"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def wanda_leader(db):
    """A grid leader on every grid of 万达社区, the dedicated grid of the plaza included."""
    user = User.objects.filter(username=LEADER).first() or accounts.create_user(
        actor=None, username=LEADER, display_name="万达社区网格长 钱进"
    )
    for grid in Node.objects.filter(
        parent__code=WANDA, kind__in=[NodeKind.GRID, NodeKind.DEDICATED_GRID]
    ).exclude(memberships__user=user, memberships__is_active=True):
        accounts.add_membership(actor=None, user=user, node=grid, role="grid_leader")
    return user


def post(client, url, payload, **headers):
    return client.post(url, json.dumps(payload), content_type="application/json", headers=headers)


def assert_problem(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    if field is not None:
        assert field in [error["field"].removeprefix("payload.") for error in body["errors"]]
    return body


def keys_found(**more) -> dict:
    return {
        "what": "钥匙两串",
        "where": "万达广场1号门",
        "found_at": (timezone.now() - datetime.timedelta(minutes=5)).isoformat(),
        "grid_id": Node.objects.get(code=WANDA_PLAZA).pk,
        "finder_name": "王同学",
        "finder_phone": FINDER_PHONE,
        "kept_at": "万达社区党群服务中心",
        "contact_phone": OFFICE_PHONE,
        **more,
    }


def test_s4_keys_found_on_patrol_are_back_with_their_owner_within_the_hour(
    wanda_leader, api_as, as_user
):
    leader = api_as(LEADER)
    items_before = FoundItem.objects.count()
    seen = []  # every response body, to look for phone numbers in

    # 14:05 On patrol, a student hands the grid leader two bunches of keys from gate 1.
    response = post(leader, "/api/v1/found-items", keys_found(), **{"Idempotency-Key": "s4"})
    assert response.status_code == 201, response.content
    seen.append(response.content)
    item = response.json()
    assert item["what"] == "钥匙两串" and item["state"] == "held"
    assert item["finder_phone"] == "138****0001"
    case = Case.objects.get(pk=item["case_id"])
    assert (case.channel, case.kind, case.category.code) == (Channel.PATROL, Kind.INSTANT, "SW01")
    assert case.grid.code == WANDA_PLAZA and case.state == State.ACCEPTED
    assert case.attributes == {"item": "钥匙两串", "found_where": "万达广场1号门"}
    # A retry from a phone on a bad network records nothing twice.
    again = post(leader, "/api/v1/found-items", keys_found(), **{"Idempotency-Key": "s4"})
    assert again.status_code == 201 and again.json()["id"] == item["id"]
    assert FoundItem.objects.count() == items_before + 1

    # The notice for the community's WeChat accounts, the grid groups and the mall's office.
    text = item["notice_text"]
    for words in ("失物招领", "钥匙两串", "万达广场1号门", "万达社区党群服务中心", OFFICE_PHONE):
        assert words in text
    assert FINDER_PHONE not in text and "王同学" not in text
    assert item["notice_url"] in text
    assert notice_text(FoundItem.objects.get(pk=item["id"])).startswith("【失物招领】")

    poster = as_user(LEADER).get(f"/found/{item['id']}/poster/")
    assert poster.status_code == 200
    html = poster.content.decode()
    assert "<svg" in html and 'class="qr"' in html and "钥匙两串" in html
    assert item["notice_url"] in html and OFFICE_PHONE in html and FINDER_PHONE not in html

    public = Client().get(item["notice_url"])
    assert public.status_code == 200
    page = public.content.decode()
    assert "钥匙两串" in page and "万达广场1号门" in page and OFFICE_PHONE in page
    assert FINDER_PHONE not in page and "王同学" not in page and case.tracking_code not in page

    # 14:30 The owner, from building 5, calls; he describes the key ring and is checked.
    url = f"/api/v1/found-items/{item['id']}/claims"
    response = post(
        leader,
        url,
        {
            "claimant_name": "刘洋",
            "claimant_phone": OWNER_PHONE,
            "claimant_address": "万达社区5号楼2单元301",
            "proof": "说出钥匙扣是黄色小熊，两串共九把",
        },
    )
    assert response.status_code == 201, response.content
    seen.append(response.content)
    claim = response.json()
    assert claim["state"] == "pending" and claim["claimant_phone"] == "139****0005"
    response = post(
        leader, f"{url}/{claim['id']}/check", {"verified": True, "note": "钥匙扣与描述一致"}
    )
    assert response.status_code == 200, response.content
    seen.append(response.content)
    assert response.json()["state"] == "verified"

    # The keys are handed over; the case is closed.
    response = post(leader, f"{url}/{claim['id']}/hand-over", {"note": "失主当面签收"})
    assert response.status_code == 200, response.content
    seen.append(response.content)
    assert response.json()["state"] == "handed_over"
    detail = leader.get(f"/api/v1/found-items/{item['id']}")
    seen.append(detail.content)
    assert detail.json()["state"] == "handed_over"
    assert "已由失主领回" in detail.json()["notice_text"]
    seen.append(leader.get("/api/v1/found-items", {"state": "handed_over"}).content)

    case.refresh_from_db()
    assert case.state == State.CLOSED
    assert case.closed_at - case.created_at < datetime.timedelta(hours=1)
    steps = list(case.events.order_by("at", "id").values_list("action", flat=True))
    assert steps == [
        "reported",
        "accepted",
        "claim_received",
        "claim_verified",
        "handed_over",
        "solve_now",
    ]
    public_steps = set(case.events.filter(public=True).values_list("action", flat=True))
    assert public_steps == set(steps)
    for event in case.events.all():
        assert OWNER_PHONE not in event.note + json.dumps(event.data, ensure_ascii=False)
        assert FINDER_PHONE not in event.note + json.dumps(event.data, ensure_ascii=False)
    for action in (
        "lostfound.founditem.recorded",
        "lostfound.claim.created",
        "lostfound.claim.checked",
        "lostfound.claim.handed_over",
        "lostfound.founditem.handed_over",
        "cases.case.solve_now",
    ):
        event = AuditEvent.objects.filter(action=action).order_by("-id").first()
        assert event is not None, action
        assert event.actor == wanda_leader and event.node_id == case.grid_id
        assert OWNER_PHONE not in json.dumps([event.before, event.after], ensure_ascii=False)
        assert FINDER_PHONE not in json.dumps([event.before, event.after], ensure_ascii=False)

    for body in seen:
        text = body.decode()
        assert FINDER_PHONE not in text and OWNER_PHONE not in text

    # Someone else turning up later is told why not.
    body = assert_problem(
        post(leader, url, {"claimant_name": "张三", "claimant_phone": "13700000000"}),
        400,
        "item",
    )
    assert "已" in body["detail"] and "交还" in body["detail"]
    assert Claim.objects.filter(item_id=item["id"]).count() == 1


def found_by(user, **more) -> FoundItem:
    data = keys_found(**more)
    return lostfound.record_found_item(
        actor=user,
        what=data["what"],
        where=data["where"],
        found_at=timezone.now() - datetime.timedelta(minutes=5),
        grid=Node.objects.get(pk=data["grid_id"]),
        finder_name=data["finder_name"],
        finder_phone=data["finder_phone"],
        kept_at=data["kept_at"],
        contact_phone=data["contact_phone"],
    )


def test_outside_scope_everything_is_a_404(wanda_leader, api_as, as_user):
    item = found_by(wanda_leader)
    claim = lostfound.claim_item(
        actor=wanda_leader, item=item, claimant_name="刘洋", claimant_phone=OWNER_PHONE
    )
    for outsider in ("gridworker_lvdu1", "gridleader_lvdu", "gridworker_guanlan1"):
        client = api_as(outsider)
        assert_problem(client.get(f"/api/v1/found-items/{item.pk}"), 404)
        assert item.pk not in [i["id"] for i in client.get("/api/v1/found-items").json()["items"]]
        url = f"/api/v1/found-items/{item.pk}/claims"
        assert_problem(
            post(client, url, {"claimant_name": "A", "claimant_phone": "13700000000"}), 404
        )
        assert_problem(post(client, f"{url}/{claim.pk}/check", {"verified": True}), 404)
        assert_problem(post(client, f"{url}/{claim.pk}/hand-over", {}), 404)
        assert as_user(outsider).get(f"/found/{item.pk}/poster/").status_code == 404
        assert_problem(
            client.post(f"/api/v1/cases/{item.case_id}/photos", {"file": io.BytesIO(b"x")}), 404
        )
    # Recording a find in someone else's grid is a 404 too.
    payload = keys_found()
    assert_problem(post(api_as("gridleader_lvdu"), "/api/v1/found-items", payload), 404)
    claim.refresh_from_db()
    assert claim.state == Claim.ClaimState.PENDING
    # A claim of another item is not found under this one.
    other = found_by(wanda_leader, what="一把雨伞")
    url = f"/api/v1/found-items/{other.pk}/claims/{claim.pk}/check"
    assert_problem(post(api_as(LEADER), url, {"verified": True}), 404)


def test_the_public_notice_needs_its_code(wanda_leader):
    item = found_by(wanda_leader)
    code = notice_code(item)
    assert Client().get(f"/found/{code}/").status_code == 200
    for wrong in (f"{item.pk}-0000000000", f"{item.pk + 1}-{code.split('-')[1]}"):
        assert Client().get(f"/found/{wrong}/").status_code == 404
    # The bare number is the staff's page of the item, and the poster theirs: sign in first.
    assert Client().get(f"/found/{item.pk}/").status_code == 302
    assert Client().get(f"/found/{item.pk}/poster/").status_code == 302


def test_hand_over_only_to_a_verified_claimant(wanda_leader, api_as):
    item = found_by(wanda_leader)
    client = api_as(LEADER)
    url = f"/api/v1/found-items/{item.pk}/claims"
    first = post(client, url, {"claimant_name": "甲", "claimant_phone": "13700000001"}).json()
    second = post(client, url, {"claimant_name": "乙", "claimant_phone": "13700000002"}).json()
    body = assert_problem(post(client, f"{url}/{first['id']}/hand-over", {}), 400, "claim")
    assert "核实" in body["detail"]
    assert_problem(post(client, f"{url}/{first['id']}/check", {"verified": False}), 400, "note")
    rejected = post(client, f"{url}/{first['id']}/check", {"verified": False, "note": "说不出特征"})
    assert rejected.json()["state"] == "rejected"
    assert_problem(post(client, f"{url}/{first['id']}/hand-over", {}), 400, "claim")
    assert_problem(post(client, f"{url}/{first['id']}/check", {"verified": True}), 400, "claim")
    assert post(client, f"{url}/{second['id']}/check", {"verified": True}).status_code == 200
    assert post(client, f"{url}/{second['id']}/hand-over", {}).status_code == 200
    item.refresh_from_db()
    assert item.state == FoundItem.ItemState.HANDED_OVER
    assert item.case.state == State.CLOSED
    rejected_step = CaseEvent.objects.get(case=item.case, action="claim_rejected")
    assert rejected_step.public is False


def test_bad_input_names_the_field(wanda_leader, api_as):
    client = api_as(LEADER)
    before = FoundItem.objects.count()
    cases = [
        ({"what": " "}, "what"),
        ({"where": ""}, "where"),
        ({"finder_phone": "12345"}, "finder_phone"),
        ({"contact_phone": "电话"}, "contact_phone"),
        ({"found_at": (timezone.now() + datetime.timedelta(days=1)).isoformat()}, "found_at"),
        ({"found_at": "yesterday"}, "found_at"),
    ]
    for change, field in cases:
        assert_problem(post(client, "/api/v1/found-items", keys_found(**change)), 400, field)
    # A community is not a grid (for its staff; to the grid leader it is out of scope).
    community = {"grid_id": Node.objects.get(code=WANDA).pk}
    office = api_as("community_wanda")
    assert_problem(post(office, "/api/v1/found-items", keys_found(**community)), 400, "grid")
    assert_problem(post(client, "/api/v1/found-items", keys_found(**community)), 404)
    item = found_by(wanda_leader)
    url = f"/api/v1/found-items/{item.pk}/claims"
    assert_problem(
        post(client, url, {"claimant_name": "", "claimant_phone": "1"}), 400, "claimant_name"
    )
    assert_problem(
        post(client, url, {"claimant_name": "甲", "claimant_phone": "1"}), 400, "claimant_phone"
    )
    assert_problem(client.get("/api/v1/found-items", {"state": "lost"}), 400, "state")
    assert FoundItem.objects.count() == before + 1  # only the one recorded here


def test_list_filters_by_state_and_grid(wanda_leader, api_as):
    held = found_by(wanda_leader, what="一把雨伞")
    client = api_as(LEADER)
    listed = client.get("/api/v1/found-items", {"state": "held"}).json()
    assert held.pk in [row["id"] for row in listed["items"]]
    plaza = Node.objects.get(code=WANDA_PLAZA)
    grid1 = Node.objects.get(code=f"{WANDA}001")
    in_plaza = client.get("/api/v1/found-items", {"grid": plaza.pk, "limit": 500}).json()
    assert held.pk in [row["id"] for row in in_plaza["items"]]
    in_grid1 = client.get("/api/v1/found-items", {"grid": grid1.pk, "limit": 500}).json()
    assert held.pk not in [row["id"] for row in in_grid1["items"]]


def test_a_photo_of_the_find_comes_without_its_location(wanda_leader):
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (34.0, 45.0, 36.0), 3: "E", 4: (113.0, 36.0, 0.5)}
    out = io.BytesIO()
    Image.new("RGB", (400, 300), "gray").save(out, "JPEG", exif=exif.tobytes())
    out.seek(0)
    data = keys_found()
    item = lostfound.record_found_item(
        actor=wanda_leader,
        what=data["what"],
        where=data["where"],
        found_at=timezone.now(),
        grid=Node.objects.get(code=WANDA_PLAZA),
        photo=out,
    )
    photo = Photo.objects.get(case=item.case)
    # The place stays for staff; the stored image (the one the notice shows) has none.
    assert photo.taken_lat == pytest.approx(34.76) and photo.public is True
    assert dict(Image.open(photo.image.path).getexif()) == {}
    assert list(item_photos(item)) == [photo]


def test_a_bad_photo_records_nothing(wanda_leader):
    before = FoundItem.objects.count(), Case.objects.count()
    with pytest.raises(ValidationError) as refused:
        lostfound.record_found_item(
            actor=wanda_leader,
            what="钥匙",
            where="1号门",
            found_at=timezone.now(),
            grid=Node.objects.get(code=WANDA_PLAZA),
            photo=io.BytesIO(b"%PDF-1.4"),
        )
    assert "photos" in refused.value.message_dict
    assert (FoundItem.objects.count(), Case.objects.count()) == before


def test_a_grid_worker_on_patrol_records_a_find(user_named):
    worker = user_named("gridworker_lvdu1")
    item = lostfound.record_found_item(
        actor=worker,
        what="一个钱包",
        where="绿都城南门",
        found_at=timezone.now(),
        grid=Node.objects.get(code=LVDU_GRID1),
    )
    assert item.case.channel == Channel.PATROL
    claim = lostfound.claim_item(
        actor=worker, item=item, claimant_name="赵六", claimant_phone="13700000003"
    )
    lostfound.check_claim(actor=worker, claim=claim, verified=True, note="证件相符")
    lostfound.hand_over(actor=worker, claim=claim)
    item.case.refresh_from_db()
    assert item.case.state == State.CLOSED


def test_brought_to_the_office_the_case_is_closed_at_hand_over_too(api_as):
    office = api_as("community_wanda")
    response = post(office, "/api/v1/found-items", keys_found(what="一部手机"))
    assert response.status_code == 201, response.content
    item = response.json()
    case = Case.objects.get(pk=item["case_id"])
    assert case.channel == Channel.WALK_IN
    url = f"/api/v1/found-items/{item['id']}/claims"
    claim = post(office, url, {"claimant_name": "孙七", "claimant_phone": "13700000004"}).json()
    post(office, f"{url}/{claim['id']}/check", {"verified": True, "note": "开机密码正确"})
    assert post(office, f"{url}/{claim['id']}/hand-over", {}).status_code == 200
    case.refresh_from_db()
    assert case.state == State.CLOSED


def test_photo_files_go_when_the_record_cannot_be_kept(wanda_leader, settings, tmp_path):
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "gray").save(out, "JPEG")
    out.seek(0)
    before = FoundItem.objects.count()
    failing = mock.patch(
        "wangge.core.services.IdempotencyKey.objects.create", side_effect=RuntimeError("disk")
    )
    with failing, pytest.raises(RuntimeError):
        lostfound.record_found_item(
            actor=wanda_leader,
            what="钥匙",
            where="1号门",
            found_at=timezone.now(),
            grid=Node.objects.get(code=WANDA_PLAZA),
            photo=out,
            idempotency_key="retry-me",
        )
    assert FoundItem.objects.count() == before
    media = tmp_path / "media"
    assert media.exists()  # the photo was written …
    assert not [p for p in media.rglob("*") if p.is_file()]  # … and removed again


def test_a_lost_and_found_hand_over_note_stays_internal(user_named, node):
    leader = user_named("gridleader_lvdu")
    item = lostfound.record_found_item(
        actor=leader,
        what="一串钥匙",
        where="3号楼门口",
        found_at=timezone.now() - datetime.timedelta(minutes=10),
        grid=node(LVDU_GRID1),
        kept_at="绿都社区服务站",
    )
    claim = lostfound.claim_item(
        actor=leader, item=item, claimant_name="郑强", claimant_phone="13903710001"
    )
    secret = "郑强（8号楼2单元602）出示身份证核对"
    lostfound.check_claim(actor=leader, claim=claim, verified=False, note=secret)
    claim = lostfound.claim_item(
        actor=leader, item=item, claimant_name="郑强", claimant_phone="13903710001"
    )
    lostfound.check_claim(actor=leader, claim=claim, verified=True)
    handed = "交给郑强本人（8号楼2单元602），已签字"
    lostfound.hand_over(actor=leader, claim=claim, note=handed)
    case = Case.objects.get(pk=item.case_id)
    page = Client().get(f"/t/{case.tracking_code}/").content.decode()
    assert "物品已交还失主" in page and "有人前来认领，正在核实" in page
    deliveries = Delivery.objects.filter(case=case).exclude(dedupe_key__startswith="follow-code:")
    sent = [f"{d.subject} {json.dumps(d.payload, ensure_ascii=False)}" for d in deliveries]
    for text in [page, *sent]:
        assert "8号楼2单元602" not in text and "郑强" not in text
    assert not case.events.get(action="claim_rejected").public
