"""The notices' public side: a published notice as residents read it (the poster's QR code
and the messages open it), its pictures and attachments, and residents following a grid's
notices or a case by SMS. No sign-in; nothing but what is published."""

import re
import secrets

from django.conf import settings as dj_settings
from django.contrib import messages
from django.core import signing
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from wangge.core.crypto import mask_phone
from wangge.core.errors import ValidationError
from wangge.notices import services
from wangge.notices.choices import NoticeState
from wangge.notices.forms import FollowCodeForm, FollowForm
from wangge.notices.models import Follow, Notice, mask_email
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
# A number given here first gets a code; the follow starts when the code is typed on the page
# the answer leads to (``/follow/<token>/``). The token names the waiting follow, signed.

FOLLOWS_PER_10_MINUTES = 10
CODE_TRIES_PER_10_MINUTES = 20
DEVICE_COOKIE = "wangge_device"
_DEVICE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_TOKEN_SALT = "wangge.notices.follow-confirm"
_TOKEN_DAYS = 2


def _device(request) -> tuple[str, bool]:
    """This browser's device id (a cookie), and whether it is new (to be set)."""
    value = request.COOKIES.get(DEVICE_COOKIE, "")
    if _DEVICE.match(value):
        return value, False
    return secrets.token_urlsafe(18), True


def _with_device(response, device: str, new: bool):
    if new:
        response.set_cookie(
            DEVICE_COOKIE,
            device,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=request_is_secure_setting(),
        )
    return response


def request_is_secure_setting() -> bool:
    return bool(dj_settings.SESSION_COOKIE_SECURE)


def confirm_token(followed) -> str:
    return signing.dumps(followed.pk, salt=_TOKEN_SALT, compress=True)


def _followed_by_token(token: str):
    try:
        pk = signing.loads(token, salt=_TOKEN_SALT, max_age=_TOKEN_DAYS * 24 * 3600)
    except signing.BadSignature:
        raise Http404 from None
    followed = Follow.objects.select_related("grid", "case").filter(pk=pk).first()
    if followed is None or not isinstance(pk, int):
        raise Http404
    return followed


def _back(followed) -> str:
    """The page the resident came from: the case's tracking page or the grid's page."""
    if followed.case_id:
        return f"{reverse('case-track', args=[followed.case.tracking_code])}#follow"
    return f"{reverse('case-report', args=[followed.grid.code])}#follow"


def _throttled(request, key: str, limit: int) -> bool:
    from wangge.accounts.services import client_ip
    from wangge.core import ratelimit

    return not ratelimit.hit(f"{key}:{client_ip(request)}", limit=limit, per_minutes=10)


def _follow(request, *, grid, case=None, back: str):
    """Start (a code to the phone, then the page to type it) or, with ``stop``, end SMS to a
    phone for a grid's notices or a case's progress. Said the same whether or not the number
    was following: nothing is revealed."""
    from wangge.accounts.services import client_ip

    form = FollowForm(request.POST)
    device, new = _device(request)
    answer = redirect(back)
    if _throttled(request, "public-follow", FOLLOWS_PER_10_MINUTES):
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
            followed = services.follow(
                actor=None,
                grid=grid,
                case=case,
                phone=form.cleaned_data["phone"],
                device=device,
                client=client_ip(request) or "",
            )
        except ValidationError as exc:
            for problem in exc.messages:
                messages.error(request, problem)
        except services.TooMany as exc:
            messages.error(request, str(exc))
        else:
            answer = redirect("notice-follow-confirm", token=confirm_token(followed))
    return _with_device(answer, device, new)


@require_POST
def follow_grid(request, grid_code: str):
    grid = Node.objects.filter(code=grid_code, kind__in=GRID_KINDS, is_active=True).first()
    if grid is None:
        raise Http404
    return _follow(request, grid=grid, back=f"{reverse('case-report', args=[grid.code])}#follow")


@require_POST
def follow_case(request, code: str):
    from wangge.cases.models import Case

    case = get_object_or_404(Case.objects.select_related("grid"), tracking_code=code.upper())
    if case.grid is None:
        raise Http404
    back = f"{reverse('case-track', args=[case.tracking_code])}#follow"
    return _follow(request, grid=case.grid, case=case, back=back)


@require_http_methods(["GET", "POST"])
def follow_confirm(request, token: str):
    """Type the code sent to the phone: the follow starts. Or ask for a new code."""
    from wangge.accounts.services import client_ip

    followed = _followed_by_token(token)
    form = FollowCodeForm(request.POST or None)
    device, new = _device(request)
    status = 200
    if request.method == "POST" and followed.ended_at is None and not followed.is_active:
        if request.POST.get("resend"):
            try:
                services.follow(
                    actor=None,
                    grid=followed.grid,
                    case=followed.case,
                    phone=followed.phone,
                    email=followed.email,
                    device=device,
                    client=client_ip(request) or "",
                )
            except (ValidationError, services.TooMany) as exc:
                messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
            else:
                messages.success(request, _("A new code is on its way."))
            return _with_device(redirect(request.path), device, new)
        if _throttled(request, "public-follow-code", CODE_TRIES_PER_10_MINUTES):
            form.add_error(None, _("Too many tries from here just now. Please try later."))
            status = 429
        elif form.is_valid():
            try:
                services.confirm_follow(actor=None, follow=followed, code=form.cleaned_data["code"])
            except ValidationError as exc:
                form.add_service_errors(exc)
                status = 400
            else:
                if followed.case_id:
                    messages.success(request, _("Done: you will get an SMS as it moves on."))
                else:
                    messages.success(request, _("Done: the grid's new notices will come by SMS."))
                return _with_device(redirect(_back(followed)), device, new)
        else:
            status = 400
    context = {
        "followed": followed,
        "address": mask_phone(followed.phone) if followed.phone else mask_email(followed.email),
        "form": form,
        "back": _back(followed),
        "minutes": dj_settings.WANGGE_FOLLOW_CODE_MINUTES,
    }
    return _with_device(
        render(request, "notices/follow_confirm.html", context, status=status), device, new
    )
