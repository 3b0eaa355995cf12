"""Lost and found through the API: found items, claims, checks and hand-overs.

Everything is limited to the caller's scope (a 404 outside it). Phone numbers leave masked.
"""

import datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Header, Query, Router, Schema, Status
from ninja.pagination import paginate

from wangge.core import inputs
from wangge.core.api import Page, apply_filters
from wangge.core.crypto import mask_phone
from wangge.core.filters import query_schema
from wangge.lostfound import public
from wangge.lostfound import services as lostfound
from wangge.lostfound.filters import FoundItemFilter
from wangge.lostfound.models import Claim, FoundItem
from wangge.territory.models import Node

router = Router(tags=["lost and found"])


def _operation_id(name: str) -> str:
    """The operation's id as the schema published it while lost and found was part of cases:
    clients generated from the schema call the operation by it."""
    return f"wangge_cases_lostfound_api_{name}"


FoundItemQuery = query_schema(FoundItemFilter, "FoundItemQuery")


class FoundItemIn(Schema):
    what: str = inputs.field(FoundItem, "what", ..., description="what was found, e.g. 钥匙两串")
    where: str = inputs.field(FoundItem, "where", ..., description="where it was found")
    found_at: datetime.datetime
    grid_id: int | None = Field(None, description="the grid; or give lng/lat")
    lng: float | None = None
    lat: float | None = None
    finder_name: str = inputs.field(FoundItem, "finder_name")
    finder_phone: str = Field("", max_length=32, description="kept encrypted, never shown in full")
    kept_at: str = inputs.field(FoundItem, "kept_at", description="where the owner can claim it")
    contact_phone: str = inputs.field(
        FoundItem, "contact_phone", description="the office's phone for the notice"
    )


class ClaimIn(Schema):
    claimant_name: str = inputs.field(Claim, "claimant_name", ...)
    claimant_phone: str = Field(max_length=32)
    claimant_address: str = inputs.field(Claim, "claimant_address")
    proof: str = inputs.field(Claim, "proof", description="how they showed it is theirs")


class CheckIn(Schema):
    verified: bool
    note: str = inputs.field(
        Claim, "note", description="how it was checked; required when not verified"
    )


class HandOverIn(Schema):
    note: str = inputs.field(Claim, "note")


class ClaimOut(Schema):
    id: int
    item_id: int
    claimant_name: str
    claimant_phone: str = Field(description="masked")
    claimant_address: str
    proof: str
    state: str
    state_label: str
    note: str
    checked_by_id: int | None
    handed_over_at: datetime.datetime | None
    handed_over_by_id: int | None
    created_at: datetime.datetime

    @staticmethod
    def resolve_claimant_phone(claim):
        return mask_phone(claim.claimant_phone)

    @staticmethod
    def resolve_state_label(claim):
        return str(claim.get_state_display())


class FoundItemOut(Schema):
    id: int
    what: str
    where: str
    found_at: datetime.datetime
    kept_at: str
    state: str
    state_label: str
    grid_id: int
    grid_name: str
    case_id: int | None
    case_number: str
    case_state: str
    finder_name: str
    finder_phone: str = Field(description="masked")
    recorded_by_id: int | None
    created_at: datetime.datetime
    notice_id: int | None = Field(description="its lost-and-found notice, once published")
    notice_url: str = Field(description="the public notice page (what the QR code opens)")

    @staticmethod
    def resolve_state_label(item):
        return str(item.get_state_display())

    @staticmethod
    def resolve_grid_name(item):
        return item.grid.name

    @staticmethod
    def resolve_case_number(item):
        return item.case.number if item.case_id else ""

    @staticmethod
    def resolve_case_state(item):
        return item.case.state if item.case_id else ""

    @staticmethod
    def resolve_finder_phone(item):
        return mask_phone(item.finder_phone)

    @staticmethod
    def resolve_notice_url(item, context):
        return _notice_url(context["request"], item)


class FoundItemDetail(FoundItemOut):
    notice_text: str = Field(description="to paste into WeChat groups (no personal data)")
    claims: list[ClaimOut]

    @staticmethod
    def resolve_notice_text(item, context):
        return public.notice_text(item, url=_notice_url(context["request"], item))

    @staticmethod
    def resolve_claims(item):
        return list(item.claims.all())


def _notice_url(request, item) -> str:
    return public.public_url(item, request)


def _items(request):
    return FoundItem.objects.restrict(request.user, "view").select_related("grid", "case")


def _claim(request, item_id: int, claim_id: int) -> Claim:
    return get_object_or_404(
        Claim.objects.restrict(request.user, "view").select_related("item"),
        pk=claim_id,
        item_id=item_id,
    )


@router.get(
    "/found-items", response=list[FoundItemOut], operation_id=_operation_id("list_found_items")
)
@paginate(Page)
def list_found_items(request, filters: Query[FoundItemQuery]):
    """Found items in the caller's scope, newest find first; filter by ``state``, ``grid``
    (a grid or division: its whole subtree) and ``q`` (what)."""
    return apply_filters(FoundItemFilter, filters, _items(request), request)


@router.post(
    "/found-items", response={201: FoundItemDetail}, operation_id=_operation_id("create_found_item")
)
def create_found_item(
    request,
    payload: FoundItemIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
):
    """Record a found item: its case (拾到物品, solved on the spot) opens with it. A retry
    with the same ``Idempotency-Key`` gets the first item. Add a photo through
    ``POST /cases/{case_id}/photos``."""
    grid = None
    if payload.grid_id is not None:
        grid = get_object_or_404(Node.objects.restrict(request.user, "view"), pk=payload.grid_id)
    item = lostfound.record_found_item(
        actor=request.user,
        what=payload.what,
        where=payload.where,
        found_at=payload.found_at,
        grid=grid,
        lng=payload.lng,
        lat=payload.lat,
        finder_name=payload.finder_name,
        finder_phone=payload.finder_phone,
        kept_at=payload.kept_at,
        contact_phone=payload.contact_phone,
        idempotency_key=idempotency_key,
    )
    return Status(201, item)


@router.get(
    "/found-items/{item_id}", response=FoundItemDetail, operation_id=_operation_id("get_found_item")
)
def get_found_item(request, item_id: int):
    """A found item with its claims and the notice text to paste into groups."""
    return get_object_or_404(_items(request), pk=item_id)


@router.post(
    "/found-items/{item_id}/claims",
    response={201: ClaimOut},
    operation_id=_operation_id("create_claim"),
)
def create_claim(request, item_id: int, payload: ClaimIn):
    """Someone says the item is theirs; refused (400, naming ``item``) once it is handed
    over."""
    item = get_object_or_404(_items(request), pk=item_id)
    claim = lostfound.claim_item(
        actor=request.user,
        item=item,
        claimant_name=payload.claimant_name,
        claimant_phone=payload.claimant_phone,
        claimant_address=payload.claimant_address,
        proof=payload.proof,
    )
    return Status(201, claim)


@router.post(
    "/found-items/{item_id}/claims/{claim_id}/check",
    response=ClaimOut,
    operation_id=_operation_id("check_claim"),
)
def check_claim(request, item_id: int, claim_id: int, payload: CheckIn):
    """Record whether the claimant showed the item is theirs."""
    claim = _claim(request, item_id, claim_id)
    return lostfound.check_claim(
        actor=request.user, claim=claim, verified=payload.verified, note=payload.note
    )


@router.post(
    "/found-items/{item_id}/claims/{claim_id}/hand-over",
    response=ClaimOut,
    operation_id=_operation_id("hand_over"),
)
def hand_over(request, item_id: int, claim_id: int, payload: HandOverIn):
    """Hand the item to a verified claimant; the item's case is closed."""
    claim = _claim(request, item_id, claim_id)
    return lostfound.hand_over(actor=request.user, claim=claim, note=payload.note)
