"""Users, memberships, sign-in with throttling, and API tokens."""

from __future__ import annotations

import datetime
import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext

from wangge.accounts.choices import Door, Role
from wangge.accounts.models import ApiToken, LoginAttempt, Membership, User
from wangge.core import audit, inputs
from wangge.core.errors import ValidationError
from wangge.core.scope import forget_scope
from wangge.core.services import check_scope

if TYPE_CHECKING:
    from wangge.territory.models import Node


class Throttled(Exception):
    """Too many failed sign-ins; try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


def client_ip(request: HttpRequest) -> str | None:
    """The client's address. Behind ``WANGGE_PROXY_COUNT`` trusted reverse proxies it is the
    address that many hops from the right of ``X-Forwarded-For`` (the rest can be forged)."""
    proxies = settings.WANGGE_PROXY_COUNT
    if proxies:
        hops = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [hop for hop in hops if hop]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def _check_throttle(username: str, ip: str | None) -> None:
    window = datetime.timedelta(seconds=settings.WANGGE_LOGIN_WINDOW_SECONDS)
    since = timezone.now() - window
    failures = LoginAttempt.objects.filter(at__gte=since, succeeded=False)
    by_user = failures.filter(username=username.lower()[:150])
    limits = [(by_user, settings.WANGGE_LOGIN_MAX_FAILURES_PER_USER)]
    if ip:
        limits.append((failures.filter(ip=ip), settings.WANGGE_LOGIN_MAX_FAILURES_PER_IP))
    for attempts, limit in limits:
        if attempts.count() >= limit:
            oldest = attempts.order_by("-at")[limit - 1].at
            retry = int((oldest + window - timezone.now()).total_seconds()) + 1
            raise Throttled(max(retry, 1))


def sign_in(
    request: HttpRequest,
    *,
    username: str,
    password: str,
    door: str = Door.PAGE,
    staff_only: bool = False,
) -> User | None:
    """Check a password, refusing when too many recent attempts failed. The one way in: the
    sign-in page, the API's token and the admin's login all come here (``door`` says which),
    so they count the same failures and lock the same account.

    Returns the user, or ``None`` for a wrong name or password (or, with ``staff_only``, an
    account that may not use the admin); raises ``Throttled``.
    """
    username = (username or "").strip()
    ip = client_ip(request)
    _check_throttle(username, ip)
    user = authenticate(request, username=username, password=password)
    if user is not None and staff_only and not user.is_staff:
        user = None
    # The name as typed is kept for the record (a name longer than any account's is cut to
    # the column: no account has it, so nothing is lost).
    LoginAttempt.objects.create(
        username=username.lower()[:150], ip=ip, succeeded=bool(user), door=door
    )
    if user is not None:
        audit.record(
            actor=user, action="accounts.user.signed_in", target=user, after={"door": door}
        )
    return user


@transaction.atomic
def issue_token(*, user: User, name: str = "") -> tuple[str, ApiToken]:
    """A new bearer token for ``user``; the key is returned once and stored only hashed."""
    errors: dict[str, str] = {}
    inputs.check_lengths(errors, ApiToken, {"name": name})
    if errors:
        raise ValidationError(errors)
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key_hash=ApiToken.hash_key(key),
        prefix=key[:8],
        expires_at=timezone.now() + datetime.timedelta(days=settings.WANGGE_TOKEN_TTL_DAYS),
    )
    audit.record(
        actor=user,
        action="accounts.token.issued",
        target=token,
        after={"prefix": token.prefix, "name": token.name, "expires_at": token.expires_at},
    )
    return key, token


@transaction.atomic
def revoke_token(*, actor: User, token: ApiToken) -> None:
    if token.user_id != actor.pk and not actor.is_superuser:
        raise ValidationError({"token": gettext("Only your own tokens can be revoked")})
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(actor=actor, action="accounts.token.revoked", target=token)


def user_for_token(key: str) -> User | None:
    """The active user a bearer token belongs to, or ``None``."""
    if not key:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True)
        .first()
    )
    now = timezone.now()
    if token is None or not token.user.is_active:
        return None
    if token.expires_at and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at > datetime.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.user.api_token = token
    return token.user


@transaction.atomic
def create_user(
    *,
    actor: User | None,
    username: str,
    display_name: str = "",
    password: str | None = None,
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    if User.objects.filter(username=username).exists():
        raise ValidationError(
            {"username": gettext("User name %(name)s exists already") % {"name": username}}
        )
    user = User(
        username=username,
        display_name=display_name,
        is_staff=is_staff,
        is_superuser=is_superuser,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit.record(
        actor=actor,
        action="accounts.user.created",
        target=user,
        after={"username": username, "display_name": display_name, "is_staff": is_staff},
    )
    return user


@transaction.atomic
def add_membership(
    *, actor: User | None, user: User, node: Node, role: str, title: str = ""
) -> Membership:
    """Give ``user`` a role on ``node``; the actor must be able to manage that node."""
    check_scope(actor, Membership(), "add", path=node.path)
    if role not in Role.values:
        raise ValidationError({"role": gettext("Unknown role")})
    membership, created = Membership.objects.get_or_create(
        user=user, node=node, role=role, defaults={"title": title}
    )
    if not created and not membership.is_active:
        membership.is_active = True
        membership.save(update_fields=["is_active"])
    forget_scope(user)
    audit.record(
        actor=actor,
        action="accounts.membership.added",
        target=membership,
        node=node,
        after={"user": user.username, "role": role, "node": node.code, "title": title},
    )
    return membership


@transaction.atomic
def end_membership(*, actor: User | None, membership: Membership, reason: str = "") -> Membership:
    check_scope(actor, membership, "change", path=membership.node.path)
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    forget_scope(membership.user)
    audit.record(
        actor=actor,
        action="accounts.membership.ended",
        target=membership,
        node=membership.node,
        reason=reason,
    )
    return membership
