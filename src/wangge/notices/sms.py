"""SMS through a provider chosen by settings.

``WANGGE_SMS_PROVIDER=log`` (the default) writes a line per message in the worker's log —
the message's id and length, never the number or the words (with ``WANGGE_DEBUG`` on, in
development, the words too, so a confirmation code can be typed) — and the delivery is
recorded as such (``DeliveryState.LOGGED``), never as sent: nobody received it. ``http`` POSTs
``{"phone", "text", "client_msg_id"}`` as JSON to ``WANGGE_SMS_URL`` (with
``Authorization: Bearer WANGGE_SMS_TOKEN`` when set): the gateway drops a repeated
``client_msg_id``, so a message retried after a lost answer is not sent twice.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from wangge.notices.choices import Outcome
from wangge.notices.transport import Answer, parse_json, post_json

logger = logging.getLogger(__name__)


class Provider:
    """Sends one SMS and judges the answer."""

    def send(self, *, phone: str, text: str, client_msg_id: str, timeout: float) -> Answer:
        raise NotImplementedError


class LogOnly(Provider):
    """No gateway: the message is written to the log, without the number or the words, and
    recorded as not sent."""

    def send(self, *, phone, text, client_msg_id, timeout):
        logger.info("sms %s: %d characters (log only, not sent)", client_msg_id, len(text))
        if settings.DEBUG:  # development (``make run``): the words, so a code can be typed
            logger.info("sms %s words (development only): %s", client_msg_id, text)
        return Answer(Outcome.LOGGED, code="log", text="no SMS gateway configured: log only")


class HttpGateway(Provider):
    """A JSON gateway: 2xx is sent, 429 waits, other 4xx are refused, 5xx and timeouts are
    tried again."""

    def __init__(self, url: str, token: str = ""):
        if not url:
            raise ImproperlyConfigured("WANGGE_SMS_PROVIDER=http needs WANGGE_SMS_URL")
        self.url = url
        self.token = token

    def send(self, *, phone, text, client_msg_id, timeout):
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        body = {"phone": phone, "text": text, "client_msg_id": client_msg_id}
        result = post_json(self.url, body, timeout=timeout, headers=headers)
        if isinstance(result, Answer):
            return result
        status, answer = result
        data = parse_json(answer)
        code = str(data.get("code", status))
        words = str(data.get("message", "") or data.get("msg", ""))
        if 200 <= status < 300:
            return Answer(Outcome.SENT, http_status=status, code=code, text=words)
        if status == 429:
            return Answer(Outcome.RATE_LIMITED, http_status=status, code=code, text=words)
        return Answer(Outcome.DEAD, http_status=status, code=code, text=words)


def provider() -> Provider:
    name = settings.WANGGE_SMS_PROVIDER
    if name == "log":
        return LogOnly()
    if name == "http":
        return HttpGateway(settings.WANGGE_SMS_URL, settings.WANGGE_SMS_TOKEN)
    raise ImproperlyConfigured(f"unknown WANGGE_SMS_PROVIDER {name!r} (log or http)")
