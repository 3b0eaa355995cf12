"""What every channel's sender shares: the answer it gives the outbox, and a JSON POST over
plain ``urllib`` (the product runs on intranets; nothing beyond the standard library)."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass

from wangge.core.crypto import mask_phone
from wangge.notices.choices import Outcome

ANSWER_LIMIT = 500
_NUMBER = re.compile(r"\d{7,}")
_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


@dataclass
class Answer:
    """A provider's answer, judged: sent, to be retried, rate-limited or refused for good.
    ``wait`` (seconds) is how long a rate limit asks to wait, if it says."""

    outcome: str
    http_status: int | None = None
    code: str = ""
    text: str = ""
    wait: float | None = None

    def __post_init__(self):
        self.code = str(self.code)[:32]
        self.text = scrub(str(self.text))[:ANSWER_LIMIT]


def scrub(text: str) -> str:
    """A provider's words as they may be kept: a phone number or an e-mail address a
    gateway echoes back is masked."""
    text = _NUMBER.sub(lambda match: mask_phone(match.group()), text)
    return _ADDRESS.sub("***@***", text)


def post_json(url: str, body: dict, *, timeout: float, headers: dict | None = None):
    """POST ``body`` as JSON; ``(status, text)``, or an ``Answer`` to retry when the network
    or the server fails (a timeout, a refused connection, a 5xx)."""
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=data,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read(64 * 1024).decode("utf-8", errors="replace")
    except urllib.error.HTTPError as error:
        text = error.read(4096).decode("utf-8", errors="replace") if error.fp else ""
        if error.code >= 500:
            return Answer(
                Outcome.RETRY, http_status=error.code, code=f"http {error.code}", text=text
            )
        return error.code, text
    except TimeoutError:
        return Answer(Outcome.RETRY, code="timeout", text=f"no answer within {timeout:g} s")
    except (urllib.error.URLError, ConnectionError, OSError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, TimeoutError):
            return Answer(Outcome.RETRY, code="timeout", text=f"no answer within {timeout:g} s")
        return Answer(Outcome.RETRY, code="network", text=str(reason))


def parse_json(text: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
