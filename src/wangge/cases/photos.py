"""Photos of cases: checked by their content, turned upright, stripped of every piece of
metadata (so no location ever leaves with a photo), stored with a thumbnail.

The place a phone wrote into the photo's EXIF is kept for staff in ``taken_lng`` and
``taken_lat`` (WGS-84, as the phone gives it); the stored image carries no EXIF, XMP, ICC
profile or comment. The image work is done before the transaction (it is slow, and SQLite
holds its write lock for the length of one); the files are written just before the rows and
removed again if the rows cannot be written.
"""

from __future__ import annotations

import contextlib
import io
import math
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from PIL import Image, ImageOps, UnidentifiedImageError

from wangge.cases.machine import Refused
from wangge.cases.models import Case, CaseEvent, Photo
from wangge.cases.services.timeline import record_step
from wangge.core import audit
from wangge.core.errors import ValidationError, not_found
from wangge.core.services import allowed, idempotent

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_PIXELS = 50_000_000  # a 50-megapixel phone photo; a bomb claims far more
THUMBNAIL_SIDE = 320

# What a photo may be (by content, whatever its name says) → how it is stored.
_FORMATS = {
    "JPEG": ("JPEG", "image/jpeg", ".jpg"),
    "MPO": ("JPEG", "image/jpeg", ".jpg"),  # the multi-picture JPEG many phones write
    "PNG": ("PNG", "image/png", ".png"),
    "WEBP": ("WEBP", "image/webp", ".webp"),
}
_GPS_IFD = 0x8825
_NOT_A_PHOTO = gettext_noop("Only JPEG, PNG or WebP photos can be uploaded")


# The content types a photo may have, for pages that check a file before sending it.
ACCEPTED_TYPES = tuple(sorted({content_type for _fmt, content_type, _ext in _FORMATS.values()}))


def max_bytes() -> int:
    """The largest photo taken, in bytes (``WANGGE_PHOTO_MAX_BYTES``)."""
    return int(getattr(settings, "WANGGE_PHOTO_MAX_BYTES", DEFAULT_MAX_BYTES))


def _max_pixels() -> int:
    return int(getattr(settings, "WANGGE_PHOTO_MAX_PIXELS", DEFAULT_MAX_PIXELS))


@dataclass(frozen=True)
class PreparedPhoto:
    """A checked photo, re-encoded without metadata, with its thumbnail; nothing written."""

    data: bytes
    thumbnail: bytes
    content_type: str
    extension: str
    width: int
    height: int
    lng: float | None
    lat: float | None


def prepare_photo(upload) -> PreparedPhoto:
    """Check an upload by its content and re-encode it; ``ValidationError`` naming ``file``.

    ``upload`` is a file (Django's ``UploadedFile`` or any binary file object) or a
    ``PreparedPhoto`` (returned as it is).
    """
    if isinstance(upload, PreparedPhoto):
        return upload
    if upload is None:
        raise ValidationError({"file": gettext("Upload a photo")})
    limit = max_bytes()
    too_big = gettext("A photo may be at most %(size)s") % {"size": _megabytes(limit)}
    if getattr(upload, "size", None) is not None and upload.size > limit:
        raise ValidationError({"file": too_big})
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)  # never more than the limit, whatever the size claimed
    if not data:
        raise ValidationError({"file": gettext("Upload a photo")})
    if len(data) > limit:
        raise ValidationError({"file": too_big})
    return _reencode(data)


def size_text(size: int) -> str:
    """A size in bytes as the messages give it ("10 MB")."""
    return _megabytes(size)


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:g} MB"


def _reencode(data: bytes) -> PreparedPhoto:
    too_many = gettext("The photo has too many pixels (at most %(n)s megapixels)") % {
        "n": f"{_max_pixels() / 1_000_000:g}"
    }
    try:
        image = Image.open(io.BytesIO(data), formats=["JPEG", "PNG", "WEBP"])
        if image.format not in _FORMATS:
            raise ValidationError({"file": gettext(_NOT_A_PHOTO)})
        width, height = image.size
        if width < 1 or height < 1 or width * height > _max_pixels():
            raise ValidationError({"file": too_many})
        fmt, content_type, extension = _FORMATS[image.format]
        lng, lat = _gps(image)
        image.load()
        ImageOps.exif_transpose(image, in_place=True)
        image = _storable(image, fmt)
        stored = _encode(image, fmt)
        thumbnail = _encode(_flat_rgb(_shrunk(image, THUMBNAIL_SIDE)), "JPEG")
    except ValidationError:
        raise
    except Image.DecompressionBombError:  # beyond even Pillow's own limit
        raise ValidationError({"file": too_many}) from None
    except UnidentifiedImageError:
        raise ValidationError({"file": gettext(_NOT_A_PHOTO)}) from None
    except (OSError, ValueError, SyntaxError, EOFError):  # truncated or damaged
        damaged = gettext("The photo is damaged and cannot be read")
        raise ValidationError({"file": damaged}) from None
    return PreparedPhoto(
        data=stored,
        thumbnail=thumbnail,
        content_type=content_type,
        extension=extension,
        width=image.width,
        height=image.height,
        lng=lng,
        lat=lat,
    )


def _storable(image: Image.Image, fmt: str) -> Image.Image:
    """The first frame in a mode the format stores, with no metadata left on it."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if fmt == "JPEG":
        wanted = "L" if image.mode in ("1", "L") else "RGB"
    elif fmt == "WEBP":
        wanted = "RGBA" if has_alpha else "RGB"
    else:
        wanted = image.mode if image.mode in ("RGB", "RGBA", "L", "LA") else None
        wanted = wanted or ("RGBA" if has_alpha else "RGB")
    if image.mode != wanted:
        image = _flat_rgb(image) if wanted == "RGB" and has_alpha else image.convert(wanted)
    image.info = {}  # EXIF, XMP, ICC profile, comments, text chunks: none of it is kept
    return image


def _shrunk(image: Image.Image, side: int) -> Image.Image:
    """The image with its longest side at most ``side`` pixels (never enlarged)."""
    scale = side / max(image.size)
    if scale >= 1:
        return image
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _flat_rgb(image: Image.Image) -> Image.Image:
    """RGB, with any transparency laid on white."""
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, "JPEG", quality=85, optimize=True)
    elif fmt == "WEBP":
        image.save(out, "WEBP", quality=85)
    else:
        image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _gps(image: Image.Image) -> tuple[float | None, float | None]:
    """Where the phone says the photo was taken (EXIF GPS, WGS-84), or nothing."""
    try:
        gps = image.getexif().get_ifd(_GPS_IFD)
    except Exception:  # a damaged EXIF block only loses the place
        return None, None
    lat = _degrees(gps.get(2), gps.get(1), "S")
    lng = _degrees(gps.get(4), gps.get(3), "W")
    if lat is None or lng is None or (lat == 0 and lng == 0):
        return None, None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return None, None
    return round(lng, 7), round(lat, 7)


def _degrees(value, ref, negative: str) -> float | None:
    try:
        if isinstance(value, tuple | list):
            parts = [float(part) for part in value] + [0.0, 0.0]
            degrees = parts[0] + parts[1] / 60 + parts[2] / 3600
        elif value is not None:
            degrees = float(value)
        else:
            return None
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not math.isfinite(degrees):
        return None
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    if str(ref or "").strip().upper().startswith(negative):
        degrees = -degrees
    return degrees


# --- Storing -------------------------------------------------------------------------------------


def _write(prepared: PreparedPhoto) -> tuple[str, str]:
    """Write the image and its thumbnail under MEDIA_ROOT; their storage names."""
    token = secrets.token_hex(16)
    month = timezone.localtime().strftime("%Y/%m")
    storage = Photo._meta.get_field("image").storage
    image_name = storage.save(
        f"cases/{month}/{token}{prepared.extension}", ContentFile(prepared.data)
    )
    try:
        thumb_name = Photo._meta.get_field("thumbnail").storage.save(
            f"cases/{month}/thumbs/{token}.jpg", ContentFile(prepared.thumbnail)
        )
    except BaseException:
        storage.delete(image_name)
        raise
    return image_name, thumb_name


def _remove_files(*names: str) -> None:
    storage = Photo._meta.get_field("image").storage
    for name in names:
        if name:
            with contextlib.suppress(OSError):  # already gone: nothing else to do
                storage.delete(name)


def _remove_photo_files(photo: Photo) -> None:
    """Remove a photo's files (when the transaction that made it did not commit)."""
    _remove_files(photo.image.name, photo.thumbnail.name)


def _visible(actor, case: Case) -> bool:
    return actor is None or Case.objects.restrict(actor, "view").filter(pk=case.pk).exists()


def add_photo(
    *,
    actor,
    case: Case,
    upload,
    public: bool = False,
    event: CaseEvent | None = None,
    idempotency_key: str | None = None,
) -> Photo:
    """Add a photo to ``case`` (which ``actor`` must be able to see; ``None``: the system,
    or a resident on the public page).

    The photo is checked by its content (JPEG, PNG or WebP), its size and its pixel count,
    turned upright, and stored without metadata, with a 320-pixel thumbnail. The place it was
    taken (EXIF GPS) is kept for staff. The case's timeline gets a ``photo_added`` step (public
    when the photo is), the audit log ``cases.photo.added``. ``event`` links the photo to a
    step of the case (a finish, a hand-over). A retry with the same ``idempotency_key`` gets
    the first photo back.
    """
    if not _visible(actor, case):
        raise not_found()
    if not (
        allowed(actor, Photo, "add", path=case.grid.path)
        or case.tasks.filter(assignee=actor).exists()  # a unit given the work shows it done
    ):
        raise Refused(gettext("You may not add photos to this case"))
    if event is not None and event.case_id != case.pk:
        raise ValidationError({"event": gettext("That step is not one of this case")})
    prepared = prepare_photo(upload)
    names = _write(prepared)
    try:
        with transaction.atomic():
            photo, created = idempotent(
                key=idempotency_key,
                actor=actor,
                operation="cases.photo.add",
                model=Photo,
                create=lambda: _create(
                    actor=actor,
                    case=case,
                    prepared=prepared,
                    names=names,
                    public=bool(public),
                    event=event,
                ),
            )
    except BaseException:
        _remove_files(*names)
        raise
    if not created:
        _remove_files(*names)  # a retry: the first upload's files stay
    return photo


def _create(*, actor, case, prepared, names, public, event) -> Photo:
    case = Case.objects.select_related("grid").get(pk=case.pk)
    at = timezone.now()
    photo = Photo(
        case=case,
        event=event,
        content_type=prepared.content_type,
        size=len(prepared.data),
        width=prepared.width,
        height=prepared.height,
        taken_lng=prepared.lng,
        taken_lat=prepared.lat,
        public=public,
        uploaded_by=actor,
    )
    photo.image.name, photo.thumbnail.name = names
    photo.save()
    # The step's audit event is the photo's; the photo is then linked to its own step.
    step = record_step(
        case,
        "photo_added",
        actor=actor,
        at=at,
        before=None,
        public=public,
        data={"photo": photo.pk, **({"event": event.pk} if event is not None else {})},
        tell_followers=False,
        audit_as={
            "action": "cases.photo.added",
            "target": photo,
            "after": photo_snapshot(photo),
        },
    )
    if event is None:
        photo.event = step
        photo.save(update_fields=["event"])
    return photo


@transaction.atomic
def set_photo_public(*, actor, photo: Photo, public: bool) -> Photo:
    """Show a photo to the public (the tracking page, a found item's notice) or take it
    off: the photo stays with the case for staff."""
    photo = Photo.objects.select_for_update().select_related("case__grid").get(pk=photo.pk)
    case = photo.case
    if not _visible(actor, case):
        raise not_found()
    if not allowed(actor, Photo, "add", path=case.grid.path):
        raise Refused(gettext("You may not change the photos of this case"))
    if photo.public == bool(public):
        return photo
    before = photo_snapshot(photo)
    photo.public = bool(public)
    photo.save(update_fields=["public"])
    CaseEvent.objects.filter(case=case, action="photo_added", data__photo=photo.pk).update(
        public=photo.public
    )
    audit.record(
        actor=actor,
        action="cases.photo.shown" if photo.public else "cases.photo.hidden",
        target=photo,
        node=case.grid,
        before=before,
        after=photo_snapshot(photo),
    )
    return photo


def photo_snapshot(photo: Photo) -> dict:
    """The audit snapshot of a photo (its files by their storage names)."""
    data = audit.snapshot(photo)
    data.update(image=photo.image.name, thumbnail=photo.thumbnail.name)
    return data
