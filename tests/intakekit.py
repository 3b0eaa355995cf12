"""What the intake crash test runs in its own database, as a separate process (the test's
database is a transaction gunicorn and the job workers cannot see):

``python -m tests.intakekit setup`` — a district, a street, a community and two grids, a
district administrator with an API token (printed as JSON);
``… report`` — every case (with the idempotency key that made it) and every delivery of the
outbox with its attempts, as JSON.
"""

import json
import sys

USERNAME = "crash_intake"


def setup() -> None:
    from wangge.accounts import services as accounts
    from wangge.notices.tests import crashkit
    from wangge.territory.models import Node

    crashkit.setup(2)
    user = accounts.create_user(actor=None, username=USERNAME, display_name="crash test")
    district = Node.objects.get(code="410102")
    accounts.add_membership(actor=None, user=user, node=district, role="district_admin")
    key, _token = accounts.issue_token(user=user, name="crash")
    json.dump({"token": key}, sys.stdout)


def report() -> None:
    from wangge.cases.models import Case
    from wangge.core.models import IdempotencyKey
    from wangge.notices.models import Delivery

    keys = IdempotencyKey.objects.filter(operation="case.report")
    deliveries = Delivery.objects.filter(case__isnull=False).prefetch_related("tries")
    json.dump(
        {
            "cases": list(Case.objects.values_list("pk", "description")),
            "keys": [[row.key, int(row.target_id)] for row in keys],
            "deliveries": [
                {
                    "id": delivery.pk,
                    "case": delivery.case_id,
                    "state": delivery.state,
                    "attempts": [
                        {"outcome": attempt.outcome, "answered": attempt.finished_at is not None}
                        for attempt in delivery.tries.all()
                    ],
                }
                for delivery in deliveries.order_by("pk")
            ],
        },
        sys.stdout,
        ensure_ascii=False,
    )


def main(argv: list[str]) -> None:
    import django

    django.setup()
    {"setup": setup, "report": report}[argv[0]]()


if __name__ == "__main__":
    import os

    from tests import pinned

    pinned.follow()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings")
    main(sys.argv[1:])
