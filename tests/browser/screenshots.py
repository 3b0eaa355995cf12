"""Screenshots of the pages so far, at phone and desktop size, into docs/screenshots/.

    .venv/bin/python -m tests.browser.screenshots [--out docs/screenshots]

Starts a demo server with throwaway data (as the browser tests do), signs in through the form
as the personas below, and writes ``<page>-phone.png`` (390×844) and ``<page>-desktop.png``
(1440×900), both of the full page. It prints, per shot, whether the page scrolls sideways and
any console errors, so a look at the pictures can start from there.
"""

import argparse
import sys
import tempfile
from pathlib import Path

from openpyxl import Workbook
from playwright.sync_api import sync_playwright

from tests.browser import server as srv

REPO = Path(__file__).resolve().parents[2]
SIZES = srv.SIZES
# Each demo persona's home page: ``home-<role>-phone.png`` and ``home-<role>-desktop.png``
# (the grid worker's phone home, /m/, is ``phone-tasks``).
HOMES = {
    "district": "district",
    "street": "street_zyxl",
    "community": "community_lvdu",
    "gridleader": "gridleader_lvdu",
    "gridworker": "gridworker_lvdu1",
    "gridworker-next-door": "gridworker_lvdu2",
    "gridworker-guanlan": "gridworker_guanlan1",
    "partymember": "partymember_lvdu",
}


def watch(page) -> list[str]:
    """The console errors and uncaught exceptions of ``page``, as they come."""
    errors = []

    def on_console(message):
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def bad_import(page, base_url, folder: Path) -> str:
    """Upload a persons file with one bad ID number; return the job page's path."""
    book = Workbook()
    book.active.append(["姓名", "身份证号", "网格编码"])
    book.active.append(["测试甲", "", "410102010003001"])
    book.active.append(["测试乙", "410102199013011234", "410102010003001"])
    path = folder / "人员.xlsx"
    book.save(path)
    page.goto(f"{base_url}/import/")
    page.get_by_label("导入内容").select_option(label="人员")
    page.get_by_label("文件（.xlsx 或 .csv）").set_input_files(path)
    page.get_by_role("button", name="上传并检查").click()
    page.wait_for_load_state()
    return page.url.removeprefix(base_url)


def found_keys(page, base_url) -> str:
    """Record two bunches of keys found in the persona's first grid; return the item's path."""
    page.goto(f"{base_url}/found/new/")
    page.get_by_label("拾到的物品", exact=True).fill("两串钥匙")
    page.get_by_label("拾到地点", exact=True).fill("绿都城1号门")
    grid = page.locator("select[name=grid] option", has_text="第1网格").first
    page.get_by_label("网格", exact=True).select_option(grid.get_attribute("value"))
    page.get_by_label("保管地点", exact=True).fill("绿都社区党群服务中心")
    page.get_by_role("button", name="登记", exact=True).click()
    page.wait_for_url(f"{base_url}/found/*/")
    return page.url.removeprefix(base_url)


def show_map(page, popup_of: str | None = None) -> None:
    """Wait until the map has drawn its layers (and the clusters settled); open a grid's
    popup through "Find a grid"."""
    page.wait_for_selector("#map[data-loaded]", state="attached")
    if popup_of:
        page.locator("#map-grid").select_option(label=popup_of)
        page.locator(".leaflet-popup-content").wait_for()
    page.wait_for_timeout(800)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args(argv)
    if not srv.CHROMIUM.exists():
        print(f"{srv.CHROMIUM} is absent: no screenshots", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="wangge-shots-") as tmp,
        srv.demo_server(Path(tmp)) as base_url,
        sync_playwright() as playwright,
    ):
        browser = srv.launch(playwright)
        states = {}
        for username in HOMES.values():
            context = browser.new_context(locale=srv.LOCALE)
            page = context.new_page()
            srv.sign_in(page, base_url, username)
            states[username] = context.storage_state()
            if username == "community_lvdu":
                job_path = bad_import(page, base_url, Path(tmp))
                page.goto(f"{base_url}/cases/?state=dispatched")
                case_path = page.locator("table.cases tbody a").first.get_attribute("href")
                found_path = found_keys(page, base_url)
                page.goto(f"{base_url}/registry/households/")
                household_path = page.locator("table.households tbody a").first.get_attribute(
                    "href"
                )
                page.goto(f"{base_url}/registry/persons/")
                person_path = page.locator("table.persons tbody a").first.get_attribute("href")
                page.goto(f"{base_url}/notices/?state=published")
                notice_path = page.locator("table.notices tbody a").first.get_attribute("href")
            context.close()

        # (file name, persona, path)
        shots = [
            ("login", None, "/accounts/login/"),
            *((f"home-{role}", username, "/") for role, username in HOMES.items()),
            ("import", "community_lvdu", "/import/"),
            ("import-job", "community_lvdu", job_path),
            ("audit", "district", "/audit/"),
            ("map-community", "community_lvdu", "/map/"),
            ("map-grid", "community_lvdu", "/map/"),
            ("map-gridworker", "gridworker_lvdu1", "/map/"),
            ("cases", "community_lvdu", "/cases/"),
            ("case-detail", "community_lvdu", case_path),
            ("case-new", "community_lvdu", "/cases/new/"),
            ("found-list", "community_lvdu", "/found/"),
            ("found-detail", "community_lvdu", found_path),
            ("registry", "community_lvdu", "/registry/"),
            ("registry-grid", "community_lvdu", "/registry/nodes/410102010003001/"),
            ("registry-household", "community_lvdu", household_path),
            ("registry-person", "community_lvdu", person_path),
            ("notices", "community_lvdu", "/notices/"),
            ("notice-new", "community_lvdu", "/notices/new/"),
            ("notice-detail", "community_lvdu", notice_path),
            ("notice-poster", "community_lvdu", f"{notice_path}poster/"),
            ("notice-robots", "community_lvdu", "/notices/robots/"),
            ("notice-public", None, notice_path.replace("/notices/", "/n/")),
            ("phone-tasks", "gridworker_lvdu1", "/m/"),
            ("phone-report", "gridworker_lvdu1", "/m/report/"),
            ("phone-grid", "gridworker_lvdu1", "/m/grid/"),
            ("phone-grid-district", "district", "/m/grid/"),
            ("phone-grid-street", "street_zyxl", "/m/grid/?grid=410102010003"),
            ("resident-report", None, "/r/410102010003001/"),
            ("dashboard-community", "community_lvdu", "/dashboard/"),
            ("dashboard-district", "district", "/dashboard/?months=24"),
        ]
        for name, username, path in shots:
            for size, viewport in SIZES.items():
                context = browser.new_context(
                    viewport=viewport,
                    locale=srv.LOCALE,
                    storage_state=states[username] if username else None,
                )
                page = context.new_page()
                errors = watch(page)
                page.goto(f"{base_url}{path}")
                page.wait_for_load_state("networkidle")
                if name.startswith("dashboard-"):
                    page.wait_for_function(
                        "() => [...document.querySelectorAll('[data-chart]')]"
                        ".every(c => c.dataset.drawn === 'yes' && c.querySelector('canvas'))"
                    )
                if name.startswith("map-"):
                    show_map(page, popup_of="绿都社区 第1网格" if name == "map-grid" else None)
                file = args.out / f"{name}-{size}.png"
                page.screenshot(path=file, full_page=True)
                scroll, window = page.evaluate(
                    "[document.documentElement.scrollWidth, window.innerWidth]"
                )
                print(file.relative_to(REPO) if file.is_relative_to(REPO) else file)
                if scroll > window:
                    print(f"  warning: scrolls sideways ({scroll}px in {window}px)")
                for error in errors:
                    print(f"  warning: console error: {error}")
                context.close()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
