"""Following as a resident does it in tests: ask, read the code off the message, type it."""

import re

from django.utils import timezone

from wangge.notices import outbox, services
from wangge.notices.choices import DeliveryState
from wangge.notices.models import Delivery, Follow

_CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")


def code_message(followed: Follow) -> Delivery:
    """The newest confirmation message queued for the follow."""
    return (
        Delivery.objects.filter(follow=followed, dedupe_key__startswith="follow-code:")
        .order_by("-pk")
        .first()
    )


def code_sent_to(followed: Follow) -> str:
    """The six digits of the newest code, read from its message as the phone shows it."""
    return _CODE.search(outbox.text_of(code_message(followed))).group()


def confirmed_follow(**kwargs) -> Follow:
    """``services.follow(actor=None, **kwargs)``, its code delivered and typed back: an active
    follow, with the outbox holding nothing more for it."""
    followed = services.follow(actor=None, **kwargs)
    code = code_sent_to(followed)
    Delivery.objects.filter(pk=code_message(followed).pk).update(
        state=DeliveryState.SENT, sent_at=timezone.now()
    )
    return services.confirm_follow(actor=None, follow=followed, code=code)


def follow_by_page(client, path: str, phone: str) -> Follow:
    """A resident gives a number on a page (``path``: ``/r/<grid>/follow/`` or
    ``/t/<code>/follow/``), is led to the page asking for the code, and types it."""
    from wangge.core import crypto

    response = client.post(path, {"phone": phone})
    assert response.status_code == 302 and response["Location"].startswith("/follow/")
    waiting = Follow.objects.filter(
        address_hash=crypto.keyed_hash(f"phone:{phone}"), is_active=False, ended_at=None
    ).latest("pk")
    answer = client.post(response["Location"], {"code": code_sent_to(waiting)})
    assert answer.status_code == 302 and answer["Location"].endswith("#follow"), answer
    waiting.refresh_from_db()
    assert waiting.is_active
    return waiting
