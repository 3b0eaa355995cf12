"""The lost-and-found staff pages: the list with its filters, recording a found item (once per
form, however often it is sent), an item with its notice, claims, checks and hand-over; every
refusal a message, never a 500; phones masked; outside scope a 404."""

import datetime
import uuid

import pytest
import shapely
from django.contrib.messages import get_messages
from django.utils import timezone

from wangge.demo.district import GUANLAN_GRID1, LVDU_GRID1, LVDU_GRID2
from wangge.lostfound.models import Claim, FoundItem

pytestmark = pytest.mark.django_db

FINDER_PHONE = "13800000001"
OWNER_PHONE = "13903710005"


def said(response) -> str:
    """The messages the response's request left for the next page."""
    return " ".join(str(message) for message in get_messages(response.wsgi_request))


def found_form(place, **more) -> dict:
    return {
        "what": "两串钥匙",
        "where": "绿都城1号门",
        "found_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "grid": place.pk,
        "finder_name": "王同学",
        "finder_phone": FINDER_PHONE,
        "kept_at": "绿都社区党群服务中心",
        "contact_phone": "0371-67180000",
        "key": uuid.uuid4().hex,
        **more,
    }


def inside(grid) -> tuple[float, float]:
    """A point inside the grid's boundary, as a phone's GPS gives it."""
    point = shapely.geometry.shape(grid.geometry).representative_point()
    return point.x, point.y


def item_from(response) -> FoundItem:
    assert response.status_code == 302, response.content.decode()[:2000]
    return FoundItem.objects.get(pk=int(response.url.strip("/").rsplit("/", 1)[-1]))


@pytest.fixture
def keys(as_user, node):
    """Two bunches of keys, recorded through the page by the grid's worker."""
    client = as_user("gridworker_lvdu1")
    return item_from(client.post("/found/new/", found_form(node(LVDU_GRID1))))


def claim_on(client, item, **more):
    data = {
        "claimant_name": "刘洋",
        "claimant_phone": OWNER_PHONE,
        "claimant_address": "5号楼2单元301",
        "proof": "钥匙扣是黄色小熊",
        **more,
    }
    return client.post(f"/found/{item.pk}/claims/", data)


# --- Recording -----------------------------------------------------------------------------------


def test_the_form_offers_my_grids_only_and_a_fresh_key(as_user):
    response = as_user("gridworker_lvdu1").get("/found/new/")
    assert response.status_code == 200
    form = response.context["form"]
    codes = {grid.code for grid in form.fields["grid"].queryset}
    assert LVDU_GRID1 in codes and LVDU_GRID2 not in codes and GUANLAN_GRID1 not in codes
    assert len(form.initial["key"]) == 32
    page = response.content.decode()
    assert "data-locate" in page and 'type="datetime-local"' in page
    assert "绿都社区 第1网格" in page  # grids are named with their community


def test_recording_a_found_item_opens_its_case_once_per_key(as_user, node):
    client = as_user("gridworker_lvdu1")
    data = found_form(node(LVDU_GRID1))
    before = FoundItem.objects.count()
    response = client.post("/found/new/", data)
    item = item_from(response)
    assert response.url == f"/found/{item.pk}/"
    assert (item.what, item.where, item.grid.code) == ("两串钥匙", "绿都城1号门", LVDU_GRID1)
    assert item.case.category.code == "SW01" and item.case.kind == "instant"
    assert "已登记" in said(response)
    # The same form sent again (a double tap, a retry) is the same item.
    again = client.post("/found/new/", data)
    assert again.status_code == 302 and again.url == response.url
    assert FoundItem.objects.count() == before + 1


def test_the_place_may_come_from_the_phone(as_user, node):
    grid = node(LVDU_GRID1)
    lng, lat = inside(grid)
    data = found_form(grid, grid="", lng=lng, lat=lat)
    item = item_from(as_user("gridworker_lvdu1").post("/found/new/", data))
    assert item.grid.path.startswith(grid.path)


def test_bad_input_is_named_on_its_field(as_user, node):
    client = as_user("gridworker_lvdu1")
    before = FoundItem.objects.count()
    grid = node(LVDU_GRID1)
    response = client.post("/found/new/", found_form(grid, what=""))
    assert response.status_code == 400
    assert response.context["form"].errors["what"] == ["请填写拾到的物品"]
    response = client.post("/found/new/", found_form(grid, finder_phone="12345"))
    assert response.status_code == 400
    assert "电话号码格式不正确" in response.context["form"].errors["finder_phone"][0]
    later = (timezone.localtime() + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/found/new/", found_form(grid, found_at=later))
    assert response.status_code == 400 and "found_at" in response.context["form"].errors
    response = client.post("/found/new/", found_form(grid, grid=""))
    assert response.status_code == 400 and "grid" in response.context["form"].errors
    # A grid outside my own is not offered, and not taken.
    response = client.post("/found/new/", found_form(node(GUANLAN_GRID1)))
    assert response.status_code == 400 and "grid" in response.context["form"].errors
    assert FoundItem.objects.count() == before


def test_a_point_outside_my_grids_is_refused_on_the_page(as_user, node):
    lng, lat = inside(node(GUANLAN_GRID1))
    data = found_form(node(LVDU_GRID1), grid="", lng=lng, lat=lat)
    response = as_user("gridworker_lvdu1").post("/found/new/", data)
    assert response.status_code == 400
    assert response.context["form"].errors["grid"]


def test_who_may_not_record_gets_a_404(as_user, client):
    assert client.get("/found/new/").status_code == 302  # to the sign-in page
    assert as_user("partymember_lvdu").get("/found/new/").status_code == 404


# --- The list ------------------------------------------------------------------------------------


def test_the_list_shows_what_is_in_my_scope_with_its_filters(as_user, keys, node):
    client = as_user("community_lvdu")
    response = client.get("/found/")
    assert response.status_code == 200
    page = response.content.decode()
    assert f'href="/found/{keys.pk}/"' in page and "登记拾物" in page
    assert 'href="/export/found-items.xlsx"' in page
    today = timezone.localdate().isoformat()
    shown = client.get(
        "/found/",
        {"state": "held", "q": "钥匙", "grid": node(LVDU_GRID1).pk, "since": today, "until": today},
    )
    assert keys in shown.context["page"].object_list
    assert "since=" in shown.content.decode()  # the export keeps the filters
    assert keys not in client.get("/found/", {"state": "handed_over"}).context["page"].object_list
    assert keys not in client.get("/found/", {"q": "雨伞"}).context["page"].object_list
    assert keys not in client.get("/found/", {"until": "2000-01-01"}).context["page"].object_list
    assert keys not in client.get("/found/", {"grid": node(LVDU_GRID2).pk}).context["page"]
    # Outside my scope: not listed, whatever the filters say.
    far = as_user("gridworker_guanlan1")
    assert keys not in far.get("/found/").context["page"].object_list
    assert keys not in far.get("/found/", {"grid": node(LVDU_GRID1).pk}).context["page"]


def test_bad_filters_are_shown_not_crashed_on(as_user):
    response = as_user("community_lvdu").get("/found/", {"state": "lost", "since": "soon"})
    assert response.status_code == 200
    assert set(response.context["filterset"].errors) == {"state", "since"}


def test_the_list_in_the_navigation_and_on_the_phone(as_user, client):
    assert client.get("/found/").status_code == 302
    assert as_user("partymember_lvdu").get("/found/").status_code == 404
    assert 'href="/found/"' not in as_user("partymember_lvdu").get("/").content.decode()
    worker = as_user("gridworker_lvdu1")
    assert 'href="/found/"' in worker.get("/").content.decode()
    phone = worker.get("/m/").content.decode()
    assert 'href="/found/new/"' in phone and "拾物登记" in phone


def test_the_export_holds_my_items_only_with_phones_masked(as_user, keys):
    mine = b"".join(as_user("community_lvdu").get("/export/found-items.csv").streaming_content)
    text = mine.decode("utf-8-sig")
    assert "两串钥匙" in text and "138****0001" in text and FINDER_PHONE not in text
    far = b"".join(as_user("gridworker_guanlan1").get("/export/found-items.csv").streaming_content)
    assert "绿都城1号门" not in far.decode("utf-8-sig")


# --- An item, its claims, the check and the hand-over ---------------------------------------------


def test_an_item_shows_its_notice_and_case_with_phones_masked(as_user, keys):
    response = as_user("gridworker_lvdu1").get(f"/found/{keys.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "【失物招领】" in page and "data-copy" in page
    assert f'href="/found/{keys.pk}/poster/"' in page
    assert f'href="/cases/{keys.case_id}/"' in page
    assert response.context["notice"]["url"] in page
    assert "138****0001" in page and FINDER_PHONE not in page
    assert "登记认领" in page  # the claim form


def test_an_item_outside_my_scope_is_a_404_everywhere(as_user, keys):
    claim_item = claim_on(as_user("gridworker_lvdu1"), keys)
    claim = Claim.objects.get(item=keys)
    assert claim_item.status_code == 302
    for username in ("gridworker_guanlan1", "gridworker_lvdu2"):
        client = as_user(username)
        assert client.get(f"/found/{keys.pk}/").status_code == 404
        assert client.get(f"/found/{keys.pk}/poster/").status_code == 404
        assert claim_on(client, keys).status_code == 404
        base = f"/found/{keys.pk}/claims/{claim.pk}"
        assert client.post(f"{base}/check/", {"verified": "true"}).status_code == 404
        assert client.post(f"{base}/hand-over/", {}).status_code == 404
    claim.refresh_from_db()
    assert claim.state == "pending"
    assert as_user("gridworker_lvdu1").get("/found/999999/").status_code == 404


def test_claim_check_and_hand_over_close_the_case(as_user, keys):
    client = as_user("gridworker_lvdu1")
    response = claim_on(client, keys)
    assert response.status_code == 302 and response.url == f"/found/{keys.pk}/"
    assert "认领已登记" in said(response)
    claim = Claim.objects.get(item=keys)
    page = client.get(f"/found/{keys.pk}/").content.decode()
    assert "139****0005" in page and OWNER_PHONE not in page and "待核实" in page
    base = f"/found/{keys.pk}/claims/{claim.pk}"
    assert f'action="{base}/check/"' in page and f'action="{base}/hand-over/"' not in page

    response = client.post(f"{base}/check/", {"verified": "true", "note": "钥匙扣一致"})
    assert response.status_code == 302 and "已核实" in said(response)
    page = client.get(f"/found/{keys.pk}/").content.decode()
    assert f'action="{base}/check/"' not in page and f'action="{base}/hand-over/"' in page

    response = client.post(f"{base}/hand-over/", {"note": "当面交还"})
    assert response.status_code == 302 and "已交还失主" in said(response)
    keys.refresh_from_db()
    claim.refresh_from_db()
    assert keys.state == "handed_over" and claim.state == "handed_over"
    assert keys.case.state == "closed"
    page = client.get(f"/found/{keys.pk}/").content.decode()
    assert "已结案" in page and "登记认领" not in page
    assert "<form" not in page.split("claims-title")[1]  # nothing more to check or hand over
    timeline = client.get(f"/cases/{keys.case_id}/").content.decode()
    for step in ("有人认领", "认领人已核实", "已交还失主"):
        assert step in timeline


def test_refusals_are_messages_not_errors(as_user, keys):
    client = as_user("gridworker_lvdu1")
    # A claim without a valid phone: named, the form kept, nothing written.
    response = claim_on(client, keys, claimant_phone="12345")
    assert response.status_code == 400
    assert "电话号码格式不正确" in response.content.decode()
    assert response.context["claim_form"]["claimant_name"].value() == "刘洋"
    response = claim_on(client, keys, claimant_name="", claimant_phone="")
    assert response.status_code == 400 and "请填写认领人姓名" in response.content.decode()
    assert not Claim.objects.filter(item=keys).exists()

    assert claim_on(client, keys).status_code == 302
    claim = Claim.objects.get(item=keys)
    base = f"/found/{keys.pk}/claims/{claim.pk}"
    # Handed over before it is checked; turned down without a reason; no choice made.
    assert "尚未核实" in said(client.post(f"{base}/hand-over/", {}))
    assert "请说明核实未通过的原因" in said(client.post(f"{base}/check/", {"verified": "false"}))
    assert "请选择核实是否通过" in said(client.post(f"{base}/check/", {"note": "x"}))
    claim.refresh_from_db()
    assert claim.state == "pending"

    client.post(f"{base}/check/", {"verified": "true"})
    client.post(f"{base}/hand-over/", {})
    # Someone else turns up after the hand-over: told why not.
    response = claim_on(client, keys, claimant_name="张三", claimant_phone="13700000000")
    assert response.status_code == 302
    assert "交还失主，不能再认领" in said(response)
    assert "已是" in said(client.post(f"{base}/check/", {"verified": "true"}))
    assert Claim.objects.filter(item=keys).count() == 1
    assert client.get(f"/found/{keys.pk}/claims/").status_code == 405


def test_a_claim_turned_down_leaves_the_item_in_our_keeping(as_user, keys):
    client = as_user("community_lvdu")
    claim_on(client, keys, claimant_name="张三")
    claim = Claim.objects.get(item=keys)
    base = f"/found/{keys.pk}/claims/{claim.pk}"
    response = client.post(f"{base}/check/", {"verified": "false", "note": "说不出钥匙扣颜色"})
    assert "非失主" in said(response) or "不是失主" in said(response)
    claim.refresh_from_db()
    keys.refresh_from_db()
    assert claim.state == "rejected" and keys.state == "held"
    page = client.get(f"/found/{keys.pk}/").content.decode()
    assert "登记认领" in page and f'action="{base}/hand-over/"' not in page
