"""A real Wangge server for the browser tests and the screenshots, with its own demo data.

Each run gets a throwaway ``WANGGE_VAR_DIR`` (SQLite database, keys, uploads), so the shared
demo data and the test database are never touched. Its database is a copy of the test
database as the demo left it (``copy_of``, with the test process's field keys and password
hasher), or, where there is none to copy (the suite on PostgreSQL), built by ``wangge migrate``
and ``wangge demo``; then ``wangge runserver`` on a free port — each with its clock pinned to
the tests' moment (``tests/pinned.py``), so the pages show the same year of cases on any day.
"""

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from tests import pinned

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PASSWORD = "wangge-demo"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
SIZES = {"phone": PHONE, "desktop": DESKTOP}
TWO_FRAMES = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
# Browsers in China ask for Chinese; Chromium's default (en-US) would get the English pages.
LOCALE = "zh-CN"

# Where the browser tests leave their screenshots: a scratch folder, unless
# ``WANGGE_SHOTS=docs/screenshots`` (what ``make screenshots`` sets) asks for the documentation's.
SHOTS = Path(os.environ.get("WANGGE_SHOTS") or Path(tempfile.gettempdir()) / "wangge-shots")
SHOTS.mkdir(parents=True, exist_ok=True)
# The pictures themselves are taken only when asked for (``WANGGE_SHOTS=…``, which ``make
# screenshots`` sets; ``WANGGE_SHOTS=/tmp/shots make test`` for a run's): a full-page
# screenshot costs about a second, and a run of the suite looks at none of them. What the
# tests check beside a picture (no sideways scrolling, no console error) is checked either way.
TAKE_PICTURES = bool(os.environ.get("WANGGE_SHOTS"))


def picture(target, path, **options) -> None:
    """``target.screenshot(path=path, **options)`` — when pictures are asked for."""
    if TAKE_PICTURES:
        target.screenshot(path=path, **options)


# ``wangge`` with its clock pinned (``python -m tests.pinned``), run from the repository.
WANGGE = [sys.executable, "-m", "tests.pinned"]
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:
            return json.load(response) == {"status": "ok"}
    except (OSError, ValueError, urllib.error.URLError):
        return False


@contextlib.contextmanager
def demo_server(
    var_dir: Path, *, copy_of: Path | None = None, field_keys: list[str] = (), timeout: float = 60
) -> Iterator[str]:
    """Serve the demo district from ``var_dir``, yield the base URL, then stop.

    ``copy_of``: a SQLite file holding the demo, encrypted with ``field_keys`` and with the
    tests' password hashes, served as it is; without it the demo is built in ``var_dir``."""
    env = pinned.environ({**os.environ, "WANGGE_VAR_DIR": str(var_dir), "WANGGE_DEBUG": "1"})
    env.pop("DATABASE_URL", None)  # always SQLite in var_dir, whatever the suite runs on
    env["DJANGO_SETTINGS_MODULE"] = "tests.browser.server_settings"
    if copy_of is not None:
        os.replace(copy_of, var_dir / "wangge.sqlite3")
        env["WANGGE_FIELD_KEY"] = ",".join(field_keys)
    log = var_dir / "server.log"

    def run(*args: str) -> None:
        with log.open("a") as out:
            subprocess.run([*WANGGE, *args], env=env, cwd=ROOT, stdout=out, stderr=out, check=True)

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env["WANGGE_SITE_URL"] = base_url  # the links in notices and messages, as `make run`
    if copy_of is None:
        run("migrate", "--noinput", "-v0")
        run("demo")
    with log.open("a") as out:
        server = subprocess.Popen(
            [*WANGGE, "runserver", "--noreload", f"127.0.0.1:{port}"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + timeout
        while not healthy(base_url):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start; see {log}:\n{log.read_text()}")
            time.sleep(0.2)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def launch(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def size_of(page) -> str:
    """The size ``page`` is at: "phone" or "desktop"."""
    return next(size for size, viewport in SIZES.items() if viewport == page.viewport_size)


def both_sizes(page) -> Iterator[str]:
    """``for size in both_sizes(page):`` → "phone" and "desktop", ``page`` resized to each (its
    own size first), then back to its own size: a step walked once, at the size its person
    uses, is still looked at (and pictured) at both."""
    own = page.viewport_size
    for size in sorted(SIZES, key=lambda name: SIZES[name] != own):
        if page.viewport_size != SIZES[size]:
            resize(page, SIZES[size])
        yield size
    if page.viewport_size != own:
        resize(page, own)


def resize(page, viewport) -> None:
    """Resize ``page``, then let two frames pass: what watches its size (a chart's
    ResizeObserver, a map) has been redrawn."""
    page.set_viewport_size(viewport)
    page.evaluate(TWO_FRAMES)


def sign_in(page, base_url: str, username: str, password: str = PASSWORD) -> None:
    """Sign in through the form, as a person would."""
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
