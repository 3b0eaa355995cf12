"""The words of the messages the system sends by itself, from the editable templates."""

from __future__ import annotations

import string

from django.conf import settings
from django.utils import translation

from wangge.core import memo
from wangge.notices.models import MessageTemplate


class _Blanks(dict):
    """A placeholder the template names but the event does not fill stays as written (an
    administrator's typo must not stop a message)."""

    def __missing__(self, key):
        return "{" + key + "}"


def fill(text: str, values: dict) -> str:
    try:
        return string.Formatter().vformat(text, (), _Blanks(values))
    except (ValueError, IndexError):  # a stray brace: send the words as they are
        return text


def template(event: str) -> MessageTemplate | None:
    """The active template of ``event``: a standard, kept by the process until an
    administrator changes one (every case's move asks)."""
    return memo.kept(
        ("notices.template", event),
        lambda: MessageTemplate.objects.filter(event=event, is_active=True).first(),
    )


def render(event: str, **values) -> tuple[str, str] | None:
    """``(subject, text)`` of ``event``'s message with ``values`` filled in, or ``None``
    when its template is missing or switched off."""
    found = template(event)
    if found is None:
        return None
    values.setdefault("site", site_name())
    return fill(found.subject, values), fill(found.text, values)


def site_name() -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(settings.WANGGE_SITE_NAME)


def absolute(path: str, request=None) -> str:
    """A link residents can open, in every message, notice and poster: ``WANGGE_SITE_URL``
    (the address residents use, checked by ``wangge check``) before the path. Without the
    setting, a page being answered names its own address (``request``); a worker has none
    and gives the path alone (``check --deploy`` warns of it)."""
    if settings.WANGGE_SITE_URL:
        return f"{settings.WANGGE_SITE_URL}{path}"
    if request is not None:
        return request.build_absolute_uri(path)
    return path
