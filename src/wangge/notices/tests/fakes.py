"""Fakes of the outside services on loopback: a WeCom webhook and an SMS gateway that record
every request and answer as a test tells them; a clock a test moves by hand."""

from __future__ import annotations

import datetime
import json
import threading
import time
import urllib.parse
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# How the fake answers, by name: (HTTP status, JSON body, seconds to wait first).
ANSWERS = {
    "ok": (200, {"errcode": 0, "errmsg": "ok"}, 0.0),
    "rate": (200, {"errcode": 45009, "errmsg": "api freq out of limit"}, 0.0),
    "invalid": (200, {"errcode": 93000, "errmsg": "invalid webhook url"}, 0.0),
    "bad_key": (200, {"errcode": 40008, "errmsg": "invalid message type"}, 0.0),
    "500": (500, {"error": "internal"}, 0.0),
    "slow": (200, {"errcode": 0, "errmsg": "ok"}, 2.0),
    "sms_ok": (200, {"code": "0", "message": "accepted"}, 0.0),
    "sms_refused": (400, {"code": "E_PHONE", "message": "bad number"}, 0.0),
}


@dataclass
class Request:
    key: str
    body: dict
    headers: dict
    received: float  # time.time() when the request arrived
    answered: float = 0.0  # … and when its answer was written
    status: int = 0

    @property
    def content(self) -> str:
        """The words of a robot message (any type), or an SMS's text."""
        kind = self.body.get("msgtype")
        if kind in ("text", "markdown"):
            return self.body[kind]["content"]
        if kind == "news":
            return self.body["news"]["articles"][0]["title"]
        return self.body.get("text", "")


@dataclass
class FakeServer:
    """Answers each request with the next answer planned for its key (``?key=`` for WeCom,
    the ``phone`` for the SMS gateway), else with ``default``."""

    default: str = "ok"
    requests: list[Request] = field(default_factory=list)
    plans: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))
    slow_seconds: float | None = None

    def __post_init__(self):
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/send"

    def plan(self, key: str, *answers: str) -> None:
        with self.lock:
            self.plans[key].extend(answers)

    def for_key(self, key: str) -> list[Request]:
        return [request for request in self.requests if request.key == key]

    def _answer_for(self, key: str) -> tuple[int, dict, float]:
        with self.lock:
            planned = self.plans.get(key)
            name = planned.popleft() if planned else self.default
        status, body, delay = ANSWERS[name]
        if name == "slow" and self.slow_seconds is not None:
            delay = self.slow_seconds
        return status, body, delay

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                received = time.time()
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
                key = query.get("key", [""])[0] or str(body.get("phone", ""))
                request = Request(key=key, body=body, headers=dict(self.headers), received=received)
                with fake.lock:
                    fake.requests.append(request)
                status, answer, delay = fake._answer_for(key)
                if delay:
                    time.sleep(delay)
                data = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up waiting (a timeout under test)
                    pass
                request.answered, request.status = time.time(), status

            def log_message(self, format, *args):  # keep the test output quiet
                pass

        return Handler


class Clock:
    """``clock()`` is the time a test says; ``advance(seconds)`` moves it on."""

    def __init__(self, start: datetime.datetime):
        self.now = start

    def __call__(self) -> datetime.datetime:
        return self.now

    def advance(self, seconds: float) -> datetime.datetime:
        self.now += datetime.timedelta(seconds=seconds)
        return self.now


def most_in_any_window(times: list[float], seconds: float) -> int:
    """The most of ``times`` (seconds) falling within any window of ``seconds``."""
    ordered = sorted(times)
    most, start = 0, 0
    for end, moment in enumerate(ordered):
        while moment - ordered[start] >= seconds:
            start += 1
        most = max(most, end - start + 1)
    return most
