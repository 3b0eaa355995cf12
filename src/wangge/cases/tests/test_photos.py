"""Photos of cases: checked by content, stripped of metadata, kept in scope.

A phone's JPEG carries where it was taken; staff keep that place, the stored image keeps
nothing. A PDF or SVG named ``.jpg``, a text file, an oversize file and a decompression bomb
are refused naming ``file``; a case or photo outside the caller's grids is a 404.
"""

import io
from pathlib import Path
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from PIL import Image

from wangge.cases import photos
from wangge.cases import services as cases
from wangge.cases.choices import Channel
from wangge.cases.models import CaseEvent, Category, Photo
from wangge.core.models import AuditEvent
from wangge.demo.district import GUANLAN_GRID1, LVDU_GRID1
from wangge.territory.models import Node

pytestmark = pytest.mark.django_db

ME = "gridworker_lvdu1"
# 34°45'36"N 113°36'0.5"E: in 中原区, as a phone writes it.
GPS = {1: "N", 2: (34.0, 45.0, 36.0), 3: "E", 4: (113.0, 36.0, 0.5)}
LAT, LNG = 34.76, 113.6001389
PHONE_MAKE = "WanggeTestPhone"


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def stored_files(media: Path) -> list[Path]:
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


def a_case(code=LVDU_GRID1):
    return cases.report(
        actor=None,
        channel=Channel.WEB,
        category=Category.objects.get(tree__is_current=True, code="BM03"),
        description="楼道灯不亮了",
        grid=Node.objects.get(code=code),
    )


def jpeg(size=(640, 480), *, gps=True, orientation=None) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = PHONE_MAKE  # Make
    exif[0x0110] = "Model X"  # Model
    if orientation:
        exif[0x0112] = orientation
    if gps:
        exif[0x8825] = GPS
    out = io.BytesIO()
    Image.new("RGB", size, (200, 60, 40)).save(
        out, "JPEG", exif=exif.tobytes(), comment=b"shot at home", icc_profile=b"\0" * 64
    )
    return out.getvalue()


def png(size=(300, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 120, 200, 128)).save(out, "PNG")
    return out.getvalue()


def upload(client, case, data: bytes, name="IMG_0001.jpg", kind="image/jpeg", **extra):
    return client.post(
        f"/api/v1/cases/{case.pk}/photos",
        {"file": SimpleUploadedFile(name, data, kind), **extra},
    )


def assert_problem(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    if field is not None:
        assert [error["field"] for error in body["errors"]] == [field], body
    return body


def test_gps_is_kept_for_staff_and_never_leaves_with_the_photo(api_as, media):
    case = a_case()
    client = api_as(ME)
    response = upload(client, case, jpeg(orientation=6), public="true")
    assert response.status_code == 201, response.content
    body = response.json()
    photo = Photo.objects.get(pk=body["id"])
    assert body["case_id"] == case.pk and body["public"] is True
    assert body["content_type"] == "image/jpeg"
    # Turned upright by its EXIF orientation (6: rotate 90°), then the EXIF dropped.
    assert (body["width"], body["height"]) == (480, 640) == (photo.width, photo.height)
    assert body["size"] == photo.size == Path(photo.image.path).stat().st_size
    assert photo.taken_lat == pytest.approx(LAT, abs=1e-6)
    assert photo.taken_lng == pytest.approx(LNG, abs=1e-6)
    assert body["taken_lat"] == pytest.approx(LAT, abs=1e-6)

    raw = Path(photo.image.path).read_bytes()
    assert b"Exif" not in raw and PHONE_MAKE.encode() not in raw and b"shot at home" not in raw
    stored = Image.open(photo.image.path)
    assert stored.format == "JPEG"
    assert dict(stored.getexif()) == {}
    assert not {"exif", "icc_profile", "comment", "xmp"} & set(stored.info)
    thumb = Image.open(photo.thumbnail.path)
    assert thumb.format == "JPEG" and thumb.size == (240, 320)
    assert dict(thumb.getexif()) == {}

    image = client.get(body["image_url"])
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert b"".join(image.streaming_content) == raw
    thumbnail = client.get(body["thumbnail_url"])
    assert thumbnail.status_code == 200 and thumbnail["Content-Type"] == "image/jpeg"

    listed = client.get(f"/api/v1/cases/{case.pk}/photos").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == photo.pk

    step = CaseEvent.objects.get(case=case, action="photo_added")
    assert step.public is True and step.from_state == step.to_state == case.state
    assert photo.event == step and step.data == {"photo": photo.pk}
    event = AuditEvent.objects.get(action="cases.photo.added", target_id=str(photo.pk))
    assert event.target_type == "cases.photo" and event.node_id == case.grid_id
    assert event.actor.username == ME


def test_png_and_webp_are_photos_too(api_as):
    case = a_case()
    client = api_as(ME)
    response = upload(client, case, png(), name="screenshot.png", kind="image/png")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["content_type"], body["width"], body["height"]) == ("image/png", 300, 200)
    assert body["public"] is False and body["taken_lat"] is None
    stored = Image.open(Photo.objects.get(pk=body["id"]).image.path)
    assert stored.format == "PNG" and stored.mode == "RGBA"

    out = io.BytesIO()
    Image.new("RGB", (100, 80), "green").save(out, "WEBP")
    response = upload(client, case, out.getvalue(), name="a.webp", kind="image/webp")
    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == "image/webp"


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.mark.parametrize(
    ("data", "name", "kind"),
    [
        (PDF, "photo.jpg", "image/jpeg"),
        (SVG, "photo.jpg", "image/jpeg"),
        (SVG, "photo.svg", "image/svg+xml"),
        ("楼道灯不亮了".encode(), "note.txt", "text/plain"),
        (jpeg()[:400], "cut.jpg", "image/jpeg"),
    ],
)
def test_anything_but_a_photo_is_refused_naming_file(api_as, media, data, name, kind):
    case = a_case()
    response = upload(api_as(ME), case, data, name=name, kind=kind)
    assert_problem(response, 400, "file")
    assert not Photo.objects.filter(case=case).exists()
    assert stored_files(media) == []


def test_a_gif_is_not_one_of_the_formats(api_as):
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    response = upload(api_as(ME), a_case(), out.getvalue(), name="a.jpg")
    assert "JPEG" in assert_problem(response, 400, "file")["detail"]


def test_oversize_and_too_many_pixels_are_refused(api_as, settings, media):
    case = a_case()
    client = api_as(ME)
    settings.WANGGE_PHOTO_MAX_BYTES = 2000
    body = assert_problem(upload(client, case, jpeg((800, 600))), 400, "file")
    assert "MB" in body["detail"]
    settings.WANGGE_PHOTO_MAX_BYTES = 10 * 1024 * 1024
    # A 48 KB PNG that unpacks to 400 million pixels.
    bomb = io.BytesIO()
    Image.new("1", (20000, 20000)).save(bomb, "PNG")
    assert len(bomb.getvalue()) < 100_000
    body = assert_problem(upload(client, case, bomb.getvalue(), name="b.png"), 400, "file")
    assert "像素" in body["detail"]
    settings.WANGGE_PHOTO_MAX_PIXELS = 100 * 100
    assert_problem(upload(client, case, png((101, 100)), name="c.png"), 400, "file")
    assert not Photo.objects.filter(case=case).exists()
    assert stored_files(media) == []


def test_no_file_is_a_400_naming_file(api_as):
    response = api_as(ME).post(f"/api/v1/cases/{a_case().pk}/photos", {"public": "true"})
    assert_problem(response, 400, "file")


def test_a_case_or_photo_of_another_grid_is_a_404(api_as, media):
    case = a_case()
    photo = photos.add_photo(actor=None, case=case, upload=io.BytesIO(jpeg()))
    files = stored_files(media)
    assert len(files) == 2
    for outsider in ("gridworker_lvdu2", "gridworker_guanlan1", "partymember_lvdu"):
        client = api_as(outsider)
        assert_problem(upload(client, case, jpeg()), 404)
        assert_problem(client.get(f"/api/v1/cases/{case.pk}/photos"), 404)
        assert_problem(client.get(f"/api/v1/photos/{photo.pk}/image"), 404)
        assert_problem(client.get(f"/api/v1/photos/{photo.pk}/thumbnail"), 404)
    assert Photo.objects.filter(case=case).count() == 1
    assert stored_files(media) == files
    # The next street's worker sees their own case's photos only.
    theirs = a_case(GUANLAN_GRID1)
    assert upload(api_as("gridworker_guanlan1"), theirs, jpeg()).status_code == 201
    assert_problem(api_as(ME).get(f"/api/v1/photos/{theirs.photos.get().pk}/image"), 404)
    assert_problem(api_as(ME).get("/api/v1/photos/999999/image"), 404)


def test_the_service_checks_scope_too(user_named):
    case = a_case()
    with pytest.raises(Http404):
        photos.add_photo(actor=user_named("gridworker_lvdu2"), case=case, upload=io.BytesIO(jpeg()))


def test_files_go_when_the_transaction_fails(media):
    case = a_case()
    failing = mock.patch.object(AuditEvent, "save", side_effect=RuntimeError("disk full"))
    with failing, pytest.raises(RuntimeError):
        photos.add_photo(actor=None, case=case, upload=io.BytesIO(jpeg()))
    assert not Photo.objects.filter(case=case).exists()
    assert not CaseEvent.objects.filter(case=case, action="photo_added").exists()
    assert stored_files(media) == []


def test_a_retry_gets_the_first_photo(api_as, media):
    case = a_case()
    client = api_as(ME)
    headers = {"Idempotency-Key": "photo-1"}
    first = client.post(
        f"/api/v1/cases/{case.pk}/photos",
        {"file": SimpleUploadedFile("a.jpg", jpeg(), "image/jpeg")},
        headers=headers,
    )
    again = client.post(
        f"/api/v1/cases/{case.pk}/photos",
        {"file": SimpleUploadedFile("a.jpg", jpeg(), "image/jpeg")},
        headers=headers,
    )
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert Photo.objects.filter(case=case).count() == 1
    assert len(stored_files(media)) == 2


def test_a_photo_can_belong_to_a_step_of_its_case_only(user_named):
    case, other = a_case(), a_case()
    step = case.events.first()
    photo = photos.add_photo(actor=user_named(ME), case=case, upload=io.BytesIO(png()), event=step)
    assert photo.event == step
    added = CaseEvent.objects.get(case=case, action="photo_added")
    assert added.data == {"photo": photo.pk, "event": step.pk}
    with pytest.raises(photos.ValidationError) as refused:
        photos.add_photo(actor=user_named(ME), case=other, upload=io.BytesIO(png()), event=step)
    assert "event" in refused.value.message_dict
