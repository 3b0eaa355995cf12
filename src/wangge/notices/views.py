"""The notices pages. Staff: the notices of their places, writing one (from a template, for
places, buildings, tags and roles, by the channels chosen, now or later), a notice with its
files, its approval and its delivery report, the A4 poster, and the grid groups' robots.
Anyone: a published notice's public page, which the poster's QR code and the messages open."""

import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.core.errors import ValidationError
from wangge.core.scope import get_scope, subtree_q
from wangge.core.services import allowed
from wangge.notices import services, wording
from wangge.notices.choices import Channel, DeliveryState, NoticeState
from wangge.notices.exports import EXPORT_KIND
from wangge.notices.filters import NoticeFilter
from wangge.notices.forms import NoticeFileForm, NoticeForm, ReviewForm, RobotForm
from wangge.notices.models import Notice, NoticeKind, NoticeTemplate, Robot
from wangge.notices.public import is_public, serve
from wangge.territory.choices import GRID_KINDS
from wangge.territory.models import Building, Node
from wangge.territory.pickers import labelled_places, place_filter_widget

PAGE_SIZE = 50
# Above this many buildings in scope the form offers places only (a district's thousands of
# buildings are no list to choose from).
MAX_BUILDINGS = 500


def _notices(user):
    return Notice.objects.restrict(user, "view").select_related("kind", "node", "created_by")


def _notice_for(request, pk: int) -> Notice:
    return get_object_or_404(_notices(request.user), pk=pk)


def _labelled(user, nodes) -> list[tuple[int, str]]:
    """``(id, label)`` of ``nodes``, each named with its community (``万达社区 第1网格``)."""
    nodes, labels = labelled_places(user, nodes)
    return [(node.pk, labels[node.pk]) for node in nodes]


def _places(user, perm: str = "notices.add_notice"):
    """The places ``user`` may write notices for, in tree order."""
    places = Node.objects.inside(user).filter(is_active=True)
    scope = get_scope(user)
    if not scope.unrestricted:
        places = places.filter(subtree_q(scope.paths(perm)))
    return places.order_by("path")


def _building_choices(user, places) -> list[tuple[int, str]]:
    rows = Building.objects.restrict(user, "view").filter(
        grid__in=[node.pk for node in places if node.kind in GRID_KINDS]
    )
    if rows.count() > MAX_BUILDINGS:
        return []
    grid_labels = dict(_labelled(user, [node for node in places if node.kind in GRID_KINDS]))
    return [
        (pk, f"{grid_labels.get(grid_id, '')} {compound}{name}".strip())
        for pk, grid_id, compound, name in rows.order_by(
            "grid__path", "compound", "name"
        ).values_list("pk", "grid_id", "compound", "name")
    ]


def _form(request, data=None, *, initial=None) -> NoticeForm:
    places = list(_places(request.user))
    return NoticeForm(
        data,
        places=_labelled(request.user, places),
        buildings=_building_choices(request.user, places),
        initial=initial,
    )


def _targets(request, form: NoticeForm) -> tuple[list[Node], list[Building]]:
    """The chosen places and buildings, read within the user's scope (a forged id is
    simply not found, and the service then says a place is needed)."""
    data = form.cleaned_data
    nodes = list(Node.objects.restrict(request.user, "view").filter(pk__in=data["nodes"]))
    buildings = list(
        Building.objects.restrict(request.user, "view").filter(pk__in=data.get("buildings", []))
    )
    return nodes, buildings


# --- The list ------------------------------------------------------------------------------------


@login_required
def notice_list(request):
    """The notices of the user's places, newest first, with the list's filters (the API's and
    the export's): state, kind, place, words, when written."""
    scope = get_scope(request.user)
    if not scope.has_perm("notices.view_notice"):
        raise Http404
    notices = _notices(request.user).order_by("-created_at", "-pk")
    filterset = NoticeFilter(request.GET or None, notices, request=request)
    fields = filterset.form.fields
    fields["kind"].widget = forms.Select(
        choices=[("", "—")]
        + [(kind.code, kind.name) for kind in NoticeKind.objects.filter(is_active=True)]
    )
    fields["node"].widget = place_filter_widget(request.user)
    fields["q"].widget = forms.TextInput(attrs={"type": "search"})
    if filterset.is_bound:  # a bad value is shown on its field; the others still apply
        notices = filterset.qs
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filterset": filterset,
        "page": page,
        "query": query.urlencode(),
        "can_add": scope.has_perm("notices.add_notice"),
        "can_robots": scope.has_perm("notices.view_robot"),
        "waiting": awaiting_review(request.user),
        "export_kind": EXPORT_KIND,
    }
    return render(request, "notices/list.html", context)


def awaiting_review(user) -> int:
    """How many notices wait for ``user``'s approval (not their own, and at a level they
    approve at)."""
    if not get_scope(user).has_perm("notices.approve_notice"):
        return 0
    return sum(
        1
        for notice in _notices(user).filter(state=NoticeState.PENDING)
        if _may_review(user, notice)
    )


# --- Writing -------------------------------------------------------------------------------------


@login_required
def notice_new(request):
    """Write a notice. "Save as draft" keeps it; "Publish" sends it out (or, for a street or
    the district, to its approvers). One notice per form, however often it is sent."""
    if not get_scope(request.user).has_perm("notices.add_notice"):
        raise Http404
    status = 200
    if request.method == "POST":
        form = _form(request, request.POST)
        if form.is_valid():
            nodes, buildings = _targets(request, form)
            try:
                notice = services.create_notice(
                    actor=request.user,
                    nodes=nodes,
                    buildings=buildings,
                    template=form.cleaned_data["template"],
                    idempotency_key=f"console:{form.cleaned_data['key'] or uuid.uuid4().hex}",
                    **form.service_kwargs(),
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
                status = 400
            else:
                if "publish" in request.POST and notice.state == NoticeState.DRAFT:
                    return _publish(request, notice)
                messages.success(request, _("Saved as a draft."))
                return redirect("notice-detail", pk=notice.pk)
        else:
            status = 400
    else:
        form = _form(request, initial=_initial(request))
    context = {"form": form, "templates": NoticeTemplate.objects.filter(is_active=True)}
    return render(request, "notices/edit.html", context, status=status)


def _initial(request) -> dict:
    """A new form: a fresh key; the template's words (``?template=``); the place asked for
    (``?place=``) or the user's only one."""
    initial = {"key": uuid.uuid4().hex, "to_web": True, "to_wecom": True}
    template = request.GET.get("template", "")
    if template.isdigit():
        chosen = NoticeTemplate.objects.filter(pk=int(template), is_active=True).first()
        if chosen is not None:
            initial.update(
                template=chosen.pk, kind=chosen.kind_id, title=chosen.title, body=chosen.body
            )
    place = request.GET.get("place", "")
    places = list(_places(request.user).values_list("pk", flat=True)[:2])
    if place.isdigit() and _places(request.user).filter(pk=int(place)).exists():
        initial["nodes"] = [int(place)]
    elif len(places) == 1:
        initial["nodes"] = places
    return initial


@login_required
def notice_edit(request, pk: int):
    """Change a draft."""
    notice = _notice_for(request, pk)
    if notice.state != NoticeState.DRAFT or not allowed(
        request.user, Notice, "change", path=notice.node.path
    ):
        raise Http404
    status = 200
    if request.method == "POST":
        form = _form(request, request.POST)
        if form.is_valid():
            nodes, buildings = _targets(request, form)
            try:
                notice = services.update_notice(
                    actor=request.user,
                    notice=notice,
                    nodes=nodes,
                    buildings=buildings,
                    **form.service_kwargs(),
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
                status = 400
            except services.Refused as exc:
                form.add_error(None, str(exc))
                status = 409
            else:
                if "publish" in request.POST:
                    return _publish(request, notice)
                messages.success(request, _("Saved."))
                return redirect("notice-detail", pk=notice.pk)
        else:
            status = 400
    else:
        local = timezone.localtime
        form = _form(
            request,
            initial={
                "kind": notice.kind_id,
                "title": notice.title,
                "body": notice.body,
                "nodes": list(notice.nodes.values_list("pk", flat=True)),
                "buildings": list(notice.buildings.values_list("pk", flat=True)),
                "care_tags": list(notice.care_tags.all()),
                "roles": notice.roles,
                "to_web": notice.to_web,
                "to_wecom": notice.to_wecom,
                "to_sms": notice.to_sms,
                "to_email": notice.to_email,
                "wecom_format": notice.wecom_format,
                "mention_all": notice.mention_all,
                "publish_at": local(notice.publish_at) if notice.publish_at else None,
                "expires_at": local(notice.expires_at) if notice.expires_at else None,
            },
        )
        del form.fields["template"]
    context = {"form": form, "notice": notice}
    return render(request, "notices/edit.html", context, status=status)


def _publish(request, notice: Notice):
    try:
        notice = services.publish_notice(actor=request.user, notice=notice)
    except ValidationError as exc:
        for problem in exc.messages:
            messages.error(request, problem)
    except services.Refused as exc:
        messages.error(request, str(exc))
    else:
        if notice.state == NoticeState.PENDING:
            messages.success(request, _("Sent for approval."))
        elif notice.publish_at and notice.publish_at > timezone.now():
            messages.success(
                request,
                _("Published: it goes out at %(time)s.")
                % {"time": timezone.localtime(notice.publish_at).strftime("%Y-%m-%d %H:%M")},
            )
        else:
            messages.success(request, _("Published: its messages are on their way."))
    return redirect("notice-detail", pk=notice.pk)


# --- A notice ------------------------------------------------------------------------------------


def _may_review(user, notice: Notice) -> bool:
    return (
        notice.state == NoticeState.PENDING
        and notice.created_by_id != user.pk
        and allowed(user, Notice, "approve", path=notice.node.path)
    )


CHANNEL_ORDER = [Channel.WECOM, Channel.SMS, Channel.EMAIL, Channel.LOG]
STATE_ORDER = [
    DeliveryState.SENT,
    DeliveryState.LOGGED,
    DeliveryState.PENDING,
    DeliveryState.SENDING,
    DeliveryState.FAILED,
    DeliveryState.DEAD,
]


# A notice whose messages have gone (or been stopped): it has a delivery report.
OUT = {NoticeState.PUBLISHED, NoticeState.WITHDRAWN}


def _report(notice: Notice) -> dict:
    """The delivery report as the page shows it: rows by channel (in a fixed order) and by
    grid, each a row of counts in the order of ``STATE_ORDER``."""
    report = services.delivery_report(notice)
    labels = dict(Channel.choices)
    channels = sorted(
        report["by_channel"],
        key=lambda row: (
            CHANNEL_ORDER.index(row["channel"]) if row["channel"] in CHANNEL_ORDER else 99
        ),
    )
    return {
        "by_channel": [
            {
                "channel": row["channel"],
                "label": labels.get(row["channel"], row["channel"]),
                "cells": [row[state] for state in STATE_ORDER],
            }
            for row in channels
        ],
        "by_grid": [
            {
                "code": row["code"],
                "name": row["name"],
                "cells": [row[state] for state in STATE_ORDER],
            }
            for row in report["by_grid"]
        ],
        "possibly_repeated": report["possibly_repeated"],
        # Text messages only written in the log: no SMS gateway is configured.
        "sms_logged": sum(
            row[DeliveryState.LOGGED]
            for row in report["by_channel"]
            if row["channel"] == Channel.SMS
        ),
    }


@login_required
def notice_detail(request, pk: int):
    """A notice: its words and files, whom it is for, what may be done with it now, and how
    its messages fared."""
    notice = _notice_for(request, pk)
    user = request.user
    path = notice.node.path
    draft = notice.state == NoticeState.DRAFT
    may_change = draft and allowed(user, Notice, "change", path=path)
    places = _labelled(user, notice.nodes.order_by("path"))
    context = {
        "notice": notice,
        "places": [label for _pk, label in places],
        "buildings": notice.buildings.select_related("grid").order_by("grid__path", "name"),
        "care_tags": notice.care_tags.all(),
        "roles": _role_labels(notice.roles),
        "files": notice.files.order_by("pk"),
        "may_change": may_change,
        "may_publish": draft and allowed(user, Notice, "publish", path=path),
        "may_review": _may_review(user, notice),
        "may_withdraw": notice.state == NoticeState.PUBLISHED
        and allowed(user, Notice, "publish", path=path),
        "file_form": NoticeFileForm() if may_change else None,
        "review_form": ReviewForm(),
        "report": _report(notice) if notice.state in OUT else None,
        "states": [(state, DeliveryState(state).label) for state in STATE_ORDER],
        "public_url": wording.absolute(reverse("notice-public", args=[notice.pk]), request),
        "is_public": is_public(notice),
        "channels": [
            label
            for flag, label in (
                (notice.to_web, _("On the grids' pages")),
                (notice.to_wecom, _("To the grids' WeCom groups")),
                (notice.to_sms, _("By SMS to residents")),
                (notice.to_email, _("By e-mail to staff")),
            )
            if flag
        ],
    }
    return render(request, "notices/detail.html", context)


def _role_labels(roles) -> list[str]:
    from wangge.accounts.choices import Role

    names = dict(Role.choices)
    return [str(names.get(role, role)) for role in roles]


def _act(request, pk: int, action):
    notice = _notice_for(request, pk)
    try:
        action(notice)
    except ValidationError as exc:
        for problem in exc.messages:
            messages.error(request, problem)
    except services.Refused as exc:
        messages.error(request, str(exc))
    return redirect("notice-detail", pk=pk)


@login_required
@require_POST
def notice_publish(request, pk: int):
    return _publish(request, _notice_for(request, pk))


@login_required
@require_POST
def notice_review(request, pk: int):
    """Approve (审核通过) a notice, which sends it out, or send it back with a note."""
    note = request.POST.get("note", "")

    def review(notice):
        if request.POST.get("approve") == "true":
            services.approve_notice(actor=request.user, notice=notice, note=note)
            messages.success(request, _("Approved: the notice is out."))
        else:
            services.reject_notice(actor=request.user, notice=notice, note=note)
            messages.success(request, _("Sent back to its author."))

    return _act(request, pk, review)


@login_required
@require_POST
def notice_withdraw(request, pk: int):
    def withdraw(notice):
        services.withdraw_notice(actor=request.user, notice=notice, note=request.POST.get("note"))
        messages.success(request, _("Withdrawn: off the grids' pages, unsent messages stopped."))

    return _act(request, pk, withdraw)


@login_required
@require_POST
def notice_file(request, pk: int):
    notice = _notice_for(request, pk)
    form = NoticeFileForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_notice_file(
                actor=request.user, notice=notice, upload=form.cleaned_data["file"]
            )
        except ValidationError as exc:
            for problem in exc.messages:
                messages.error(request, problem)
        except services.Refused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Added."))
    else:
        for problem in form.errors.get("file", []):
            messages.error(request, problem)
    return redirect("notice-detail", pk=pk)


@login_required
def notice_poster(request, pk: int):
    """The notice on A4 for notice boards, and for ordinary WeChat groups (no robots there):
    its words, and a QR code to its page."""
    notice = _notice_for(request, pk)
    url = wording.absolute(reverse("notice-public", args=[notice.pk]), request)
    context = {
        "notice": notice,
        "url": url,
        "images": notice.files.filter(is_image=True).order_by("pk"),
        "is_public": is_public(notice),
        "copy_text": f"【{notice.kind.name}】{notice.title}\n{notice.body}\n{url}",
    }
    return render(request, "notices/poster.html", context)


@login_required
def notice_file_get(request, pk: int, file_pk: int):
    """A picture or attachment of a notice in the user's places (a draft's too)."""
    notice = _notice_for(request, pk)
    return serve(get_object_or_404(notice.files, pk=file_pk))


# --- Robots --------------------------------------------------------------------------------------


@login_required
def robot_list(request):
    """The grid groups' WeCom robots in the user's places (keys never shown), and a form to
    set one up."""
    scope = get_scope(request.user)
    if not scope.has_perm("notices.view_robot"):
        raise Http404
    robots = Robot.objects.restrict(request.user, "view").select_related("grid")
    grids = list(
        _places(request.user, "notices.add_robot").filter(kind__in=GRID_KINDS)
        if scope.has_perm("notices.add_robot")
        else []
    )
    form = None
    status = 200
    if grids:
        form = RobotForm(request.POST or None, grids=_labelled(request.user, grids))
        if request.method == "POST":
            if form.is_valid():
                grid = get_object_or_404(
                    Node.objects.restrict(request.user, "view"), pk=form.cleaned_data["grid"]
                )
                try:
                    robot = services.create_robot(
                        actor=request.user,
                        grid=grid,
                        name=form.cleaned_data["name"],
                        key=form.cleaned_data["key"],
                    )
                except ValidationError as exc:
                    form.add_service_errors(exc)
                    status = 400
                else:
                    messages.success(request, _("Set up: %(name)s.") % {"name": robot.name})
                    return redirect("notice-robots")
            else:
                status = 400
    elif request.method == "POST":
        raise Http404
    labels = dict(_labelled(request.user, {robot.grid for robot in robots}))
    rows = [
        {
            "robot": robot,
            "place": labels.get(robot.grid_id, robot.grid.name),
            "may_change": allowed(request.user, Robot, "change", path=robot.grid.path),
        }
        for robot in robots
    ]
    return render(request, "notices/robots.html", {"rows": rows, "form": form}, status=status)


@login_required
@require_POST
def robot_switch(request, pk: int):
    robot = get_object_or_404(Robot.objects.restrict(request.user, "view"), pk=pk)
    try:
        services.update_robot(
            actor=request.user, robot=robot, is_active=request.POST.get("active") == "true"
        )
    except ValidationError as exc:
        for problem in exc.messages:
            messages.error(request, problem)
    return redirect("notice-robots")
