"""Lost and found, item 7: a found item takes photos (re-encoded without metadata, checked, at
most four) on the new and the edit form and shows them on its page, its public notice, its
poster and its published notice; links in the notice, in SMS, WeCom and e-mail are absolute
(``WANGGE_SITE_URL``, checked by ``wangge check``); after the hand-over the notice says the item
is back with its owner and leaves the grid's page."""

import io
import re
import uuid

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client
from django.utils import timezone
from PIL import Image

from wangge.cases import services as cases
from wangge.cases.models import Category, Photo
from wangge.core.models import AuditEvent
from wangge.demo.district import GUANLAN_GRID1, LVDU_GRID1
from wangge.lostfound.models import FoundItem
from wangge.lostfound.public import item_photos, notice_code
from wangge.notices import outbox
from wangge.notices import services as notices
from wangge.notices.choices import Channel
from wangge.notices.models import Delivery, Notice, NoticeFile, NoticeKind, Robot
from wangge.notices.tests.fakes import FakeServer
from wangge.notices.tests.follows import confirmed_follow

pytestmark = pytest.mark.django_db

SITE = "https://wangge.example.gov.cn"


@pytest.fixture(autouse=True)
def _site(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.WANGGE_SITE_URL = SITE
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def jpeg(name="IMG_0001.jpg", colour=(200, 60, 40), gps=True) -> SimpleUploadedFile:
    exif = Image.Exif()
    if gps:
        exif[0x8825] = {1: "N", 2: (34.0, 45.0, 36.0), 3: "E", 4: (113.0, 36.0, 0.5)}
    out = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(out, "JPEG", exif=exif.tobytes())
    return SimpleUploadedFile(name, out.getvalue(), "image/jpeg")


def found_form(grid, **more) -> dict:
    return {
        "what": "两串钥匙",
        "where": "绿都城1号门",
        "found_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "grid": grid.pk,
        "kept_at": "绿都社区党群服务中心",
        "contact_phone": "0371-67180000",
        "key": uuid.uuid4().hex,
        **more,
    }


def record(client, grid, photos=()) -> FoundItem:
    response = client.post("/found/new/", {**found_form(grid), "photos": list(photos)})
    assert response.status_code == 302, response.content.decode()[:3000]
    return FoundItem.objects.get(pk=int(response.url.strip("/").rsplit("/", 1)[-1]))


# --- Photos -------------------------------------------------------------------------------------


def test_photos_on_the_new_form_are_shown_on_the_page_the_notice_and_the_poster(
    as_user, node, client
):
    staff = as_user("gridworker_lvdu1")
    form = staff.get("/found/new/").content.decode()
    assert (
        'enctype="multipart/form-data"' in form and 'name="photos"' in form and "multiple" in form
    )
    item = record(staff, node(LVDU_GRID1), [jpeg(), jpeg("IMG_0002.jpg", (20, 90, 200))])
    shown = list(item_photos(item))
    assert len(shown) == 2 and all(photo.public for photo in shown)
    # Re-encoded without metadata: the stored image has no EXIF (the place is kept for staff).
    assert dict(Image.open(shown[0].image.path).getexif()) == {}
    assert shown[0].taken_lat is not None
    code = notice_code(item)
    page = staff.get(f"/found/{item.pk}/").content.decode()
    assert f"/found/{code}/photos/{shown[0].pk}/thumbnail/" in page
    poster = staff.get(f"/found/{item.pk}/poster/").content.decode()
    assert f"/found/{code}/photos/{shown[0].pk}/" in poster
    client.logout()
    public = client.get(f"/found/{code}/").content.decode()
    assert f"/found/{code}/photos/{shown[1].pk}/" in public
    image = client.get(f"/found/{code}/photos/{shown[0].pk}/")
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    data = b"".join(image.streaming_content)
    assert dict(Image.open(io.BytesIO(data)).getexif()) == {}
    thumb = client.get(f"/found/{code}/photos/{shown[0].pk}/thumbnail/")
    assert thumb.status_code == 200
    assert max(Image.open(io.BytesIO(b"".join(thumb.streaming_content))).size) <= 320
    # A photo of another case, or a wrong code, is not found.
    other = Photo.objects.exclude(case=item.case).first()
    if other is not None:
        assert client.get(f"/found/{code}/photos/{other.pk}/").status_code == 404
    assert client.get(f"/found/{item.pk}-0000000000/photos/{shown[0].pk}/").status_code == 404


def test_the_published_notice_carries_the_photos_and_an_absolute_link(as_user, node):
    staff = as_user("gridworker_lvdu1")
    item = record(staff, node(LVDU_GRID1), [jpeg()])
    staff.post(f"/found/{item.pk}/notice/")
    notice = Notice.objects.get(found_item=item)
    link = f"{SITE}/found/{notice_code(item)}/"
    assert link in notice.body
    (picture,) = NoticeFile.objects.filter(notice=notice)
    assert picture.is_image
    client = Client()
    public = client.get(f"/n/{notice.pk}/").content.decode()
    assert f"/n/{notice.pk}/files/{picture.pk}/" in public and link in public
    assert client.get(f"/n/{notice.pk}/files/{picture.pk}/").status_code == 200
    # The page, the poster and the API name the same absolute address.
    assert link in staff.get(f"/found/{item.pk}/poster/").content.decode()
    assert link in staff.get(f"/found/{item.pk}/").content.decode()


def test_a_refused_form_asks_for_the_photos_again_and_records_nothing(as_user, node):
    staff = as_user("gridworker_lvdu1")
    before = FoundItem.objects.count(), Photo.objects.count()
    response = staff.post(
        "/found/new/", {**found_form(node(LVDU_GRID1), what=""), "photos": [jpeg()]}
    )
    text = response.content.decode()
    assert response.status_code == 400 and "请重新选择照片" in text
    assert "绿都城1号门" in text  # what was typed stays
    not_a_photo = SimpleUploadedFile("scan.jpg", b"%PDF-1.4 not a photo", "image/jpeg")
    refused = staff.post("/found/new/", {**found_form(node(LVDU_GRID1)), "photos": [not_a_photo]})
    assert refused.status_code == 400 and "只能上传 JPEG、PNG 或 WebP 格式的照片" in (
        refused.content.decode()
    )
    five = [jpeg(f"IMG_{n}.jpg") for n in range(5)]
    too_many = staff.post("/found/new/", {**found_form(node(LVDU_GRID1)), "photos": five})
    assert too_many.status_code == 400 and "最多 4 张照片" in too_many.content.decode()
    assert (FoundItem.objects.count(), Photo.objects.count()) == before


def test_the_edit_form_adds_photos_takes_one_off_and_rewrites_the_notice(as_user, node):
    staff = as_user("gridworker_lvdu1")
    item = record(staff, node(LVDU_GRID1), [jpeg()])
    staff.post(f"/found/{item.pk}/notice/")
    notice = Notice.objects.get(found_item=item)
    (first,) = item_photos(item)
    edit = staff.get(f"/found/{item.pk}/edit/")
    assert edit.status_code == 200 and "绿都社区党群服务中心" in edit.content.decode()
    response = staff.post(
        f"/found/{item.pk}/edit/",
        {
            "what": "两串钥匙（带黄色小熊钥匙扣）",
            "where": "绿都城1号门",
            "kept_at": "绿都社区警务室",
            "contact_phone": "0371-67180000",
            "photos": [jpeg("IMG_0009.jpg", (10, 200, 10))],
            "hide": [str(first.pk)],
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.kept_at == "绿都社区警务室"
    (second,) = item_photos(item)
    assert second.pk != first.pk and not Photo.objects.get(pk=first.pk).public
    notice.refresh_from_db()
    assert "绿都社区警务室" in notice.body and "黄色小熊" in notice.title
    assert AuditEvent.objects.filter(action="lostfound.founditem.updated", target_id=str(item.pk))
    assert AuditEvent.objects.filter(action="cases.photo.hidden", target_id=str(first.pk))
    code = notice_code(item)
    assert Client().get(f"/found/{code}/photos/{first.pk}/").status_code == 404
    # Bad input is named and changes nothing.
    bad = staff.post(f"/found/{item.pk}/edit/", {"what": "", "where": "x", "contact_phone": "1"})
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "请填写拾到的物品" in text and "电话号码格式不正确" in text
    item.refresh_from_db()
    assert item.what == "两串钥匙（带黄色小熊钥匙扣）"


def test_only_staff_in_scope_change_an_item(as_user, node):
    item = record(as_user("gridworker_lvdu1"), node(LVDU_GRID1))
    for outsider in ("gridworker_lvdu2", "gridworker_guanlan1", "partymember_lvdu"):
        client = as_user(outsider)
        assert client.get(f"/found/{item.pk}/edit/").status_code == 404
        assert (
            client.post(f"/found/{item.pk}/edit/", {"what": "x", "where": "y"}).status_code == 404
        )
    item.refresh_from_db()
    assert item.what == "两串钥匙"
    guanlan = record(as_user("gridworker_guanlan1"), node(GUANLAN_GRID1))
    assert as_user("gridworker_lvdu1").get(f"/found/{guanlan.pk}/edit/").status_code == 404


# --- After the hand-over -------------------------------------------------------------------------


def test_after_the_hand_over_the_notice_says_so_and_leaves_the_grid_page(as_user, node, client):
    staff = as_user("gridworker_lvdu1")
    grid = node(LVDU_GRID1)
    item = record(staff, grid)
    staff.post(f"/found/{item.pk}/notice/")
    notice = Notice.objects.get(found_item=item)
    client.logout()
    assert f"/n/{notice.pk}/" in client.get(f"/r/{grid.code}/").content.decode()
    staff = as_user("gridworker_lvdu1")
    staff.post(
        f"/found/{item.pk}/claims/",
        {"claimant_name": "刘洋", "claimant_phone": "13903710005", "proof": "黄色小熊钥匙扣"},
    )
    claim = item.claims.get()
    staff.post(f"/found/{item.pk}/claims/{claim.pk}/check/", {"verified": "true"})
    staff.post(f"/found/{item.pk}/claims/{claim.pk}/hand-over/", {"note": "本人领回"})
    notice.refresh_from_db()
    assert notice.title.startswith("已认领") and "已由失主领回" in notice.body
    assert AuditEvent.objects.filter(action="notices.notice.rewritten", target_id=str(notice.pk))
    client.logout()
    grid_page = client.get(f"/r/{grid.code}/").content.decode()
    assert f"/n/{notice.pk}/" not in grid_page
    public = client.get(f"/n/{notice.pk}/").content.decode()
    assert "已由失主领回" in public
    assert "物品已交还失主" in client.get(f"/found/{notice_code(item)}/").content.decode()
    assert notice not in notices.notices_for_grid(grid)


# --- Absolute links in every message -------------------------------------------------------------


def test_links_in_sms_wecom_and_email_are_absolute(user_named, node, settings):
    lvdu = user_named("community_lvdu")
    grid = node(LVDU_GRID1)
    confirmed_follow(grid=grid, phone="13903712468")
    confirmed_follow(grid=grid, email="resident@example.cn")
    with FakeServer() as wecom, FakeServer(default="sms_ok") as gateway:
        settings.WANGGE_WECOM_WEBHOOK_URL = wecom.url
        settings.WANGGE_SMS_PROVIDER, settings.WANGGE_SMS_URL = "http", gateway.url
        Robot.objects.filter(grid=grid).delete()
        notices.create_robot(actor=lvdu, grid=grid, name="绿都一网格群", key=uuid.uuid4().hex)
        notice = notices.create_notice(
            actor=lvdu,
            kind=NoticeKind.objects.get(code="convenience"),
            title="明日停水",
            body="明天上午停水，请提前储水。",
            nodes=[grid],
            to_sms=True,
            to_email=True,
            roles=["community_staff"],
        )
        notices.publish_notice(actor=lvdu, notice=notice)
        case = cases.report(
            actor=lvdu,
            channel="phone",
            category=Category.objects.get(tree__is_current=True, code="MD05"),
            description="楼道灯坏了",
            grid=grid,
            reporter_phone="13903719911",
        )
        while outbox.drain(owner="test", limit=50):
            pass
        link = re.compile(r"(?:https?://\S+|/(?:n|t|r|found)/\S+)")
        texts = [request.body["text"] for request in gateway.requests]
        texts += [request.content for request in wecom.requests]
        texts += [message.body for message in mail.outbox]
        assert any(f"/n/{notice.pk}/" in text for text in texts)
        assert any(f"/t/{case.tracking_code}/" in text for text in texts)
        for text in texts:
            for found in link.findall(text):
                assert found.startswith(f"{SITE}/"), (found, text)
    sent = Delivery.objects.filter(notice=notice).values_list("channel", flat=True)
    assert {Channel.SMS, Channel.WECOM, Channel.EMAIL} <= set(sent)


def test_the_site_address_is_checked(settings):
    settings.WANGGE_SITE_URL = "wangge.example.gov.cn"
    with pytest.raises(SystemCheckError, match=r"notices\.E001"):
        call_command("check")
    settings.WANGGE_SITE_URL = ""
    with pytest.raises(SystemCheckError, match=r"notices\.W001"):
        call_command("check", deploy=True, fail_level="WARNING", tags=["security"])
    settings.WANGGE_SITE_URL = SITE
    call_command("check")
