from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext
from ninja import Query, Router, Status
from ninja.errors import HttpError
from ninja.pagination import paginate
from ninja.security import HttpBearer, SessionAuth

from wangge.accounts import services
from wangge.accounts.choices import Door
from wangge.accounts.filters import MembershipFilter
from wangge.accounts.models import Membership
from wangge.accounts.schemas import MembershipOut, MeOut, TokenIn, TokenOut
from wangge.core.api import Page, apply_filters, problem
from wangge.core.filters import query_schema

# --- Authentication ------------------------------------------------------------------------------


class BearerAuth(HttpBearer):
    def authenticate(self, request, token):
        user = services.user_for_token(token)
        if user is not None:
            request.user = user
        return user


class ActiveSessionAuth(SessionAuth):
    """The signed-in browser session (with CSRF on writes), as the pages use."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


AUTH = [BearerAuth(), ActiveSessionAuth()]


router = Router(tags=["accounts"])


@router.post("/auth/token", auth=None, response={200: TokenOut, 401: None, 429: None})
def create_token(request, payload: TokenIn):
    """Exchange a user name and password for a bearer token (shown once)."""
    try:
        user = services.sign_in(
            request, username=payload.username, password=payload.password, door=Door.API
        )
    except services.Throttled as exc:
        response = problem(
            429, "Too Many Requests", gettext("Too many failed sign-ins: try again later")
        )
        response["Retry-After"] = str(exc.retry_after)
        return response
    if user is None:
        return problem(401, "Unauthorized", gettext("Wrong user name or password"))
    key, token = services.issue_token(user=user, name=payload.name or "api")
    return {"token": key, "expires_at": timezone.localtime(token.expires_at).isoformat()}


@router.delete("/auth/token", response={204: None})
def revoke_current_token(request):
    """Revoke the token this request was made with."""
    token = getattr(request.user, "api_token", None)
    if token is None:
        raise HttpError(400, gettext("This request was not made with a token"))
    services.revoke_token(actor=request.user, token=token)
    return Status(204, None)


@router.get("/me", response=MeOut)
def me(request):
    """Who the caller is and where they act."""
    user = request.user
    user.memberships_list = list(
        user.memberships.filter(is_active=True).select_related("node", "user")
    )
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.display_name,
        "is_superuser": user.is_superuser,
        "memberships": user.memberships_list,
    }


MembershipQuery = query_schema(MembershipFilter, "MembershipQuery")


@router.get("/memberships", response=list[MembershipOut])
@paginate(Page)
def list_memberships(request, filters: Query[MembershipQuery]):
    """Who holds which role where, within the caller's scope."""
    memberships = (
        Membership.objects.restrict(request.user, "view")
        .filter(is_active=True)
        .select_related("user", "node")
    )
    return apply_filters(MembershipFilter, filters, memberships, request)


@router.get("/memberships/{membership_id}", response=MembershipOut)
def get_membership(request, membership_id: int):
    return get_object_or_404(
        Membership.objects.restrict(request.user, "view").select_related("user", "node"),
        pk=membership_id,
    )
