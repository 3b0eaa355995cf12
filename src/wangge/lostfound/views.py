"""Lost and found pages. Staff: the found items in their scope, recording one (at the office
or on a phone in the street), and an item with its notice, its claims and the checks and
hand-over they allow now. Anyone: the printable poster's public notice, which its QR code opens
(no sign-in, no personal data). The poster itself is for staff, in scope."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.cases.models import Case
from wangge.core.crypto import mask_phone
from wangge.core.errors import ValidationError
from wangge.core.imports import REGISTRY
from wangge.core.scope import get_scope, subtree_q
from wangge.core.services import allowed
from wangge.lostfound import public
from wangge.lostfound import services as lostfound
from wangge.lostfound.filters import FoundItemFilter
from wangge.lostfound.forms import ClaimForm, FoundItemEditForm, FoundItemForm
from wangge.lostfound.models import Claim, FoundItem
from wangge.notices.models import Notice
from wangge.notices.services import Refused as NoticeRefused
from wangge.territory.choices import GRID_KINDS
from wangge.territory.models import Node
from wangge.territory.pickers import labelled_places, place_filter_widget

PAGE_SIZE = 50
EXPORT_KIND = "found-items"

ItemState = FoundItem.ItemState
ClaimState = Claim.ClaimState


def _public(item: FoundItem, request) -> dict:
    """What anyone may read about a found item: no finder, no claimant, no phone but the
    office's."""
    place, phone = public.claim_place(item)
    community = item.grid.community
    url = public.public_url(item, request)
    code = public.notice_code(item)
    return {
        "photos": [
            {
                "image": reverse("found-notice-photo", args=[code, photo.pk]),
                "thumbnail": reverse("found-notice-thumbnail", args=[code, photo.pk]),
                "width": photo.width,
                "height": photo.height,
            }
            for photo in public.item_photos(item)
        ],
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
    context = {
        "item": item,
        "notice": notice,
        "notice_text": public.notice_text(item, url=notice["url"]),
    }
    return render(request, "lostfound/poster.html", context)


def notice(request, code: str):
    """The public notice: what was found, where and when, its photos, and how to claim it."""
    item = public.item_for_notice_code(code)
    if item is None:
        raise Http404
    return render(request, "lostfound/notice.html", {"notice": _public(item, request)})


def notice_photo(request, code: str, photo_pk: int, thumbnail: bool = False):
    """A photo of the public notice (re-encoded without metadata when it was added); only
    the item's photos that are on its notice."""
    item = public.item_for_notice_code(code)
    if item is None:
        raise Http404
    photo = get_object_or_404(public.item_photos(item), pk=photo_pk)
    stored = photo.thumbnail if thumbnail else photo.image
    try:
        handle = stored.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = FileResponse(handle, content_type="image/jpeg" if thumbnail else photo.content_type)
    response["Cache-Control"] = "public, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


# --- Staff pages ---------------------------------------------------------------------------------


def _items(user):
    return FoundItem.objects.restrict(user, "view").select_related("grid", "case")


@login_required
def found_list(request):
    """The found items in the caller's scope, newest find first, with the list's filters."""
    scope = get_scope(request.user)
    if not scope.has_perm("lostfound.view_founditem"):
        raise Http404
    items = _items(request.user).order_by("-found_at", "-pk")
    filterset = FoundItemFilter(request.GET or None, items, request=request)
    filterset.form.fields["grid"].widget = place_filter_widget(request.user)
    if filterset.is_bound:  # a bad value is shown on its field; the others still apply
        items = filterset.qs
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filterset": filterset,
        "page": page,
        "query": query.urlencode(),
        "can_add": scope.has_perm("lostfound.add_founditem"),
        "export_kind": EXPORT_KIND if EXPORT_KIND in REGISTRY else "",
    }
    return render(request, "lostfound/list.html", context)


def _grids_to_record(user):
    """The grids where ``user`` may record a found item."""
    grids = Node.objects.inside(user).filter(kind__in=GRID_KINDS, is_active=True)
    scope = get_scope(user)
    if not scope.unrestricted:
        grids = grids.filter(subtree_q(scope.paths("lostfound.add_founditem")))
    return grids.order_by("path")


@login_required
def found_new(request):
    """Record a found item: what, where and when, its grid (chosen, or where the phone is),
    the finder, where it is kept. One item per form, however often it is sent."""
    if not get_scope(request.user).has_perm("lostfound.add_founditem"):
        raise Http404
    grids = _grids_to_record(request.user)
    listed, labels = labelled_places(request.user, grids)
    form = FoundItemForm(request.POST or None, request.FILES or None, grids=grids, labels=labels)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            point = data["lng"] is not None and data["lat"] is not None
            try:
                item = lostfound.record_found_item(
                    actor=request.user,
                    what=data["what"],
                    where=data["where"],
                    found_at=data["found_at"],
                    grid=data["grid"],
                    lng=data["lng"] if point else None,
                    lat=data["lat"] if point else None,
                    finder_name=data["finder_name"],
                    finder_phone=data["finder_phone"],
                    kept_at=data["kept_at"],
                    contact_phone=data["contact_phone"],
                    photos=data["photos"],
                    idempotency_key=f"console:{data['key']}",
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
                status = 400
            except Http404:  # located in a grid outside the caller's
                form.add_error("grid", _("That place is not in your grids."))
                status = 400
            else:
                messages.success(
                    request,
                    _("Recorded: %(what)s. Send the notice out now.") % {"what": item.what},
                )
                return redirect("found-detail", pk=item.pk)
        else:
            status = 400
    else:
        form.initial["key"] = uuid.uuid4().hex
        if len(listed) == 1:
            form.initial["grid"] = listed[0].pk
    return render(request, "lostfound/new.html", {"form": form}, status=status)


def _item_for(request, pk: int) -> FoundItem:
    return get_object_or_404(_items(request.user), pk=pk)


@login_required
def found_edit(request, pk: int):
    """Change an item: what it is, where it was found and is kept, the phone for claims; add
    photos or take them off the notice. Its published notice is written anew to match."""
    item = get_object_or_404(
        FoundItem.objects.restrict(request.user, "change").select_related("grid", "case"), pk=pk
    )
    shown = list(public.item_photos(item))
    initial = {
        "what": item.what,
        "where": item.where,
        "kept_at": item.kept_at,
        "contact_phone": item.contact_phone,
    }
    form = FoundItemEditForm(
        request.POST or None, request.FILES or None, initial=initial, shown=shown
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                lostfound.update_found_item(
                    actor=request.user,
                    item=item,
                    what=data["what"],
                    where=data["where"],
                    kept_at=data["kept_at"],
                    contact_phone=data["contact_phone"],
                    photos_to_add=data["photos"],
                    photos_to_hide=data.get("hide") or [],
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("found-detail", pk=item.pk)
    code = public.notice_code(item)
    context = {
        "form": form,
        "item": item,
        "shown": [
            (str(photo.pk), reverse("found-notice-thumbnail", args=[code, photo.pk]))
            for photo in shown
        ],
        "photos_dropped": request.method == "POST" and bool(request.FILES.getlist("photos")),
    }
    return render(request, "lostfound/edit.html", context, status=status)


def _claim_for(request, item: FoundItem, claim_pk: int) -> Claim:
    return get_object_or_404(Claim.objects.restrict(request.user, "view"), pk=claim_pk, item=item)


@login_required
def found_detail(request, pk: int):
    """A found item: its state and case, the notice to send out, its claims and the checks
    and hand-over the caller may make now."""
    return _detail(request, _item_for(request, pk))


def _detail(request, item: FoundItem, *, claim_form=None, status=200):
    user = request.user
    path = item.grid.path
    held = item.state == ItemState.HELD
    may_change = allowed(user, Claim, "change", path=path)
    claims = [
        {
            "claim": claim,
            "phone": mask_phone(claim.claimant_phone),
            "may_check": held and may_change and claim.state == ClaimState.PENDING,
            "may_hand_over": held and may_change and claim.state == ClaimState.VERIFIED,
        }
        for claim in Claim.objects.restrict(user, "view")
        .filter(item=item)
        .select_related("checked_by", "handed_over_by")
        .order_by("pk")
    ]
    may_claim = held and allowed(user, Claim, "add", path=path)
    case = (
        Case.objects.restrict(user, "view").filter(pk=item.case_id).first()
        if item.case_id
        else None
    )
    notice = _public(item, request)
    grid_notice = (
        Notice.objects.restrict(user, "view").filter(pk=item.notice_id).first()
        if item.notice_id
        else None
    )
    context = {
        "item": item,
        "may_change": held and allowed(user, FoundItem, "change", path=path),
        "grid_notice": grid_notice,
        "may_publish": grid_notice is None and held and allowed(user, Notice, "publish", path=path),
        "community": item.grid.community,
        "case": case,
        "minutes": _minutes(case),
        "finder_phone": mask_phone(item.finder_phone),
        "notice": notice,
        "notice_text": public.notice_text(item, url=notice["url"]),
        "claims": claims,
        "claim_form": (claim_form or ClaimForm()) if may_claim else None,
    }
    return render(request, "lostfound/detail.html", context, status=status)


@login_required
@require_POST
def found_publish(request, pk: int):
    """Publish the item's notice to its grid's page and WeCom group (and the grid's SMS
    followers) through the notices outbox; once per item."""
    item = _item_for(request, pk)
    if not allowed(request.user, Notice, "publish", path=item.grid.path):
        raise Http404
    try:
        notice = lostfound.notice_from_found_item(actor=request.user, item=item)
    except ValidationError as exc:
        _refused(request, exc)
        return redirect("found-detail", pk=item.pk)
    except NoticeRefused as exc:
        messages.error(request, str(exc))
        return redirect("found-detail", pk=item.pk)
    messages.success(request, _("The notice is out to the grid's page and group."))
    return redirect("notice-detail", pk=notice.pk)


def _minutes(case) -> int | None:
    """How long the case took, in whole minutes (at least 1), once closed."""
    if case is None or case.closed_at is None:
        return None
    return max(1, round((case.closed_at - case.created_at).total_seconds() / 60))


def _refused(request, exc: ValidationError) -> None:
    for problem in exc.messages:
        messages.error(request, problem)


@login_required
@require_POST
def found_claim(request, pk: int):
    """Someone says the item is theirs: recorded for checking."""
    item = _item_for(request, pk)
    form = ClaimForm(request.POST)
    if not form.is_valid():
        # Only text over its limit fails here (the service judges the rest): said on the
        # field, never dropped and the claim taken without it.
        return _detail(request, item, claim_form=form, status=400)
    data = form.cleaned_data
    try:
        lostfound.claim_item(
            actor=request.user,
            item=item,
            claimant_name=data.get("claimant_name", ""),
            claimant_phone=data.get("claimant_phone", ""),
            claimant_address=data.get("claimant_address", ""),
            proof=data.get("proof", ""),
        )
    except ValidationError as exc:
        _refused(request, exc)
        form.add_service_errors(exc)
        if "item" in exc.message_dict:  # no longer held: nothing to keep on the page
            return redirect("found-detail", pk=item.pk)
        return _detail(request, item, claim_form=form, status=400)
    messages.success(request, _("Claim recorded. Check it before handing the item over."))
    return redirect("found-detail", pk=item.pk)


@login_required
@require_POST
def found_check(request, pk: int, claim_pk: int):
    """Whether the claimant showed the item is theirs."""
    item = _item_for(request, pk)
    claim = _claim_for(request, item, claim_pk)
    choice = request.POST.get("verified", "")
    verified = {"true": True, "false": False}.get(choice)
    try:
        claim = lostfound.check_claim(
            actor=request.user, claim=claim, verified=verified, note=request.POST.get("note", "")
        )
    except ValidationError as exc:
        _refused(request, exc)
    else:
        if claim.state == ClaimState.VERIFIED:
            messages.success(request, _("Verified: the item can be handed over."))
        else:
            messages.success(request, _("Recorded as not theirs."))
    return redirect("found-detail", pk=item.pk)


@login_required
@require_POST
def found_hand_over(request, pk: int, claim_pk: int):
    """Hand the item to a verified claimant; its case closes."""
    item = _item_for(request, pk)
    claim = _claim_for(request, item, claim_pk)
    try:
        lostfound.hand_over(actor=request.user, claim=claim, note=request.POST.get("note", ""))
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Handed over to its owner."))
    return redirect("found-detail", pk=item.pk)
