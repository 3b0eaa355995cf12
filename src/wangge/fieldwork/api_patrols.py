"""Patrols (巡查) through the API: list and read them (the trace as GeoJSON, cut at its gaps),
start one or start a planned one, send the phone's trace in batches, record what was found
(a case of the closed loop), scan checkpoints, finish or cancel; each worker's time on patrol
by day or month; the checkpoints of the caller's grids.

Lists are limited to the caller's places (and the patrols the caller walks): anything else is
a 404. Creates from a phone carry an ``Idempotency-Key`` (a trace batch its ``batch`` key)."""

import datetime
from typing import Any

from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from ninja import Field, Header, Query, Router, Schema, Status
from ninja.pagination import paginate

from wangge.accounts.models import User
from wangge.cases.actions import current_category
from wangge.cases.models import Case
from wangge.core import inputs
from wangge.core.api import Page, Presented, apply_filters
from wangge.core.errors import ValidationError
from wangge.core.filters import NodeRefField, clean_ref, node_by_code_or_id, query_schema
from wangge.fieldwork import patrols
from wangge.fieldwork import services as fieldwork
from wangge.fieldwork.filters import CheckpointFilter, PatrolFilter
from wangge.fieldwork.models import (
    Checkpoint,
    Patrol,
    PatrolKind,
    PatrolState,
)
from wangge.fieldwork.services.patrols import checkpoint_for
from wangge.territory.models import Building, Node

router = Router(tags=["patrols"])

PatrolQuery = query_schema(PatrolFilter, "PatrolQuery")
CheckpointQuery = query_schema(CheckpointFilter, "CheckpointQuery")


class PatrolMemberOut(Schema):
    id: int
    name: str


class PatrolOut(Schema):
    id: int
    grid_id: int
    grid_code: str
    place: str = Field(description="the grid with its community, or the community")
    kind: str = Field(description="ordinary (一般巡查) or checkpoint (扫码巡查)")
    kind_label: str
    state: str = Field(description="planned, underway, finished or cancelled")
    state_label: str
    planned: bool
    planned_start: datetime.datetime | None
    planned_end: datetime.datetime | None
    leader: PatrolMemberOut
    members: list[PatrolMemberOut]
    note: str
    started_at: datetime.datetime | None
    ended_at: datetime.datetime | None
    distance_m: int = Field(description="metres walked within the trace's segments")
    duration_s: int = Field(description="seconds walked within the trace's segments")
    point_count: int
    finding_count: int


class FindingOut(Schema):
    id: int
    case_id: int
    number: str
    title: str
    state: str
    state_label: str
    channel: str
    lng: float | None
    lat: float | None
    solved_on_the_spot: bool
    found_by: str


class ScanOut(Schema):
    id: int
    checkpoint_id: int
    checkpoint: str
    code: str
    scanned_at: datetime.datetime
    lng: float | None
    lat: float | None


class PatrolDetail(PatrolOut):
    segments: int = Field(description="the trace's pieces: a gap (no fix, no network) cuts it")
    trace: dict[str, Any] = Field(
        description="GeoJSON MultiLineString, one line per segment, WGS-84 [lng, lat]"
    )
    findings: list[FindingOut]
    scans: list[ScanOut]


class PatrolIn(Schema):
    grid: str = Field(max_length=20, description="a grid's or community's code (or id)")
    kind: str = Field(PatrolKind.ORDINARY, description="ordinary or checkpoint")
    leader: str | None = Field(
        None, max_length=150, description="user name or id; empty: the caller"
    )
    members: list[str] = Field(
        [], description="user names (or ids) of the people walking with the leader"
    )
    start: bool = Field(True, description="start now (ad hoc); false: planned for a window")
    planned_start: datetime.datetime | None = None
    planned_end: datetime.datetime | None = None
    note: str = inputs.field(Patrol, "note")


class TraceIn(Schema):
    batch: str = Field(max_length=64, description="the batch's own key: a retry stores nothing")
    points: list[dict[str, Any]] = Field(
        description=f"up to {patrols.MAX_BATCH} points in time order: "
        "{t, lng, lat, accuracy?, gap?}"
    )


class TraceOut(Schema):
    added: int
    point_count: int
    distance_m: int
    duration_s: int


class FindingIn(Schema):
    category: str = Field(max_length=32, description="category code (or id)")
    description: str = inputs.field(Case, "description")
    title: str = inputs.field(Case, "title")
    lng: float | None = Field(None, description="where; empty: the patrol's last position")
    lat: float | None = None
    address: str = inputs.field(Case, "address")
    building: int | None = None
    attributes: dict[str, Any] = Field({}, description="the category's questions answered")
    solved_note: str = Field(
        "", description="solved on the spot (当场办结): what was done; the case closes at once"
    )
    at: datetime.datetime | None = Field(None, description="when it was found (offline: then)")


class ScanIn(Schema):
    code: str = Field(max_length=32, description="the checkpoint's code, from its QR label")
    lng: float | None = None
    lat: float | None = None
    at: datetime.datetime | None = None


class PatrolCancelIn(Schema):
    reason: str = Field("", description="why it is called off")


class CheckpointOut(Schema):
    id: int
    grid_id: int
    grid_code: str
    place: str
    name: str
    code: str
    building_id: int | None
    lng: float | None
    lat: float | None
    is_active: bool


class CheckpointIn(Schema):
    grid: str = Field(max_length=20, description="a grid's code (or id)")
    name: str = inputs.field(Checkpoint, "name")
    building: int | None = None
    lng: float | None = None
    lat: float | None = None


class TotalOut(Schema):
    user_id: int
    name: str
    period: str = Field(description="a day (2026-12-09) or a month (2026-12)")
    patrols: int
    duration_s: int
    distance_m: int
    target_s: int = Field(description="the time asked for in that period (per day patrolled)")
    met: bool


# --- reading -----------------------------------------------------------------------------------


def _patrols(request):
    return (
        Patrol.objects.restrict(request.user, "view")
        .select_related("grid__parent", "leader")
        .prefetch_related("members")
        .annotate(finding_total=Count("findings", distinct=True))
    )


def _person(user) -> dict:
    return {"id": user.pk, "name": user.name}


def patrol_data(patrol) -> dict:
    finding_total = getattr(patrol, "finding_total", None)
    return {
        "id": patrol.pk,
        "grid_id": patrol.grid_id,
        "grid_code": patrol.grid.code,
        "place": patrols.place_name(patrol.grid),
        "kind": patrol.kind,
        "kind_label": str(PatrolKind(patrol.kind).label),
        "state": patrol.state,
        "state_label": str(PatrolState(patrol.state).label),
        "planned": patrol.planned,
        "planned_start": patrol.planned_start,
        "planned_end": patrol.planned_end,
        "leader": _person(patrol.leader),
        "members": [_person(user) for user in patrol.members.all()],
        "note": patrol.note,
        "started_at": patrol.started_at,
        "ended_at": patrol.ended_at,
        "distance_m": patrol.distance_m,
        "duration_s": patrol.duration_s,
        "point_count": patrol.point_count,
        "finding_count": finding_total if finding_total is not None else patrol.findings.count(),
    }


def findings_of(patrol) -> list[dict]:
    rows = patrol.findings.select_related("case", "found_by").order_by("pk")
    found = []
    for finding in rows:
        case = finding.case
        found.append(
            {
                "id": finding.pk,
                "case_id": case.pk,
                "number": case.number,
                "title": case.title,
                "state": case.state,
                "state_label": case.get_state_display(),
                "channel": case.channel,
                "lng": case.lng,
                "lat": case.lat,
                "solved_on_the_spot": case.kind == "instant" and case.state == "closed",
                "found_by": finding.found_by.name if finding.found_by_id else "",
            }
        )
    return found


def scans_of(patrol) -> list[dict]:
    return [
        {
            "id": scan.pk,
            "checkpoint_id": scan.checkpoint_id,
            "checkpoint": scan.checkpoint.name,
            "code": scan.checkpoint.code,
            "scanned_at": scan.scanned_at,
            "lng": scan.lng if scan.lng is not None else scan.checkpoint.lng,
            "lat": scan.lat if scan.lat is not None else scan.checkpoint.lat,
        }
        for scan in patrol.scans.select_related("checkpoint").order_by("scanned_at")
    ]


def patrol_detail(patrol) -> dict:
    parts = patrols.segments(patrols.fixes_of(patrol))
    return {
        **patrol_data(patrol),
        "segments": len(parts),
        "trace": patrols.trace_geojson(parts),
        "findings": findings_of(patrol),
        "scans": scans_of(patrol),
    }


def _patrol(request, patrol_id: int) -> Patrol:
    return get_object_or_404(_patrols(request), pk=patrol_id)


def _place(request, value: str, name: str = "grid") -> Node:
    value = clean_ref(name, value, NodeRefField(required=True))
    node = node_by_code_or_id(Node.objects.restrict(request.user, "view"), value)
    if node is None:
        raise Http404(name)
    return node


def _people(node: Node, refs: list[str], name: str) -> list[User]:
    """People by user name or id, among those who may walk a patrol there."""
    wanted = [str(ref).strip() for ref in refs if str(ref).strip()]
    if not wanted:
        return []
    ids = [int(ref) for ref in wanted if ref.isdigit()]
    found = list(patrols.candidates(node).filter(Q(username__in=wanted) | Q(pk__in=ids)))
    known = {user.username for user in found} | {str(user.pk) for user in found}
    missing = [ref for ref in wanted if ref not in known]
    if missing:
        raise ValidationError(
            {name: gettext("Nobody here by the name %(names)s") % {"names": "、".join(missing)}}
        )
    return found


@router.get("/patrols", response=list[PatrolOut])
@paginate(Page)
def list_patrols(request, filters: Query[PatrolQuery]):
    """Patrols in the caller's places (and those the caller walks), newest first: filter by
    ``grid`` (its whole subtree), ``state``, ``kind``, ``member`` (a name) and the days
    ``since``/``until``."""
    rows = apply_filters(PatrolFilter, filters, _patrols(request), request)
    return Presented(rows, patrol_data)


@router.get("/patrols/totals", response=list[TotalOut])
def patrol_totals(request, filters: Query[PatrolQuery], by: str = "day"):
    """Each worker's time and distance on patrol, by day (``by=day``) or month
    (``by=month``), over the patrols the filters pick; ``met``: at least the daily target
    (local practice, e.g. two hours a day: ``WANGGE_PATROL_DAILY_MINUTES``) each day."""
    if by not in ("day", "month"):
        raise ValidationError({"by": gettext("Give day or month")})
    rows = apply_filters(
        PatrolFilter, filters, Patrol.objects.restrict(request.user, "view"), request
    )
    return [
        {
            **total.__dict__,
            "duration_s": round(total.duration_s),
            "distance_m": round(total.distance_m),
        }
        for total in patrols.worker_totals(rows, by=by)
    ]


@router.get("/patrols/{patrol_id}", response=PatrolDetail)
def get_patrol(request, patrol_id: int):
    """One patrol with its members, time and distance, its trace (cut at its gaps), the
    cases found on it and the checkpoints scanned."""
    return patrol_detail(_patrol(request, patrol_id))


# --- writing -----------------------------------------------------------------------------------


@router.post("/patrols", response={201: PatrolDetail})
def create_patrol(
    request, payload: PatrolIn, idempotency_key: str | None = Header(None, alias="Idempotency-Key")
):
    """Start a patrol now (``start=true``, the default: ad hoc, led by the caller) or plan
    one for a window (``start=false`` with ``planned_start`` and ``planned_end``), on a grid or
    a community, with its members by user name. A retry with the same ``Idempotency-Key``
    returns the first patrol."""
    node = _place(request, payload.grid)
    leader = None
    if payload.leader:
        leader = _people(node, [payload.leader], "leader")[0]
    members = _people(node, payload.members, "members")
    patrol = fieldwork.create_patrol(
        actor=request.user,
        grid=node,
        kind=payload.kind,
        leader=leader,
        members=members,
        start=payload.start,
        planned_start=payload.planned_start,
        planned_end=payload.planned_end,
        note=payload.note,
        idempotency_key=idempotency_key,
    )
    return Status(201, patrol_detail(_patrol(request, patrol.pk)))


@router.post("/patrols/{patrol_id}/start", response=PatrolDetail)
def start_patrol(request, patrol_id: int):
    """A planned patrol begins."""
    patrol = fieldwork.start_patrol(actor=request.user, patrol=_patrol(request, patrol_id))
    return patrol_detail(_patrol(request, patrol.pk))


@router.post("/patrols/{patrol_id}/trace", response={201: TraceOut, 200: TraceOut})
def add_trace(request, patrol_id: int, payload: TraceIn):
    """A batch of the phone's positions (at most 500, in time order). The batch's key makes
    a retry store nothing (answered 200 with ``added: 0``); a gap is marked on the point after
    it (``gap: true``) or follows from a pause longer than the configured gap."""
    patrol = _patrol(request, patrol_id)
    patrol, added = fieldwork.record_trace(
        actor=request.user, patrol=patrol, batch=payload.batch, points=payload.points
    )
    body = {
        "added": added,
        "point_count": patrol.point_count,
        "distance_m": patrol.distance_m,
        "duration_s": patrol.duration_s,
    }
    return Status(201 if added else 200, body)


@router.post("/patrols/{patrol_id}/findings", response={201: FindingOut})
def add_finding(
    request,
    patrol_id: int,
    payload: FindingIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
):
    """A problem found on the patrol: a case (channel: patrol) where it was found, linked to
    the patrol; with ``solved_note`` solved on the spot and closed at once. A retry with the
    same ``Idempotency-Key`` returns the first finding."""
    patrol = _patrol(request, patrol_id)
    category = current_category(payload.category)
    building = None
    if payload.building is not None:
        building = get_object_or_404(
            Building.objects.restrict(request.user, "view"), pk=payload.building
        )
    finding = fieldwork.record_finding(
        actor=request.user,
        patrol=patrol,
        category=category,
        description=payload.description,
        title=payload.title,
        lng=payload.lng,
        lat=payload.lat,
        address=payload.address,
        building=building,
        attributes=payload.attributes,
        solved_note=payload.solved_note,
        at=payload.at,
        idempotency_key=idempotency_key,
    )
    found = next(row for row in findings_of(patrol) if row["id"] == finding.pk)
    return Status(201, found)


@router.post("/patrols/{patrol_id}/scans", response={201: ScanOut})
def scan_checkpoint(request, patrol_id: int, payload: ScanIn):
    """A checkpoint passed, by the code on its QR label; scanned again, the first scan."""
    patrol = _patrol(request, patrol_id)
    checkpoint = checkpoint_for(patrol, payload.code)
    if checkpoint is None:
        raise ValidationError({"code": gettext("No checkpoint with this code on this patrol")})
    scan = fieldwork.scan_checkpoint(
        actor=request.user,
        patrol=patrol,
        checkpoint=checkpoint,
        lng=payload.lng,
        lat=payload.lat,
        at=payload.at,
    )
    return Status(201, next(row for row in scans_of(patrol) if row["id"] == scan.pk))


@router.post("/patrols/{patrol_id}/finish", response=PatrolDetail)
def finish_patrol(request, patrol_id: int):
    """The patrol is over: its time and distance measured from the whole trace."""
    patrol = fieldwork.finish_patrol(actor=request.user, patrol=_patrol(request, patrol_id))
    return patrol_detail(_patrol(request, patrol.pk))


@router.post("/patrols/{patrol_id}/cancel", response=PatrolDetail)
def cancel_patrol(request, patrol_id: int, payload: PatrolCancelIn):
    """A planned patrol (or one underway) called off, with why."""
    patrol = fieldwork.cancel_patrol(
        actor=request.user, patrol=_patrol(request, patrol_id), reason=payload.reason
    )
    return patrol_detail(_patrol(request, patrol.pk))


# --- checkpoints -------------------------------------------------------------------------------


def _checkpoints(request):
    return Checkpoint.objects.restrict(request.user, "view").select_related("grid__parent")


def checkpoint_data(checkpoint) -> dict:
    return {
        "id": checkpoint.pk,
        "grid_id": checkpoint.grid_id,
        "grid_code": checkpoint.grid.code,
        "place": patrols.place_name(checkpoint.grid),
        "name": checkpoint.name,
        "code": checkpoint.code,
        "building_id": checkpoint.building_id,
        "lng": checkpoint.lng,
        "lat": checkpoint.lat,
        "is_active": checkpoint.is_active,
    }


@router.get("/checkpoints", response=list[CheckpointOut])
@paginate(Page)
def list_checkpoints(request, filters: Query[CheckpointQuery]):
    """The checkpoints (扫码巡查的点位) of the caller's grids: ``grid``, ``active``, ``q``."""
    rows = apply_filters(CheckpointFilter, filters, _checkpoints(request), request)
    return Presented(rows, checkpoint_data)


@router.get("/checkpoints/{checkpoint_id}", response=CheckpointOut)
def get_checkpoint(request, checkpoint_id: int):
    return checkpoint_data(get_object_or_404(_checkpoints(request), pk=checkpoint_id))


@router.post("/checkpoints", response={201: CheckpointOut})
def create_checkpoint(request, payload: CheckpointIn):
    """A checkpoint of a grid, with its own code for its QR label (offices, grid leaders)."""
    node = _place(request, payload.grid)
    building = None
    if payload.building is not None:
        building = get_object_or_404(
            Building.objects.restrict(request.user, "view"), pk=payload.building
        )
    checkpoint = fieldwork.create_checkpoint(
        actor=request.user,
        grid=node,
        name=payload.name,
        building=building,
        lng=payload.lng,
        lat=payload.lat,
    )
    return Status(201, checkpoint_data(get_object_or_404(_checkpoints(request), pk=checkpoint.pk)))
