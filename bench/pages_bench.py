"""Page weight: the JavaScript and CSS each page loads, gzip-compressed, against its budget.

The demo district is built in a throwaway database; each page is fetched through Django's
test client as the persona who uses it (a grid worker for the phone pages, nobody for the
residents' pages, community staff for the console), its ``<link rel="stylesheet">`` and
``<script src>`` files are found through the static files finders and compressed with gzip
at level 6 (what nginx and whitenoise serve). The page's HTML and the data it fetches
afterwards (the map's GeoJSON) are not counted: the budget is for the code a phone must
download and parse. The floor is the layout every page shares (base.html's own files), so
the ratio says how much a page adds to it.

Goals: phone and resident pages under 150 KB, console pages under 400 KB.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client

from figures import Figure, Goal

PHONE_BUDGET_KB = 150
CONSOLE_BUDGET_KB = 400
ASSET = re.compile(
    r'<(?:link[^>]+rel="stylesheet"[^>]+href|script[^>]+src)="(?P<url>/static/[^"?#]+)"'
)


def assets(html: str) -> list[str]:
    return sorted(set(match["url"] for match in ASSET.finditer(html)))


def gzip_size(url: str) -> int:
    path = finders.find(url.removeprefix("/static/"))
    if path is None:
        raise RuntimeError(f"{url}: no such static file")
    return len(gzip.compress(Path(path).read_bytes(), compresslevel=6))


def pages() -> list[tuple[str, str | None, str, int]]:
    """(name, persona, path, budget in KB) of the pages measured."""
    from wangge.accounts.models import User
    from wangge.cases.models import Case
    from wangge.demo.district import LVDU_GRID1

    # A case the console's persona may open, whichever day the demo's year ends on.
    staff = User.objects.get(username="community_lvdu")
    visible = Case.objects.restrict(staff, "view").order_by("pk")
    case = visible.filter(state="dispatched").first() or visible.first()
    return [
        ("phone.tasks", "gridworker_lvdu1", "/m/", PHONE_BUDGET_KB),
        ("phone.report", "gridworker_lvdu1", "/m/report/", PHONE_BUDGET_KB),
        ("phone.grid", "gridworker_lvdu1", "/m/grid/", PHONE_BUDGET_KB),
        ("resident.report", None, f"/r/{LVDU_GRID1}/", PHONE_BUDGET_KB),
        ("resident.track", None, f"/t/{case.tracking_code}/", PHONE_BUDGET_KB),
        ("console.home", "community_lvdu", "/", CONSOLE_BUDGET_KB),
        ("console.cases", "community_lvdu", "/cases/", CONSOLE_BUDGET_KB),
        ("console.case", "community_lvdu", f"/cases/{case.pk}/", CONSOLE_BUDGET_KB),
        ("console.new_case", "community_lvdu", "/cases/new/", CONSOLE_BUDGET_KB),
        ("console.map", "community_lvdu", "/map/", CONSOLE_BUDGET_KB),
        ("console.dashboard", "community_lvdu", "/dashboard/", CONSOLE_BUDGET_KB),
    ]


def run(*, quick: bool, log=print) -> list[Figure]:
    from wangge.accounts.models import User

    log("pages: building the demo district")
    call_command("migrate", verbosity=0)
    call_command("demo", verbosity=0)
    clients: dict[str | None, Client] = {}

    def client_for(username):
        if username not in clients:
            client = Client()
            if username:
                client.force_login(User.objects.get(username=username))
            clients[username] = client
        return clients[username]

    shared = None
    figures = []
    for name, username, path, budget in pages():
        response = client_for(username).get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{path} as {username}: {response.status_code}")
        urls = assets(response.content.decode())
        sizes = {url: gzip_size(url) for url in urls}
        total = sum(sizes.values())
        if shared is None:
            # The layout's own files: those of the console's home page that every page of
            # the console loads.
            home = client_for("community_lvdu").get("/").content.decode()
            shared = sum(gzip_size(url) for url in assets(home))
        log(f"pages: {path} as {username or 'anyone'}: {total / 1024:.1f} KB in {len(urls)} files")
        figures.append(
            Figure(
                name=f"pages.{name}",
                title=f"JS+CSS of {path} ({username or 'resident'}), gzip",
                value=round(total / 1024, 1),
                unit="KB",
                floor=round(shared / 1024, 1),
                floor_title="the console layout's own files (base.html)",
                ratio=round(total / shared, 2) if shared else None,
                ratio_means="page ÷ layout (lower is lighter)",
                goal=Goal(max_value=budget),
                detail={
                    "files": {url: f"{size / 1024:.1f} KB" for url, size in sizes.items()},
                    "budget KB": budget,
                },
            )
        )
    return figures
