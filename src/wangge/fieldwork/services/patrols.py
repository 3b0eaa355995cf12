"""Patrols (巡查): planned or started on the spot, walked alone or in a group, the trace sent
from the phone in batches (a retried batch stores nothing twice), checkpoints scanned, what is
found made a case of the closed loop through ``cases.services.report`` (channel: patrol),
finished or cancelled. Each write in one transaction with its audit event.

Who may: whoever may add patrols at a place (grid workers in their grids, grid leaders,
offices) starts one there; the patrol's leader and members walk it (a party member only as a
member), and so may whoever may change patrols at its place."""

from __future__ import annotations

import datetime
import math
import secrets
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext

from wangge.cases import services as cases
from wangge.cases.choices import Channel
from wangge.core import audit, inputs
from wangge.core.errors import ValidationError, not_found
from wangge.core.services import allowed, check_scope, idempotent, replay
from wangge.fieldwork import patrols
from wangge.fieldwork.models import (
    Checkpoint,
    CheckpointScan,
    Patrol,
    PatrolFinding,
    PatrolKind,
    PatrolState,
    TracePoint,
)

if TYPE_CHECKING:
    from wangge.accounts.models import User
    from wangge.cases.models import Category
    from wangge.territory.models import Building, Node

# A phone's clock and the server's differ a little; a fix from further ahead is refused.
CLOCK_SLACK = datetime.timedelta(minutes=5)
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def _snapshot(patrol: Patrol) -> dict[str, Any]:
    return audit.snapshot(
        patrol, extra={"members": sorted(patrol.members.values_list("pk", flat=True))}
    )


def _walker(actor: User | None, patrol: Patrol) -> None:
    """The patrol's leader or a member, or someone who may change patrols at its place;
    anyone else finds no such patrol."""
    if actor is None or patrols.is_member(patrol, actor):
        return
    if allowed(actor, Patrol, "change", path=patrol.grid.path):
        return
    raise not_found()


def _when(value: datetime.datetime | None) -> datetime.datetime:
    return value or timezone.now()


def _check_members(node: Node, leader: User, members: Iterable[User]) -> list[User]:
    allowed_ids = set(patrols.candidates(node).values_list("pk", flat=True))
    errors: dict[str, str] = {}
    if leader.pk not in allowed_ids:
        errors["leader"] = gettext("%(name)s works on no grid here") % {"name": leader.name}
    chosen = {user.pk: user for user in members if user.pk != leader.pk}
    outside = [user.name for user in chosen.values() if user.pk not in allowed_ids]
    if outside:
        errors["members"] = gettext("%(names)s work on no grid here") % {
            "names": "、".join(outside)
        }
    if errors:
        raise ValidationError(errors)
    return list(chosen.values())


@transaction.atomic
def create_patrol(
    *,
    actor: User | None,
    grid: Node,
    kind: str = PatrolKind.ORDINARY,
    leader: User | None = None,
    members: Sequence[User] = (),
    planned_start: datetime.datetime | None = None,
    planned_end: datetime.datetime | None = None,
    start: bool = True,
    note: str = "",
    at: datetime.datetime | None = None,
    idempotency_key: str | None = None,
) -> Patrol:
    """A patrol on a grid (or a whole community): started now (ad hoc, led by the actor
    unless another leader is named), or planned for a window (``start=False``), to be started
    later. Members are people with a membership in its community (grid workers, party
    members …). A retry with the same key returns the first patrol."""
    earlier = replay(
        key=idempotency_key, actor=actor, operation="fieldwork.patrol.create", model=Patrol
    )
    if earlier is not None:
        return earlier
    errors: dict[str, Any] = {}
    inputs.check_choice(errors, "kind", kind, PatrolKind)
    note = (note or "").strip()
    inputs.check_lengths(errors, Patrol, {"note": note})
    inputs.no_nul(errors, {"note": note})
    if grid.kind not in patrols.PATROL_GROUND:
        errors["grid"] = gettext("A patrol covers a grid or a community")
    if leader is None:
        leader = actor
    if leader is None:
        errors["leader"] = gettext("Name who leads the patrol")
    if not start or planned_start or planned_end:
        if planned_start is None:
            errors["planned_start"] = gettext("Give when the patrol is to start")
        if planned_end is None:
            errors["planned_end"] = gettext("Give when the patrol is to end")
        elif planned_start is not None and planned_end <= planned_start:
            errors["planned_end"] = gettext("The end must come after the start")
    if errors:
        raise ValidationError(errors)
    assert leader is not None
    check_scope(actor, Patrol(), "add", path=grid.path)
    chosen = _check_members(grid, leader, members)
    now = _when(at)

    def make() -> Patrol:
        patrol = Patrol.objects.create(
            grid=grid,
            kind=kind,
            planned=planned_start is not None,
            planned_start=planned_start,
            planned_end=planned_end,
            leader=leader,
            note=note,
            state=PatrolState.UNDERWAY if start else PatrolState.PLANNED,
            started_at=now if start else None,
            created_by=actor,
        )
        patrol.members.set([leader, *chosen])
        audit.record(
            actor=actor,
            action="fieldwork.patrol.created",
            target=patrol,
            node=grid,
            after=_snapshot(patrol),
        )
        return patrol

    patrol, _created = idempotent(
        key=idempotency_key,
        actor=actor,
        operation="fieldwork.patrol.create",
        model=Patrol,
        create=make,
        replayed=True,
    )
    return patrol


def _locked(patrol: Patrol) -> Patrol:
    locked: Patrol = Patrol.objects.select_for_update().select_related("grid").get(pk=patrol.pk)
    return locked


@transaction.atomic
def start_patrol(
    *, actor: User | None, patrol: Patrol, at: datetime.datetime | None = None
) -> Patrol:
    """A planned patrol begins (by its leader, a member, or whoever keeps patrols there)."""
    patrol = _locked(patrol)
    _walker(actor, patrol)
    if patrol.state == PatrolState.UNDERWAY:
        return patrol  # a second tap on "start"
    if patrol.state != PatrolState.PLANNED:
        raise ValidationError({"state": gettext("Only a planned patrol can be started")})
    before = _snapshot(patrol)
    patrol.state = PatrolState.UNDERWAY
    patrol.started_at = _when(at)
    patrol.save()
    audit.record(
        actor=actor,
        action="fieldwork.patrol.started",
        target=patrol,
        node=patrol.grid,
        before=before,
        after=_snapshot(patrol),
    )
    return patrol


def _number(value: object) -> float | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _moment(value: object) -> datetime.datetime | None:
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    elif isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        # milliseconds since 1970, as a phone's position carries its time
        try:
            moment = datetime.datetime.fromtimestamp(value / 1000, tz=datetime.UTC)
        except (OverflowError, OSError, ValueError):
            return None
    else:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def check_points(patrol: Patrol, points: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """A batch of fixes read and checked whole: each named by its place in the batch
    (``points.3.lng``); nothing is stored unless all are right."""
    if not isinstance(points, list | tuple) or not points:
        raise ValidationError({"points": gettext("Send at least one point")})
    if len(points) > patrols.MAX_BATCH:
        raise ValidationError(
            {
                "points": gettext("At most %(n)s points in a batch (it has %(count)s)")
                % {"n": patrols.MAX_BATCH, "count": len(points)}
            }
        )
    errors: dict[str, str] = {}
    clean: list[dict[str, Any]] = []
    earliest = (patrol.started_at or timezone.now()) - CLOCK_SLACK
    latest = (patrol.ended_at or timezone.now()) + CLOCK_SLACK
    previous: datetime.datetime | None = None
    for index, point in enumerate(points):
        name = f"points.{index}"
        if not isinstance(point, dict):
            errors[name] = gettext("A point is an object with t, lng and lat")
            continue
        at = _moment(point.get("t"))
        lng, lat = _number(point.get("lng")), _number(point.get("lat"))
        accuracy = _number(point.get("accuracy"))
        if at is None:
            errors[f"{name}.t"] = gettext("Give the time of the point (ISO 8601)")
        elif not earliest <= at <= latest:
            errors[f"{name}.t"] = gettext("The point's time is outside the patrol")
        elif previous is not None and at <= previous:
            errors[f"{name}.t"] = gettext("Points must come in time order")
        if lng is None or not -180 <= lng <= 180:
            errors[f"{name}.lng"] = gettext("The coordinates are out of range")
        if lat is None or not -90 <= lat <= 90:
            errors[f"{name}.lat"] = gettext("The coordinates are out of range")
        if point.get("accuracy") not in (None, "") and (accuracy is None or accuracy < 0):
            errors[f"{name}.accuracy"] = gettext("Give the accuracy in metres")
        if at is not None:
            previous = at
        clean.append(
            {
                "recorded_at": at,
                "lng": lng,
                "lat": lat,
                "accuracy": accuracy,
                "gap_before": bool(point.get("gap")),
            }
        )
    if errors:
        raise ValidationError(errors)
    return clean


def remeasure(patrol: Patrol) -> None:
    """The patrol's distance, time and points from its trace (derived: no audit event of
    its own, the change that moves them has one)."""
    parts = patrols.segments(patrols.fixes_of(patrol))
    found = patrols.measure(parts)
    patrol.distance_m = round(found.distance_m)
    patrol.duration_s = round(found.duration_s)
    patrol.point_count = found.points
    Patrol.objects.filter(pk=patrol.pk).update(
        distance_m=patrol.distance_m, duration_s=patrol.duration_s, point_count=patrol.point_count
    )


def extend_measures(patrol: Patrol, last: patrols.Fix | None, clean: list[dict[str, Any]]) -> None:
    """The measures of ``remeasure`` carried on by fixes all later than ``last`` (the trace's
    last fix so far): within a segment distance and time add up at any fix."""
    fixes = [patrols.Fix(v["recorded_at"], v["lng"], v["lat"], v["gap_before"]) for v in clean]
    found = patrols.measure(patrols.segments([last, *fixes] if last else fixes))
    patrol.distance_m = round(patrol.distance_m + found.distance_m)
    patrol.duration_s = round(patrol.duration_s + found.duration_s)
    patrol.point_count = patrol.point_count + len(fixes)
    Patrol.objects.filter(pk=patrol.pk).update(
        distance_m=patrol.distance_m, duration_s=patrol.duration_s, point_count=patrol.point_count
    )


@transaction.atomic
def record_trace(
    *, actor: User | None, patrol: Patrol, batch: str, points: Sequence[dict[str, Any]]
) -> tuple[Patrol, int]:
    """A batch of the phone's fixes added to the trace; returns the patrol and how many were
    new. The batch's key makes a retry store nothing (and a fix at a moment already stored
    is the same fix)."""
    batch = (batch or "").strip()
    errors: dict[str, str] = {}
    if not batch:
        errors["batch"] = gettext("Give the batch's key")
    inputs.check_length(errors, "batch", batch, inputs.limit_of(TracePoint, "batch"))
    if errors:
        raise ValidationError(errors)
    earlier = replay(key=batch, actor=actor, operation="fieldwork.patrol.trace", model=Patrol)
    if earlier is not None:
        return earlier, 0
    patrol = _locked(patrol)
    _walker(actor, patrol)
    if patrol.state not in (PatrolState.UNDERWAY, PatrolState.FINISHED):
        raise ValidationError({"state": gettext("This patrol is not underway")})
    clean = check_points(patrol, points)
    added = 0

    def store() -> Patrol:
        nonlocal added
        last = (
            patrol.points.order_by("-recorded_at")
            .values_list("recorded_at", "lng", "lat", "gap_before")
            .first()
        )
        if last is None or clean[0]["recorded_at"] > last[0]:
            # The usual batch, after all the trace so far: it adds to the measures from the
            # last fix on, without reading the whole trace again.
            TracePoint.objects.bulk_create(
                [TracePoint(patrol=patrol, batch=batch, **values) for values in clean]
            )
            added = len(clean)
            extend_measures(patrol, patrols.Fix(*last) if last else None, clean)
        else:
            # A batch from earlier (an outbox sent late): some fixes may be there already.
            before = patrol.points.count()
            TracePoint.objects.bulk_create(
                [TracePoint(patrol=patrol, batch=batch, **values) for values in clean],
                ignore_conflicts=True,
            )
            added = patrol.points.count() - before
            remeasure(patrol)
        audit.record(
            actor=actor,
            action="fieldwork.patrol.traced",
            target=patrol,
            node=patrol.grid,
            after={
                "batch": batch,
                "point_count": patrol.point_count,
                "added": added,
                "distance_m": patrol.distance_m,
                "duration_s": patrol.duration_s,
            },
        )
        return patrol

    patrol, _created = idempotent(
        key=batch,
        actor=actor,
        operation="fieldwork.patrol.trace",
        model=Patrol,
        create=store,
        replayed=True,
    )
    return patrol, added


def last_position(patrol: Patrol) -> tuple[float, float] | None:
    point = patrol.points.order_by("-recorded_at").values_list("lng", "lat").first()
    return (point[0], point[1]) if point else None


@transaction.atomic
def record_finding(
    *,
    actor: User | None,
    patrol: Patrol,
    category: Category,
    description: str,
    title: str = "",
    lng: float | None = None,
    lat: float | None = None,
    address: str = "",
    building: Building | None = None,
    attributes: dict[str, Any] | None = None,
    solved_note: str = "",
    at: datetime.datetime | None = None,
    idempotency_key: str | None = None,
) -> PatrolFinding:
    """A problem found on the patrol, reported as a case (channel: patrol) where it was
    found — the position given, else the patrol's last fix, else its grid — and linked to
    the patrol. With ``solved_note`` it was solved on the spot: the case is closed at once.
    A retry with the same key returns the first finding."""
    earlier = replay(
        key=idempotency_key,
        actor=actor,
        operation="fieldwork.patrol.finding",
        model=PatrolFinding,
    )
    if earlier is not None:
        return earlier
    patrol = _locked(patrol)
    _walker(actor, patrol)
    if patrol.state != PatrolState.UNDERWAY:
        raise ValidationError({"state": gettext("Findings are recorded on a patrol underway")})
    if (lng is None) != (lat is None):
        raise ValidationError({"lat" if lat is None else "lng": gettext("Give both coordinates")})
    if lng is None and building is None:
        found = last_position(patrol)
        if found is not None:
            lng, lat = found
    grid = patrol.grid if lng is None and building is None else None

    def make() -> PatrolFinding:
        try:
            case = cases.report(
                actor=actor,
                channel=Channel.PATROL,
                category=category,
                description=description,
                title=title,
                grid=grid,
                lng=lng,
                lat=lat,
                address=address,
                building=building,
                attributes=attributes,
                solved_note=solved_note,
                received_at=at,
            )
        except Http404:
            # A place outside the grids the worker may report in (a group patrol crossing
            # into the next grid): said as a problem of the place, not as "no such patrol".
            raise ValidationError(
                {"lng": gettext("This place is outside the grids you may report in")}
            ) from None
        finding = PatrolFinding.objects.create(patrol=patrol, case=case, found_by=actor)
        audit.record(
            actor=actor,
            action="fieldwork.patrolfinding.created",
            target=finding,
            node=patrol.grid,
            after={"patrol": patrol.pk, "case": case.pk, "number": case.number},
        )
        return finding

    finding, _created = idempotent(
        key=idempotency_key,
        actor=actor,
        operation="fieldwork.patrol.finding",
        model=PatrolFinding,
        create=make,
        replayed=True,
    )
    return finding


def checkpoint_for(patrol: Patrol, code: str) -> Checkpoint | None:
    """The active checkpoint with ``code`` (any case, spaces ignored) on the patrol's ground
    (whoever walks the patrol may scan there, wherever their own grids are)."""
    code = "".join((code or "").split()).upper()
    if not code:
        return None
    return (
        Checkpoint.objects.filter(
            code=code, is_active=True, grid__path__startswith=patrol.grid.path
        )
        .select_related("grid")
        .first()
    )


@transaction.atomic
def scan_checkpoint(
    *,
    actor: User | None,
    patrol: Patrol,
    checkpoint: Checkpoint,
    lng: float | None = None,
    lat: float | None = None,
    at: datetime.datetime | None = None,
) -> CheckpointScan:
    """A checkpoint passed on the patrol; scanned again, it is the first scan."""
    patrol = _locked(patrol)
    _walker(actor, patrol)
    if patrol.state != PatrolState.UNDERWAY:
        raise ValidationError({"state": gettext("Checkpoints are scanned on a patrol underway")})
    if not checkpoint.is_active or not checkpoint.grid.path.startswith(patrol.grid.path):
        raise ValidationError({"code": gettext("This checkpoint is not on this patrol's ground")})
    errors = {}
    if lng is not None and not -180 <= lng <= 180:
        errors["lng"] = gettext("The coordinates are out of range")
    if lat is not None and not -90 <= lat <= 90:
        errors["lat"] = gettext("The coordinates are out of range")
    if errors:
        raise ValidationError(errors)
    existing = CheckpointScan.objects.filter(patrol=patrol, checkpoint=checkpoint).first()
    if existing is not None:
        return existing
    scan = CheckpointScan.objects.create(
        patrol=patrol,
        checkpoint=checkpoint,
        scanned_at=_when(at),
        scanned_by=actor,
        lng=lng,
        lat=lat,
    )
    audit.record(
        actor=actor,
        action="fieldwork.checkpointscan.created",
        target=scan,
        node=patrol.grid,
        after=audit.snapshot(scan),
    )
    return scan


@transaction.atomic
def finish_patrol(
    *, actor: User | None, patrol: Patrol, at: datetime.datetime | None = None
) -> Patrol:
    """The patrol is over: its time and distance measured from the whole trace."""
    patrol = _locked(patrol)
    _walker(actor, patrol)
    if patrol.state == PatrolState.FINISHED:
        return patrol  # a second tap on "finish"
    if patrol.state != PatrolState.UNDERWAY:
        raise ValidationError({"state": gettext("Only a patrol underway can be finished")})
    before = _snapshot(patrol)
    ended = _when(at)
    if patrol.started_at and ended < patrol.started_at:
        raise ValidationError({"at": gettext("The end must come after the start")})
    patrol.state = PatrolState.FINISHED
    patrol.ended_at = ended
    patrol.save()
    remeasure(patrol)
    audit.record(
        actor=actor,
        action="fieldwork.patrol.finished",
        target=patrol,
        node=patrol.grid,
        before=before,
        after=_snapshot(patrol),
    )
    return patrol


@transaction.atomic
def cancel_patrol(*, actor: User | None, patrol: Patrol, reason: str = "") -> Patrol:
    """A planned patrol (or one underway) called off, with why."""
    patrol = _locked(patrol)
    _walker(actor, patrol)
    errors: dict[str, str] = {}
    reason = (reason or "").strip()
    inputs.check_length(errors, "reason", reason, inputs.NOTE)
    if patrol.state not in (PatrolState.PLANNED, PatrolState.UNDERWAY):
        errors["state"] = gettext("Only a planned patrol or one underway can be cancelled")
    if errors:
        raise ValidationError(errors)
    before = _snapshot(patrol)
    patrol.state = PatrolState.CANCELLED
    patrol.ended_at = timezone.now() if patrol.started_at else None
    patrol.save()
    audit.record(
        actor=actor,
        action="fieldwork.patrol.cancelled",
        target=patrol,
        node=patrol.grid,
        before=before,
        after=_snapshot(patrol),
        reason=reason,
    )
    return patrol


def _new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        if not Checkpoint.objects.filter(code=code).exists():
            return code


@transaction.atomic
def create_checkpoint(
    *,
    actor: User | None,
    grid: Node,
    name: str,
    building: Building | None = None,
    lng: float | None = None,
    lat: float | None = None,
) -> Checkpoint:
    """A checkpoint of a grid (a gate, a building's door) with its own code for its QR label;
    without a position it takes its building's."""
    errors: dict[str, str] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = gettext("Name the checkpoint")
    inputs.check_lengths(errors, Checkpoint, {"name": name})
    inputs.no_nul(errors, {"name": name})
    if grid.kind not in patrols.CHECKPOINT_GROUND:
        errors["grid"] = gettext("A checkpoint is in a grid")
    if building is not None and not building.grid.path.startswith(grid.path):
        errors["building"] = gettext("The building is not in this grid")
    if (lng is None) != (lat is None):
        errors["lng"] = gettext("Give both coordinates")
    elif lng is not None and lat is not None and not (-180 <= lng <= 180 and -90 <= lat <= 90):
        errors["lng"] = gettext("The coordinates are out of range")
    if errors:
        raise ValidationError(errors)
    check_scope(actor, Checkpoint(), "add", path=grid.path)
    if lng is None and building is not None:
        lng, lat = building.lng, building.lat
    checkpoint = Checkpoint.objects.create(
        grid=grid, building=building, name=name, code=_new_code(), lng=lng, lat=lat
    )
    audit.record(
        actor=actor,
        action="fieldwork.checkpoint.created",
        target=checkpoint,
        node=grid,
        after=audit.snapshot(checkpoint),
    )
    return checkpoint


@transaction.atomic
def retire_checkpoint(
    *, actor: User | None, checkpoint: Checkpoint, reason: str = ""
) -> Checkpoint:
    """A checkpoint taken out of use (its label removed); its scans stay on their patrols."""
    check_scope(actor, checkpoint, "change", path=checkpoint.grid.path)
    if not checkpoint.is_active:
        return checkpoint
    before = audit.snapshot(checkpoint)
    checkpoint.is_active = False
    checkpoint.save(update_fields=["is_active"])
    audit.record(
        actor=actor,
        action="fieldwork.checkpoint.retired",
        target=checkpoint,
        node=checkpoint.grid,
        before=before,
        after=audit.snapshot(checkpoint),
        reason=reason,
    )
    return checkpoint
