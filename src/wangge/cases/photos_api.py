"""Photos of cases through the API: upload, list, and the image and thumbnail themselves.

A photo is visible exactly when its case is: anything else is a 404, the photo of another
grid's case as much as the case.
"""

import datetime

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import File, Form, Header, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.pagination import paginate

from wangge.cases import photos
from wangge.cases.machine import Refused
from wangge.cases.models import Case, Photo
from wangge.core.api import Page

router = Router(tags=["cases"])


class PhotoOut(Schema):
    """A photo of a case. The stored image carries no metadata; ``taken_lng``/``taken_lat``
    are where the phone said it was taken (WGS-84), for staff only."""

    id: int
    case_id: int
    public: bool
    content_type: str
    size: int
    width: int
    height: int
    taken_lng: float | None
    taken_lat: float | None
    created_at: datetime.datetime
    image_url: str
    thumbnail_url: str

    @staticmethod
    def resolve_image_url(photo):
        return reverse("api:case-photo-image", args=[photo.pk])

    @staticmethod
    def resolve_thumbnail_url(photo):
        return reverse("api:case-photo-thumbnail", args=[photo.pk])


def _case(request, case_id: int) -> Case:
    return get_object_or_404(Case.objects.restrict(request.user, "view"), pk=case_id)


def _photo(request, photo_id: int) -> Photo:
    """The photo, if the caller may see its case (one read, through ``restrict``)."""
    case = get_object_or_404(Case.objects.restrict(request.user, "view"), photos__pk=photo_id)
    return case.photos.get(pk=photo_id)


@router.post(
    "/cases/{case_id}/photos", response={201: PhotoOut, 403: None}, url_name="case-photos-add"
)
def upload_photo(
    request,
    case_id: int,
    file: File[UploadedFile],
    public: Form[bool] = False,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
):
    """Add a photo (JPEG, PNG or WebP, checked by content; at most
    ``WANGGE_PHOTO_MAX_BYTES``). Location metadata is removed from the stored image; the
    place in its EXIF is kept for staff. ``public`` shows it to the resident following the
    case. A retry with the same ``Idempotency-Key`` gets the first photo."""
    case = _case(request, case_id)
    try:
        photo = photos.add_photo(
            actor=request.user,
            case=case,
            upload=file,
            public=public,
            idempotency_key=idempotency_key,
        )
    except Refused as exc:
        raise HttpError(403, str(exc)) from exc
    return Status(201, photo)


@router.get("/cases/{case_id}/photos", response=list[PhotoOut], url_name="case-photos")
@paginate(Page)
def list_photos(request, case_id: int):
    return _case(request, case_id).photos.all()


def _serve(field_file, content_type: str):
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


@router.get("/photos/{photo_id}/image", response={200: None}, url_name="case-photo-image")
def photo_image(request, photo_id: int):
    """The stored image (no metadata)."""
    photo = _photo(request, photo_id)
    return _serve(photo.image, photo.content_type)


@router.get("/photos/{photo_id}/thumbnail", response={200: None}, url_name="case-photo-thumbnail")
def photo_thumbnail(request, photo_id: int):
    """A JPEG at most 320 pixels on its longest side."""
    photo = _photo(request, photo_id)
    return _serve(photo.thumbnail, "image/jpeg")
