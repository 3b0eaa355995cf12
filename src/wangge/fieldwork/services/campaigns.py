"""Inspection campaigns (排查): made, opened and closed by the offices and grid leaders, one
team per grid; checks recorded by the teams (from the phone, with an idempotency key). An
answer that reveals a hazard opens a case through the closed loop's one intake
(``cases.services.report``), in the same transaction as the check: a case that cannot be
opened leaves no check behind."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, cast

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from wangge.accounts.choices import Role
from wangge.accounts.models import Membership, User
from wangge.cases.choices import Channel
from wangge.cases.models import Category
from wangge.cases.photos import add_photo, prepare_photo
from wangge.cases.services import report
from wangge.core import audit, inputs
from wangge.core.errors import ValidationError
from wangge.core.formspec import answer_text, clean_answers
from wangge.core.services import check_scope, idempotent, replay
from wangge.core.words import stored
from wangge.fieldwork import campaigns as logic
from wangge.fieldwork.models import (
    Campaign,
    CampaignKind,
    CampaignState,
    CampaignTeam,
    Check,
    Checklist,
    CheckPhoto,
    CheckResult,
)
from wangge.territory.choices import NodeKind
from wangge.territory.locate import get_index
from wangge.territory.models import Building, Dwelling, Node

if TYPE_CHECKING:
    from wangge.cases.models import Case

PLACE_KINDS = {NodeKind.STREET, NodeKind.COMMUNITY}
TEAM_KINDS = {NodeKind.GRID, NodeKind.DEDICATED_GRID}
MAX_WINDOW_DAYS = 366
MAX_PHOTOS = 4


def _day(errors: dict[str, str], name: str, value: object) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value or ""))
    except ValueError:
        errors[name] = gettext("Give a day like 2026-12-01")
        return None


def _team_people(grid: Node) -> tuple[list[User], User | None]:
    """The grid's workers (members) and who leads the team: a grid leader, else a worker."""
    rows = (
        Membership.objects.filter(
            node=grid, is_active=True, user__is_active=True, role__in=[Role.GRID_WORKER]
        )
        .select_related("user")
        .order_by("id")
    )
    members = [row.user for row in rows]
    leader_row = (
        Membership.objects.filter(
            node=grid, is_active=True, user__is_active=True, role=Role.GRID_LEADER
        )
        .select_related("user")
        .order_by("id")
        .first()
    )
    leader = leader_row.user if leader_row else (members[0] if members else None)
    return members, leader


def campaign_snapshot(campaign: Campaign) -> dict[str, Any]:
    return audit.snapshot(campaign)


@transaction.atomic
def create_campaign(
    *,
    actor: User | None,
    title: str,
    checklist: Checklist,
    node: Node,
    starts_on: object,
    ends_on: object,
    kind: str = "",
    note: str = "",
    created_at: datetime.datetime | None = None,
    idempotency_key: str | None = None,
) -> Campaign:
    """A campaign in a community or street, as a draft, with one team per grid of it (its
    grid workers as members, its grid leader — or first worker — leading)."""
    earlier = replay(
        key=idempotency_key, actor=actor, operation="fieldwork.campaign.create", model=Campaign
    )
    if earlier is not None:
        return earlier
    errors: dict[str, str] = {}
    title = (title or "").strip()
    note = (note or "").strip()
    kind = kind or checklist.kind
    if not title:
        errors["title"] = gettext("Give the campaign a title")
    inputs.check_lengths(errors, Campaign, {"title": title, "note": note})
    inputs.no_nul(errors, {"title": title, "note": note})
    inputs.check_choice(errors, "kind", kind, CampaignKind)
    if not checklist.is_active:
        errors["checklist"] = gettext("This checklist is no longer in use")
    if node.kind not in PLACE_KINDS:
        errors["node"] = gettext("A campaign is held in a community or a street")
    start = _day(errors, "starts_on", starts_on)
    end = _day(errors, "ends_on", ends_on)
    if start and end and end < start:
        errors["ends_on"] = gettext("The last day comes before the first")
    elif start and end and (end - start).days > MAX_WINDOW_DAYS:
        errors["ends_on"] = gettext("A campaign lasts at most a year")
    if errors:
        raise ValidationError(errors)
    check_scope(actor, Campaign(), "add", path=node.path)

    def create() -> Campaign:
        assert start is not None and end is not None
        campaign = Campaign.objects.create(
            title=title,
            kind=kind,
            checklist=checklist,
            node=node,
            starts_on=start,
            ends_on=end,
            note=note,
            created_by=actor,
            created_at=created_at or timezone.now(),
        )
        grids = Node.objects.filter(
            path__startswith=node.path, kind__in=TEAM_KINDS, is_active=True
        ).order_by("code")
        for grid in grids:
            members, leader = _team_people(grid)
            team = CampaignTeam.objects.create(campaign=campaign, grid=grid, leader=leader)
            team.members.set(members)
        audit.record(
            actor=actor,
            action="fieldwork.campaign.created",
            target=campaign,
            node=node,
            after=campaign_snapshot(campaign),
        )
        return campaign

    campaign, _created = idempotent(
        key=idempotency_key,
        actor=actor,
        operation="fieldwork.campaign.create",
        model=Campaign,
        create=create,
        replayed=True,
    )
    return campaign


def _locked(campaign: Campaign) -> Campaign:
    found = Campaign.objects.select_for_update().select_related("node").get(pk=campaign.pk)
    return cast(Campaign, found)


@transaction.atomic
def open_campaign(
    *, actor: User | None, campaign: Campaign, at: datetime.datetime | None = None
) -> Campaign:
    """Open a draft (or reopen a closed campaign): its teams may record checks."""
    campaign = _locked(campaign)
    check_scope(actor, campaign, "change", path=campaign.node.path)
    if campaign.state == CampaignState.OPEN:
        return campaign
    before = campaign_snapshot(campaign)
    campaign.state = CampaignState.OPEN
    campaign.opened_at = at or timezone.now()
    campaign.closed_at = None
    campaign.save()
    audit.record(
        actor=actor,
        action="fieldwork.campaign.opened",
        target=campaign,
        node=campaign.node,
        before=before,
        after=campaign_snapshot(campaign),
    )
    return campaign


@transaction.atomic
def close_campaign(
    *, actor: User | None, campaign: Campaign, at: datetime.datetime | None = None
) -> Campaign:
    """Close a campaign: no more checks; the cases it opened are followed still."""
    campaign = _locked(campaign)
    check_scope(actor, campaign, "change", path=campaign.node.path)
    if campaign.state != CampaignState.OPEN:
        raise ValidationError({"state": gettext("Only an open campaign can be closed")})
    before = campaign_snapshot(campaign)
    campaign.state = CampaignState.CLOSED
    campaign.closed_at = at or timezone.now()
    campaign.save()
    audit.record(
        actor=actor,
        action="fieldwork.campaign.closed",
        target=campaign,
        node=campaign.node,
        before=before,
        after=campaign_snapshot(campaign),
    )
    return campaign


@transaction.atomic
def set_team(
    *,
    actor: User | None,
    team: CampaignTeam,
    members: list[User],
    leader: User | None = None,
) -> CampaignTeam:
    """Who checks a grid: members among the people of the grid's community (or street), and
    the one leading them (one of the members)."""
    team = CampaignTeam.objects.select_related("grid", "campaign__node").get(pk=team.pk)
    check_scope(actor, team, "change", path=team.grid.path)
    place = team.campaign.node
    member_ids = {user.pk for user in members}
    if leader is not None:
        member_ids.add(leader.pk)
    allowed_ids = set(
        Membership.objects.filter(
            node__path__startswith=place.path, is_active=True, user__is_active=True
        ).values_list("user_id", flat=True)
    )
    strangers = member_ids - allowed_ids
    if strangers:
        raise ValidationError(
            {"members": gettext("Team members are people of the campaign's place")}
        )
    before = {
        "leader": team.leader_id,
        "members": sorted(team.members.values_list("pk", flat=True)),
    }
    team.leader = leader
    team.save()
    team.members.set(sorted(member_ids))
    after = {"leader": team.leader_id, "members": sorted(member_ids)}
    audit.record(
        actor=actor,
        action="fieldwork.campaignteam.updated",
        target=team,
        node=team.grid,
        before=before,
        after=after,
    )
    return team


def _where(
    *,
    campaign: Campaign,
    building: Building | None,
    dwelling: Dwelling | None,
    place_name: str,
    lng: object,
    lat: object,
    errors: dict[str, str],
) -> tuple[Node | None, Building | None, float | None, float | None]:
    """The grid, building and point of what was checked."""
    if dwelling is not None:
        if building is not None and dwelling.building_id != building.pk:
            errors["dwelling"] = gettext("The dwelling is not in that building")
        building = dwelling.building
    if building is not None:
        if not building.grid.path.startswith(campaign.node.path):
            errors["building"] = gettext("The building is not in the campaign's place")
        return building.grid, building, building.lng, building.lat
    if not place_name:
        errors["building"] = gettext("Give the building, the dwelling or a public place")
        return None, None, None, None
    try:
        lng_f, lat_f = float(str(lng)), float(str(lat))
    except (TypeError, ValueError):
        errors["lng"] = gettext("Give the public place's position")
        return None, None, None, None
    if not (-180 <= lng_f <= 180 and -90 <= lat_f <= 90):
        errors["lng"] = gettext("The coordinates are out of range")
        return None, None, None, None
    located = int(get_index().locate_many([lng_f], [lat_f])[0])
    grid: Node | None = Node.objects.filter(pk=located).first() if located >= 0 else None
    if grid is None or not grid.path.startswith(campaign.node.path):
        errors["lng"] = gettext("The place is not in the campaign's place")
    return grid, None, lng_f, lat_f


def check_snapshot(check: Check) -> dict[str, Any]:
    return audit.snapshot(check)


def record_check(
    *,
    actor: User | None,
    campaign: Campaign,
    answers: dict[str, Any] | None,
    building: Building | None = None,
    dwelling: Dwelling | None = None,
    place_name: str = "",
    lng: float | None = None,
    lat: float | None = None,
    note: str = "",
    photos: list[Any] | tuple[Any, ...] = (),
    checked_at: datetime.datetime | None = None,
    idempotency_key: str | None = None,
) -> Check:
    """A building (a dwelling of it, or a named public place with its position) checked
    against the campaign's checklist. Answers are checked by the form engine, named by
    question; each answer that reveals a hazard opens a case in its rule's category (channel
    patrol, at the building), linked to the check. All or nothing; a retry with the same
    ``idempotency_key`` gets the first check back."""
    earlier = replay(
        key=idempotency_key, actor=actor, operation="fieldwork.check.create", model=Check
    )
    if earlier is not None:
        return earlier
    campaign = Campaign.objects.select_related("node", "checklist__form").get(pk=campaign.pk)
    errors: dict[str, str] = {}
    if campaign.state != CampaignState.OPEN:
        errors["campaign"] = gettext("The campaign is not open")
    place_name = (place_name or "").strip()
    note = (note or "").strip()
    inputs.check_lengths(errors, Check, {"place_name": place_name, "note": note})
    inputs.no_nul(errors, {"place_name": place_name, "note": note})
    form = campaign.checklist.form
    clean, answer_errors = clean_answers(form, answers if isinstance(answers, dict) else {})
    if answers is not None and not isinstance(answers, dict):
        errors["answers"] = gettext("Answers are given by question code")
    errors.update({f"answers.{code}": message for code, message in answer_errors.items()})
    grid, building, at_lng, at_lat = _where(
        campaign=campaign,
        building=building,
        dwelling=dwelling,
        place_name=place_name,
        lng=lng,
        lat=lat,
        errors=errors,
    )
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = gettext("At most %(n)s photos") % {"n": MAX_PHOTOS}
    if errors:
        raise ValidationError(errors)
    assert grid is not None
    check_scope(actor, Check(), "add", path=grid.path)
    at = checked_at or timezone.now()
    if campaign.starts_on and timezone.localtime(at).date() < campaign.starts_on:
        raise ValidationError({"checked_at": gettext("The campaign has not begun yet")})
    prepared = [prepare_photo(upload) for upload in photos]
    found = logic.hazards_in(form, clean)
    categories: dict[str, Category] = {}
    for question, rule in found:
        category = Category.objects.filter(
            tree__is_current=True, code=rule.category_code, is_active=True
        ).first()
        if category is None:
            raise ValidationError(
                {
                    f"answers.{question.code}": gettext(
                        "No category %(code)s for this hazard: ask the district to fix the "
                        "checklist"
                    )
                    % {"code": rule.category_code}
                }
            )
        categories[question.code] = category
    written: list[str] = []

    def create() -> Check:
        check = Check.objects.create(
            campaign=campaign,
            grid=grid,
            building=building,
            dwelling=dwelling,
            place_name=place_name,
            lng=at_lng,
            lat=at_lat,
            checked_by=actor,
            checked_at=at,
            answers=clean,
            result=CheckResult.HAZARD if found else CheckResult.OK,
            hazards=[question.code for question, _rule in found],
            note=note,
        )
        for photo in prepared:
            written.extend(_store_photo(check, photo, actor))
        where = f"{building.compound}{building.name}" if building is not None else place_name
        if dwelling is not None:
            where = f"{where}{dwelling.number}"
        opened: list[Case] = []
        for question, rule in found:
            answer = answer_text(question, clean[question.code])
            description = stored(
                gettext_noop("%(campaign)s: %(question)s — %(answer)s, at %(where)s."),
                campaign=campaign.title,
                question=question.label,
                answer=answer,
                where=where,
            )
            if note:
                description = f"{description}\n{note}"
            case = report(
                actor=actor,
                channel=Channel.PATROL,
                category=categories[question.code],
                title=f"{where}{rule.title or question.label}"[:100],
                description=description[: inputs.DESCRIPTION],
                lng=at_lng if building is None else None,
                lat=at_lat if building is None else None,
                building=building,
                address=(building.address if building is not None else place_name)[:200],
                attributes=rule.attributes or None,
                received_at=at,
            )
            opened.append(case)
        for photo in prepared if opened else ():
            # The first case carries the check's photos for whoever handles it.
            added = add_photo(actor=actor, case=opened[0], upload=photo)
            written.extend([added.image.name, added.thumbnail.name])
        if opened:
            check.cases.set(opened)
        audit.record(
            actor=actor,
            action="fieldwork.check.created",
            target=check,
            node=grid,
            after={**check_snapshot(check), "cases": [case.pk for case in opened]},
        )
        return check

    try:
        with transaction.atomic():
            check, _created = idempotent(
                key=idempotency_key,
                actor=actor,
                operation="fieldwork.check.create",
                model=Check,
                create=create,
                replayed=True,
            )
    except BaseException:
        _remove(written)
        raise
    return check


def _store_photo(check: Check, prepared: Any, actor: User | None) -> list[str]:
    """Write a prepared photo's files and its row; the files' names (to remove on failure)."""
    import secrets

    from django.core.files.base import ContentFile

    token = secrets.token_hex(16)
    month = timezone.localtime().strftime("%Y/%m")
    storage = CheckPhoto._meta.get_field("image").storage
    image_name = storage.save(
        f"campaigns/{month}/{token}{prepared.extension}", ContentFile(prepared.data)
    )
    names = [image_name]
    thumb_name = storage.save(
        f"campaigns/{month}/thumbs/{token}.jpg", ContentFile(prepared.thumbnail)
    )
    names.append(thumb_name)
    photo = CheckPhoto(
        check_row=check,
        content_type=prepared.content_type,
        size=len(prepared.data),
        width=prepared.width,
        height=prepared.height,
        uploaded_by=actor,
    )
    photo.image.name, photo.thumbnail.name = image_name, thumb_name
    photo.save()
    return names


def _remove(names: list[str]) -> None:
    import contextlib

    storage = CheckPhoto._meta.get_field("image").storage
    for name in names:
        with contextlib.suppress(OSError):
            storage.delete(name)


__all__ = [
    "campaign_snapshot",
    "check_snapshot",
    "close_campaign",
    "create_campaign",
    "open_campaign",
    "record_check",
    "set_team",
]
