import time

from django.conf import settings
from django.core.management.base import BaseCommand

from wangge.demo import build as demo
from wangge.demo.district import ACCOUNTS


class Command(BaseCommand):
    help = "Load the demo district (郑州市中原区), deterministically from a seed."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="Remove all data first.")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if there is already data."
        )
        parser.add_argument("--accounts", action="store_true", help="Only print the demo accounts.")
        parser.add_argument(
            "--yes", action="store_true", help="With --reset: really delete everything."
        )
        parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED)

    def handle(
        self, *args, reset=False, if_empty=False, accounts=False, yes=False, seed=None, **options
    ):
        if accounts:
            self.print_accounts()
            return
        if not demo.is_empty():
            if if_empty:
                self.stdout.write("The database already holds data; the demo was not loaded.")
                return
            if not reset:
                self.stderr.write("The database already holds data. Use --reset to replace it.")
                raise SystemExit(1)
            if not (yes or settings.DEBUG):
                self.stderr.write(
                    "--reset deletes every building, household, person, user and audit event. "
                    "Add --yes if that is what you want."
                )
                raise SystemExit(1)
            demo.reset()
        started = time.perf_counter()
        stats = demo.build(seed=seed, log=lambda message: self.stdout.write(f"  {message}"))
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo district loaded in {time.perf_counter() - started:.1f}s: "
                f"{stats.streets} streets, {stats.communities} communities, {stats.grids} grids, "
                f"{stats.buildings} buildings, {stats.dwellings} dwellings, "
                f"{stats.households} households, {stats.persons} persons, {stats.visits} visits."
            )
        )

    def print_accounts(self):
        self.stdout.write(f"Demo accounts (password: {settings.WANGGE_DEMO_PASSWORD}):")
        for username, display, _role, _where in ACCOUNTS:
            self.stdout.write(f"  {username:<22} {display}")
