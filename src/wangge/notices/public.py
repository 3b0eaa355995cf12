"""The notices' public side: a published notice as residents read it (the poster's QR code
and the messages open it), its pictures and attachments, and residents following a grid's
notices or a case by SMS. No sign-in; nothing but what is published."""

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.core.errors import ValidationError
from wangge.notices import services
from wangge.notices.choices import NoticeState
from wangge.notices.forms import FollowForm
from wangge.notices.models import Notice
from wangge.territory.choices import GRID_KINDS
from wangge.territory.models import Node


def is_public(notice: Notice, now=None) -> bool:
    now = now or timezone.now()
    return (
        notice.state == NoticeState.PUBLISHED
        and notice.to_web
        and notice.publish_at is not None
        and notice.publish_at <= now
        and (notice.expires_at is None or notice.expires_at > now)
    )


# --- The notice --------------------------------------------------------------------------------


def notice(request, pk: int):
    """A published notice as residents read it (no sign-in; nothing but the notice)."""
    notice = Notice.objects.select_related("kind", "node").filter(pk=pk).first()
    if notice is None or not is_public(notice):
        raise Http404
    context = {
        "notice": notice,
        "images": notice.files.filter(is_image=True).order_by("pk"),
        "attachments": notice.files.filter(is_image=False).order_by("pk"),
    }
    return render(request, "notices/public.html", context)


def public_file(request, pk: int, file_pk: int):
    """A picture or attachment of a public notice."""
    notice = Notice.objects.filter(pk=pk).first()
    if notice is None or not is_public(notice):
        raise Http404
    return serve(get_object_or_404(notice.files, pk=file_pk))


def serve(stored):
    response = FileResponse(
        stored.file.open("rb"),
        content_type=stored.content_type,
        as_attachment=not stored.is_image,
        filename=stored.name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Residents follow a grid's notices or a case ---------------------------------------------

FOLLOWS_PER_10_MINUTES = 10


def _follow(request, *, grid, case=None):
    """Start (or, with ``stop``, end) SMS to a phone for a grid's notices or a case's
    progress. Said the same whether or not the number was following: nothing is revealed."""
    from wangge.accounts.services import client_ip
    from wangge.core import ratelimit

    form = FollowForm(request.POST)
    if not ratelimit.hit(
        f"public-follow:{client_ip(request)}", limit=FOLLOWS_PER_10_MINUTES, per_minutes=10
    ):
        messages.error(request, _("Too many requests from here just now. Please try later."))
    elif not form.is_valid():
        messages.error(request, _("Give your mobile number."))
    elif form.cleaned_data["stop"]:
        found = services.find_follow(grid=grid, case=case, phone=form.cleaned_data["phone"])
        if found is not None:
            services.unfollow(actor=None, follow=found)
        messages.success(request, _("Done: no more messages to that number."))
    else:
        try:
            services.follow(actor=None, grid=grid, case=case, phone=form.cleaned_data["phone"])
        except ValidationError as exc:
            for problem in exc.messages:
                messages.error(request, problem)
        else:
            if case is None:
                messages.success(request, _("Done: the grid's new notices will come by SMS."))
            else:
                messages.success(request, _("Done: you will get an SMS as it moves on."))


@require_POST
def follow_grid(request, grid_code: str):
    grid = Node.objects.filter(code=grid_code, kind__in=GRID_KINDS, is_active=True).first()
    if grid is None:
        raise Http404
    _follow(request, grid=grid)
    return redirect(f"{reverse('case-report', args=[grid.code])}#follow")


@require_POST
def follow_case(request, code: str):
    from wangge.cases.models import Case

    case = get_object_or_404(Case.objects.select_related("grid"), tracking_code=code.upper())
    if case.grid is None:
        raise Http404
    _follow(request, grid=case.grid, case=case)
    return redirect(f"{reverse('case-track', args=[case.tracking_code])}#follow")
