"""The console's inspection campaigns (排查): the list (filters, saved views, export), a new
campaign, a campaign (its coverage on a map and in a table, its findings and cases, its
teams, opened and closed), the printable report, and the photos of its checks."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.accounts.models import Membership, User
from wangge.core.errors import ValidationError
from wangge.core.filters import node_by_code_or_id
from wangge.core.imports import REGISTRY
from wangge.core.scope import get_scope
from wangge.fieldwork import campaigns as logic
from wangge.fieldwork import services as fieldwork
from wangge.fieldwork.filters import CampaignFilter
from wangge.fieldwork.forms_campaigns import CampaignForm
from wangge.fieldwork.models import (
    Campaign,
    CampaignKind,
    CampaignState,
    CampaignTeam,
    Check,
    CheckPhoto,
    Dispute,
)
from wangge.territory.models import Node
from wangge.territory.pickers import place_filter_widget

PAGE_SIZE = 50
EXPORT_KIND = "campaigns"
CHECKS_EXPORT = "campaign-checks"
LISTED = 200  # buildings still to check / with hazards listed on the page


def _campaigns(user):
    return Campaign.objects.restrict(user, "view").select_related(
        "node", "checklist__form", "created_by"
    )


def _campaign(request, pk: int) -> Campaign:
    return get_object_or_404(_campaigns(request.user), pk=pk)


def _may_change(user, campaign: Campaign) -> bool:
    return Campaign.objects.restrict(user, "change").filter(pk=campaign.pk).exists()


@login_required
def campaign_list(request):
    """The campaigns in and over my places, newest first, with their coverage."""
    user = request.user
    scope = get_scope(user)
    if not scope.has_perm("fieldwork.view_campaign"):
        raise Http404
    rows = _campaigns(user)
    filterset = CampaignFilter(request.GET or None, rows, request=request)
    filterset.form.fields["node"].widget = place_filter_widget(user)
    if filterset.is_bound:
        rows = filterset.qs
    page = Paginator(rows.order_by("-starts_on", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    listed = [
        (campaign, logic.coverage(campaign, user, with_buildings=False).total) for campaign in page
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "fieldwork/campaigns_list.html",
        {
            "filterset": filterset,
            "page": page,
            "rows": listed,
            "query": query.urlencode(),
            "may_add": scope.has_perm("fieldwork.add_campaign"),
            "export_kind": EXPORT_KIND if EXPORT_KIND in REGISTRY else "",
        },
    )


@login_required
def campaign_new(request):
    """A new campaign from a checklist template, in one of my communities or streets."""
    user = request.user
    if not get_scope(user).has_perm("fieldwork.add_campaign"):
        raise Http404
    form = CampaignForm(request.POST or None, user=user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            node = node_by_code_or_id(Node.objects.inside(user), data["place"])
            try:
                if node is None:
                    raise ValidationError({"place": _("Choose a place of yours")})
                campaign = fieldwork.create_campaign(
                    actor=user,
                    title=data["title"],
                    checklist=data["checklist"],
                    node=node,
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    note=data["note"],
                    idempotency_key=f"console:{data['key']}",
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
                status = 400
            else:
                messages.success(
                    request,
                    _(
                        "Campaign “%(title)s” made, with a team for each grid. Open it when the "
                        "teams are ready."
                    )
                    % {"title": campaign.title},
                )
                return redirect("campaign-detail", pk=campaign.pk)
        else:
            status = 400
    else:
        form.initial["key"] = uuid.uuid4().hex
    return render(request, "fieldwork/campaigns_new.html", {"form": form}, status=status)


def _map_config(campaign, cover) -> dict:
    return {
        "tiles": settings.WANGGE_MAP_TILES,
        "colours": logic.STATUS_COLOURS,
        "labels": {
            logic.NOT_YET: _("Not yet checked"),
            logic.CHECKED: _("Checked, no hazard"),
            logic.HAZARD: _("Hazard found"),
            "legend": _("Legend"),
        },
        "buildings": [
            [b["point"][0], b["point"][1], b["status"], b["name"], b["grid_name"]]
            for b in cover.buildings
            if b["point"]
        ],
    }


def _findings_context(campaign, user) -> dict:
    found = logic.findings(campaign, user)
    hazard_checks = (
        Check.objects.restrict(user, "view")
        .filter(campaign=campaign, result="hazard")
        .select_related("grid", "building", "checked_by")
        .prefetch_related("cases", "photos")
        .order_by("-checked_at")
    )
    form = campaign.checklist.form
    labels = {q.code: q.label for q, _rule in logic.questions_with_rules(form)}
    checks = [
        (check, [labels.get(code, code) for code in check.hazards]) for check in hazard_checks
    ]
    cases = logic.campaign_cases(campaign, user).select_related("category").order_by("-created_at")
    return {"findings": found, "hazard_checks": checks, "cases": cases}


@login_required
def campaign_detail(request, pk: int):
    """A campaign: coverage (map and table per grid), findings and cases, teams."""
    user = request.user
    campaign = _campaign(request, pk)
    cover = logic.coverage(campaign, user)
    todo = [b for b in cover.buildings if b["status"] == logic.NOT_YET]
    teams = (
        CampaignTeam.objects.restrict(user, "view")
        .filter(campaign=campaign)
        .select_related("grid", "leader")
        .prefetch_related("members")
    )
    may_change = _may_change(user, campaign)
    people = _people(campaign, user) if may_change else []
    context = {
        "campaign": campaign,
        "cover": cover,
        "todo": todo[:LISTED],
        "todo_count": len(todo),
        "teams": teams,
        "people": people,
        "may_change": may_change,
        "map_config": _map_config(campaign, cover),
        "checks_export": CHECKS_EXPORT,
        **_findings_context(campaign, user),
        **_disputes_context(campaign, user),
    }
    return render(request, "fieldwork/campaigns_detail.html", context)


def _disputes_context(campaign: Campaign, user) -> dict:
    """A dispute screening drive's disputes (矛盾纠纷排查化解), as far as the user may see them."""
    if campaign.kind != CampaignKind.DISPUTE or not get_scope(user).has_perm(
        "fieldwork.view_dispute"
    ):
        return {"may_see_disputes": False, "disputes": []}
    rows = (
        Dispute.objects.restrict(user, "view")
        .filter(campaign=campaign)
        .select_related("grid")
        .order_by("-received_at")
    )
    return {"may_see_disputes": True, "disputes": list(rows[:LISTED])}


def _people(campaign, user) -> list[tuple[int, str]]:
    """Who may be on a team: the people of the campaign's place, by name."""
    rows = (
        Membership.objects.restrict(user, "view")
        .filter(node__path__startswith=campaign.node.path, is_active=True, user__is_active=True)
        .order_by("node__code", "user__display_name")
        .values_list("user_id", "user__display_name", "user__username", "node__name")
    )
    seen, people = set(), []
    for user_id, display, username, place in rows:
        if user_id in seen:
            continue
        seen.add(user_id)
        people.append((user_id, f"{display or username} · {place}"))
    return people


@login_required
@require_POST
def campaign_act(request, pk: int, action: str):
    """Open or close a campaign."""
    campaign = _campaign(request, pk)
    moves = {"open": fieldwork.open_campaign, "close": fieldwork.close_campaign}
    if action not in moves:
        raise Http404
    try:
        campaign = moves[action](actor=request.user, campaign=campaign)
    except ValidationError as exc:
        for problem in exc.messages:
            messages.error(request, problem)
    else:
        messages.success(
            request,
            _("The campaign is open: the teams can record checks.")
            if campaign.state == CampaignState.OPEN
            else _("The campaign is closed."),
        )
    return redirect("campaign-detail", pk=campaign.pk)


@login_required
@require_POST
def campaign_team(request, pk: int, team_pk: int):
    """A team's members and leader, picked by name."""
    campaign = _campaign(request, pk)
    team = get_object_or_404(
        CampaignTeam.objects.restrict(request.user, "view").filter(campaign=campaign), pk=team_pk
    )
    allowed = {user_id for user_id, _name in _people(campaign, request.user)}
    chosen = [int(v) for v in request.POST.getlist("members") if v.isdigit() and int(v) in allowed]
    leader_id = request.POST.get("leader", "")
    leader = None
    if leader_id.isdigit() and int(leader_id) in allowed:
        leader = User.objects.get(pk=int(leader_id))
    try:
        fieldwork.set_team(
            actor=request.user,
            team=team,
            members=list(User.objects.filter(pk__in=chosen)),
            leader=leader,
        )
    except ValidationError as exc:
        for problem in exc.messages:
            messages.error(request, problem)
    else:
        messages.success(request, _("Team of %(grid)s saved.") % {"grid": team.grid.name})
    return redirect("campaign-detail", pk=campaign.pk)


@login_required
def campaign_report(request, pk: int):
    """The campaign's report, to print on A4: counts, hazards by question, cases, per grid."""
    user = request.user
    campaign = _campaign(request, pk)
    cover = logic.coverage(campaign, user, with_buildings=False)
    context = {
        "campaign": campaign,
        "cover": cover,
        "checks_export": CHECKS_EXPORT,
        **_findings_context(campaign, user),
    }
    return render(request, "fieldwork/campaigns_report.html", context)


@login_required
def check_photo(request, pk: int, size: str = "image"):
    """A photo of a check, to whoever sees the check."""
    photo = get_object_or_404(CheckPhoto.objects.restrict(request.user, "view"), pk=pk)
    field = photo.thumbnail if size == "thumbnail" else photo.image
    content_type = "image/jpeg" if size == "thumbnail" else photo.content_type
    response = FileResponse(field.open("rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
