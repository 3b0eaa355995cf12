"""A draft's files: images checked by their content and re-encoded, attachments by their kind."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.files.base import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from wangge.core import audit, crypto
from wangge.core.errors import ValidationError
from wangge.notices.choices import NoticeState
from wangge.notices.models import Notice, NoticeFile
from wangge.notices.services.common import Refused, _locked, _may, _visible

if TYPE_CHECKING:
    from wangge.accounts.models import User


FILE_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENT_TYPES = {
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".txt": "text/plain",
}


@transaction.atomic
def add_notice_file(*, actor: User | None, notice: Notice, upload: File | None) -> NoticeFile:
    """An image (checked by its content, re-encoded without its metadata) or an attachment
    (PDF, Word, Excel, text) of a draft."""
    from django.core.files.base import ContentFile

    from wangge.cases import photos

    notice = _locked(notice)
    _visible(actor, notice)
    _may(actor, notice, "change")
    if notice.state != NoticeState.DRAFT:
        raise Refused(gettext("Only a draft can be changed"))
    if upload is None:
        raise ValidationError({"file": gettext("Upload a file")})
    name = (getattr(upload, "name", "") or "file").rsplit("/", 1)[-1][:200]
    extension = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if extension in {".jpg", ".jpeg", ".png", ".webp"}:
        prepared = photos.prepare_photo(upload)
        data, content_type, is_image = prepared.data, prepared.content_type, True
        extension = prepared.extension
    elif extension in ATTACHMENT_TYPES:
        if getattr(upload, "size", 0) and upload.size > FILE_MAX_BYTES:
            raise ValidationError({"file": gettext("The file is too large")})
        upload.seek(0)
        data = upload.read(FILE_MAX_BYTES + 1)
        if not data or len(data) > FILE_MAX_BYTES:
            raise ValidationError({"file": gettext("The file is empty or too large")})
        content_type, is_image = ATTACHMENT_TYPES[extension], False
    else:
        raise ValidationError(
            {"file": gettext("Images (JPEG, PNG, WebP) or PDF, Word, Excel and text files only")}
        )
    stored = NoticeFile(
        notice=notice,
        name=name,
        content_type=content_type,
        size=len(data),
        is_image=is_image,
        uploaded_by=actor,
    )
    token = crypto.keyed_hash(f"notice-file:{notice.pk}:{timezone.now().isoformat()}")[:16]
    stored.file.save(f"{token}{extension}", ContentFile(data), save=False)
    try:
        stored.save()
        audit.record(
            actor=actor,
            action="notices.noticefile.added",
            target=stored,
            node=notice.node,
            after={
                "notice": notice.pk,
                "file": stored.file.name,
                "name": stored.name,
                "content_type": content_type,
                "size": stored.size,
            },
        )
    except BaseException:
        stored.file.delete(save=False)
        raise
    return stored
