import logging
import signal

from django.core.management.base import BaseCommand

from wangge.core import jobs


class Command(BaseCommand):
    help = (
        "Run queued jobs (large imports) and the periodic ones (the cases' time-limit sweep "
        "every minute, the hourly purge of expired rows) until stopped; beside them, send "
        "the outbox's messages as they fall due."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run what is waiting, then stop.")
        parser.add_argument("--sleep", type=float, default=1.0, help="Seconds between polls.")

    def handle(self, *args, once=False, sleep=1.0, **options):
        logging.basicConfig(level=logging.INFO)
        stopping = {"now": False}

        def stop(signum, frame):
            stopping["now"] = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"worker {jobs.worker_id()} started")
        count = jobs.work(once=once, idle_sleep=sleep, stop=lambda: stopping["now"])
        self.stdout.write(f"worker stopped after {count} job(s)")
