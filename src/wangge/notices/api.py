"""Notices through the API: write, publish, approve, withdraw, follow their delivery; the
grids' WeCom robots (their keys go in, never out).

Everything is limited to the caller's scope: a notice none of whose places are theirs, or a
robot of another grid, is a 404. A step the notice's state or the caller's level does not
allow is a 409 with the reason.
"""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from ninja import Header, Query, Router, Status
from ninja.pagination import paginate

from wangge.core.api import Page, apply_filters, problem
from wangge.core.errors import ValidationError
from wangge.core.filters import query_schema
from wangge.notices import services
from wangge.notices.filters import NoticeFilter, RobotFilter
from wangge.notices.models import Notice, NoticeKind, NoticeTemplate, Robot
from wangge.notices.schemas import (
    DeliveryReport,
    NoticeIn,
    NoticeKindOut,
    NoticeOut,
    ReviewIn,
    RobotIn,
    RobotOut,
)
from wangge.territory.models import Building, Node

router = Router(tags=["notices"])

NoticeQuery = query_schema(NoticeFilter, "NoticeQuery")
RobotQuery = query_schema(RobotFilter, "RobotQuery")


def _notices(request):
    return (
        Notice.objects.restrict(request.user, "view")
        .select_related("kind", "node")
        .prefetch_related("nodes", "buildings", "care_tags", "files")
    )


def _notice(request, notice_id: int) -> Notice:
    return get_object_or_404(_notices(request), pk=notice_id)


def _targets(request, payload: NoticeIn) -> dict:
    """The payload's places and tags, each looked up within what the caller may see; an id
    that is not there is a 400 naming the field."""
    from wangge.people.models import CareTag

    errors = {}
    nodes = list(Node.objects.restrict(request.user, "view").filter(pk__in=payload.nodes))
    missing = set(payload.nodes) - {node.pk for node in nodes}
    if missing:
        errors["nodes"] = gettext("No such place among yours: %(ids)s") % {
            "ids": ", ".join(str(pk) for pk in sorted(missing))
        }
    buildings = list(
        Building.objects.restrict(request.user, "view")
        .select_related("grid")
        .filter(pk__in=payload.buildings)
    )
    missing = set(payload.buildings) - {building.pk for building in buildings}
    if missing:
        errors["buildings"] = gettext("No such building among yours: %(ids)s") % {
            "ids": ", ".join(str(pk) for pk in sorted(missing))
        }
    tags = list(CareTag.objects.filter(code__in=payload.care_tags, is_active=True))
    missing = set(payload.care_tags) - {tag.code for tag in tags}
    if missing:
        errors["care_tags"] = gettext("Unknown care tag: %(codes)s") % {
            "codes": ", ".join(sorted(missing))
        }
    kind = template = None
    if payload.template is not None:
        template = NoticeTemplate.objects.filter(pk=payload.template, is_active=True).first()
        if template is None:
            errors["template"] = gettext("No such notice template")
    if payload.kind:
        kind = NoticeKind.objects.filter(code=payload.kind).first()
        if kind is None:
            errors["kind"] = gettext("Unknown kind of notice")
    if errors:
        raise ValidationError(errors)
    return {
        "nodes": nodes,
        "buildings": buildings,
        "care_tags": tags,
        "kind": kind,
        "template": template,
    }


@router.get("/notice-kinds", response=list[NoticeKindOut])
def list_notice_kinds(request):
    """The kinds of notice in use (政策, 便民, 安全提示, 失物招领 …)."""
    return NoticeKind.objects.filter(is_active=True)


@router.get("/notices", response=list[NoticeOut])
@paginate(Page)
def list_notices(request, filters: Query[NoticeQuery]):
    """Notices for places in the caller's scope, newest first; filter by ``state``,
    ``kind``, ``node`` (a place: its whole subtree), ``q`` (words of the title or text),
    ``since``/``until``."""
    return apply_filters(NoticeFilter, filters, _notices(request), request)


@router.post("/notices", response={201: NoticeOut})
def create_notice(
    request,
    payload: NoticeIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
):
    """Write a notice (a draft) for places in the caller's scope. A place outside it is a
    400 naming ``nodes``. A retry with the same ``Idempotency-Key`` returns the first notice."""
    found = _targets(request, payload)
    notice = services.create_notice(
        actor=request.user,
        title=payload.title,
        body=payload.body,
        roles=payload.roles,
        to_web=payload.to_web,
        to_wecom=payload.to_wecom,
        to_sms=payload.to_sms,
        to_email=payload.to_email,
        wecom_format=payload.wecom_format,
        mention_all=payload.mention_all,
        publish_at=payload.publish_at,
        expires_at=payload.expires_at,
        idempotency_key=idempotency_key,
        **found,
    )
    return Status(201, _notice(request, notice.pk))


@router.get("/notices/{notice_id}", response=NoticeOut)
def get_notice(request, notice_id: int):
    return _notice(request, notice_id)


def _step(request, notice_id: int, step, **kwargs):
    notice = _notice(request, notice_id)
    try:
        step(actor=request.user, notice=notice, **kwargs)
    except services.Refused as exc:
        return problem(409, "Conflict", str(exc))
    return _notice(request, notice_id)


@router.post("/notices/{notice_id}/publish", response={200: NoticeOut, 409: None})
def publish_notice(request, notice_id: int):
    """Send a draft out (at its ``publish_at``). A street-wide or district-wide notice not
    yet approved goes to its approvers instead (state ``pending``)."""
    return _step(request, notice_id, services.publish_notice)


@router.post("/notices/{notice_id}/approve", response={200: NoticeOut, 409: None})
def approve_notice(request, notice_id: int, payload: ReviewIn):
    """Approve a notice waiting for it, which publishes it: by someone holding the right at
    the notice's level or above, not its author."""
    return _step(request, notice_id, services.approve_notice, note=payload.note)


@router.post("/notices/{notice_id}/reject", response={200: NoticeOut, 409: None})
def reject_notice(request, notice_id: int, payload: ReviewIn):
    """Send a notice waiting for approval back to a draft; ``note`` says what to change."""
    return _step(request, notice_id, services.reject_notice, note=payload.note)


@router.post("/notices/{notice_id}/withdraw", response={200: NoticeOut, 409: None})
def withdraw_notice(request, notice_id: int, payload: ReviewIn):
    """Take a published notice back: off the grid pages; its unsent messages are stopped."""
    return _step(request, notice_id, services.withdraw_notice, note=payload.note)


@router.get("/notices/{notice_id}/report", response=DeliveryReport)
def delivery_report(request, notice_id: int):
    """How the notice's messages fared: counts by state, by channel and by grid."""
    return services.delivery_report(_notice(request, notice_id))


@router.get("/robots", response=list[RobotOut])
@paginate(Page)
def list_robots(request, filters: Query[RobotQuery]):
    """The WeCom group robots of the grids in the caller's scope (keys masked)."""
    robots = Robot.objects.restrict(request.user, "view").select_related("grid")
    return apply_filters(RobotFilter, filters, robots, request)


@router.post("/robots", response={201: RobotOut})
def create_robot(request, payload: RobotIn):
    """Set up a grid group's robot from its webhook key (or address). The key is stored
    encrypted and never shown again: answers carry its last four characters."""
    grid = get_object_or_404(Node.objects.restrict(request.user, "view"), pk=payload.grid)
    robot = services.create_robot(actor=request.user, grid=grid, name=payload.name, key=payload.key)
    return Status(201, robot)
