"""Lost and found pages: the printable poster (staff, in scope) and the public notice that
its QR code opens (no sign-in, no personal data)."""

import segno
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.safestring import mark_safe

from wangge.cases import lostfound
from wangge.cases.models import FoundItem


def _public(item: FoundItem, request) -> dict:
    """What anyone may read about a found item: no finder, no claimant, no phone but the
    office's."""
    place, phone = lostfound.claim_place(item)
    community = item.grid.community
    url = request.build_absolute_uri(reverse("found-notice", args=[lostfound.notice_code(item)]))
    return {
        "what": item.what,
        "where": item.where,
        "found_at": item.found_at,
        "place": place,
        "phone": phone,
        "community": community.name if community else "",
        "handed_over": item.state == FoundItem.ItemState.HANDED_OVER,
        "state_label": item.get_state_display(),
        "url": url,
    }


@login_required
def poster(request, pk: int):
    """An A4 poster for the notice board and the mall's property office, with a QR code to
    the public notice."""
    item = get_object_or_404(
        FoundItem.objects.restrict(request.user, "view").select_related("grid", "case"), pk=pk
    )
    notice = _public(item, request)
    # segno writes only path data from the URL's bits (no text of ours): safe to inline.
    qr_svg = segno.make(notice["url"], error="m").svg_inline(
        border=4, omitsize=True, svgclass="qr", lineclass="qr-line"
    )
    context = {
        "item": item,
        "notice": notice,
        "notice_text": lostfound.notice_text(item, url=notice["url"]),
        "qr_svg": mark_safe(qr_svg),
    }
    return render(request, "cases/found_poster.html", context)


def notice(request, code: str):
    """The public notice: what was found, where and when, and how to claim it."""
    item = lostfound.item_for_notice_code(code)
    if item is None:
        raise Http404
    return render(request, "cases/found_notice.html", {"notice": _public(item, request)})
