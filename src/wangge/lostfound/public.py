"""What anyone may read of a found item: its notice's words (to paste into groups, to publish,
on the poster), its photos, the code of its public page and that page's address. Never the
finder's or a claimant's name or phone."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_noop

from wangge.cases.models import Photo
from wangge.core.words import stored
from wangge.lostfound.models import FoundItem
from wangge.notices.wording import absolute

ItemState = FoundItem.ItemState
# The key of the codes' checks: unchanged since the codes were first printed on posters.
_CODE_SALT = "wangge.cases.found-notice"


def claim_place(item: FoundItem) -> tuple[str, str]:
    """Where to claim the item and the office's phone number (never a finder's)."""
    return item.kept_at, item.contact_phone


def item_photos(item: FoundItem):
    """The item's photos as the public sees them: its case's public photos, oldest first."""
    if item.case_id is None:
        return Photo.objects.none()
    return Photo.objects.filter(case_id=item.case_id, public=True).order_by("pk")


def _when(moment: datetime.datetime) -> str:
    local = timezone.localtime(moment)
    return gettext("%(month)s/%(day)s around %(time)s") % {
        "month": local.month,
        "day": local.day,
        "time": f"{local:%H:%M}",
    }


def notice_text(item: FoundItem, *, url: str = "") -> str:
    """The notice to paste into WeChat groups and send to the property office: what, where,
    when, where to claim and the office's phone — never the finder's."""
    place, phone = claim_place(item)
    community = item.grid.community if item.grid_id else None
    lines = [gettext("[Lost and found]")]
    if item.state == ItemState.HANDED_OVER:
        lines.append(gettext("(Its owner has it back: thank you all for passing this on)"))
    lines.append(
        gettext("%(when)s, %(what)s was found at %(where)s.")
        % {"when": _when(item.found_at), "what": item.what, "where": item.where}
    )
    if place:
        lines.append(
            gettext("It is kept at %(place)s: its owner may claim it there.") % {"place": place}
        )
    else:
        office = community.name if community else gettext("the community")
        lines.append(gettext("Its owner may ask %(office)s for it.") % {"office": office})
    lines.append(gettext("To claim it, say what it looks like and bring your identity card."))
    if phone:
        lines.append(gettext("Phone: %(phone)s") % {"phone": phone})
    if url:
        lines.append(gettext("More: %(url)s") % {"url": url})
    if community is not None:
        when = date_format(timezone.localtime(item.created_at), "DATE_FORMAT")
        lines.append(f"{community.name} {when}")
    return "\n".join(lines)


def notice_code(item: FoundItem) -> str:
    """The code in the public notice's address and QR code: the item's number and a keyed
    check, so notices cannot be walked through by counting. (Not the case's tracking code:
    that one lets its holder rate and reopen the case.)"""
    check = salted_hmac(_CODE_SALT, str(item.pk)).hexdigest()[:10]
    return f"{item.pk}-{check}"


def item_for_notice_code(code: str) -> FoundItem | None:
    """The found item a public notice code names, or ``None``."""
    number, _, check = str(code or "").partition("-")
    if not number.isdigit() or not check:
        return None
    item = FoundItem._base_manager.select_related("grid").filter(pk=int(number)).first()
    if item is None or not constant_time_compare(notice_code(item), f"{number}-{check}"):
        return None
    return item


def public_url(item: FoundItem, request=None) -> str:
    """The absolute address of the item's public notice page (its QR code, its messages)."""
    try:
        return absolute(reverse("found-notice", args=[notice_code(item)]), request)
    except NoReverseMatch:  # the pages are not mounted (an API-only deployment)
        return ""


def notice_title(item: FoundItem) -> str:
    """The title of the item's published notice, in the site's language."""
    if item.state == ItemState.HANDED_OVER:
        return stored(gettext_noop("Returned to its owner: %(what)s"), what=item.what)[:100]
    return stored(gettext_noop("Found: %(what)s"), what=item.what)[:100]


def notice_body(item: FoundItem) -> str:
    """The text of the item's published notice, in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return notice_text(item, url=public_url(item))
