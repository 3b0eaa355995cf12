"""Open311 clients: the applications that file cases through Open311, each with its key."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext

from wangge.core import audit
from wangge.core.errors import ValidationError
from wangge.core.services import check_scope
from wangge.territory.models import Node

if TYPE_CHECKING:
    from wangge.accounts.models import User
    from wangge.cases.models import Open311Client

# --- Open311 clients -----------------------------------------------------------------------------


def open311_key_hash(key: str) -> str:
    import hashlib

    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def create_open311_client(
    *, actor: User | None, name: str, key: str | None = None, node: Node | None = None
) -> tuple[Open311Client, str]:
    """Let an application file cases through Open311; returns (client, key). The key is
    shown once and stored hashed; ``key`` may be given (the demo's ``demo-open311-key``)."""
    from wangge.cases.models import Open311Client

    check_scope(actor, Open311Client(), "add", path=node.path if node else None)
    key = key or secrets.token_urlsafe(24)
    if Open311Client.objects.filter(key_hash=open311_key_hash(key)).exists():
        raise ValidationError({"key": gettext("This key exists already")})
    client = Open311Client.objects.create(
        name=name, key_hash=open311_key_hash(key), prefix=key[:8], node=node
    )
    audit.record(
        actor=actor,
        action="cases.open311client.created",
        target=client,
        node=node,
        after={"name": name, "prefix": client.prefix},
    )
    return client, key
