"""Jobs as rows: claimed by one worker, re-claimed when a worker dies, failures recorded."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from wangge.accounts.jobs import purge_login_attempts
from wangge.accounts.models import LoginAttempt
from wangge.core import jobs
from wangge.core.housekeeping import purge
from wangge.core.models import IdempotencyKey, Job

pytestmark = pytest.mark.django_db


@pytest.fixture
def handlers():
    calls = []

    def ok(job):
        calls.append(job.pk)
        return {"echo": job.params.get("value")}

    def broken(job):
        raise ValueError("the file vanished")

    jobs.handler("test.ok")(ok)
    jobs.handler("test.broken")(broken)
    yield calls
    jobs.HANDLERS.pop("test.ok")
    jobs.HANDLERS.pop("test.broken")


def test_a_failing_job_is_recorded_and_the_worker_goes_on(handlers):
    broken = jobs.enqueue(kind="test.broken", params={})
    fine = jobs.enqueue(kind="test.ok", params={"value": 7})
    assert jobs.work(once=True) == 2
    broken.refresh_from_db()
    fine.refresh_from_db()
    assert broken.state == "failed" and broken.error.startswith("ValueError: the file vanished")
    assert fine.state == "done" and fine.result == {"echo": 7}


def test_a_job_whose_worker_died_is_claimed_again_then_given_up(handlers):
    job = jobs.enqueue(kind="test.ok", params={})
    claimed = jobs.claim_next("worker-a")
    assert claimed.pk == job.pk and jobs.claim_next("worker-b") is None  # leased
    Job.objects.filter(pk=job.pk).update(lease_until=timezone.now() - datetime.timedelta(1))
    assert jobs.claim_next("worker-b").lease_owner == "worker-b"
    Job.objects.filter(pk=job.pk).update(
        lease_until=timezone.now() - datetime.timedelta(1), attempts=jobs.MAX_ATTEMPTS
    )
    assert jobs.claim_next("worker-c") is None
    job.refresh_from_db()
    assert job.state == "failed" and "gave up" in job.error
    assert handlers == []


def test_the_worker_command_runs_what_waits(handlers, capsys):
    jobs.enqueue(kind="test.ok", params={})
    call_command("worker", "--once")
    assert "after 1 job(s)" in capsys.readouterr().out
    assert len(handlers) == 1


def test_unknown_kinds_are_refused():
    with pytest.raises(ValueError):
        jobs.enqueue(kind="no.such.kind", params={})


def test_housekeeping_purges_old_rows_only():
    old = timezone.now() - datetime.timedelta(days=400)
    stale = LoginAttempt.objects.create(username="someone", succeeded=False)
    LoginAttempt.objects.filter(pk=stale.pk).update(at=old)
    fresh = LoginAttempt.objects.create(username="someone", succeeded=False)
    key = IdempotencyKey.objects.create(key="k", operation="x", target_type="t", target_id="1")
    IdempotencyKey.objects.filter(pk=key.pk).update(created_at=old)
    assert purge() == {"idempotency_keys": 1, "rate_limit_windows": 0}
    assert purge_login_attempts() == 1
    assert LoginAttempt.objects.filter(pk=fresh.pk).exists()
    assert {"wangge.accounts.jobs.purge_login_attempts", "wangge.core.housekeeping.purge"} <= set(
        jobs.PERIODIC
    )


def test_notifications_are_the_users_own(api_as, user_named):
    from wangge.core.models import Notification

    mine = Notification.objects.create(user=user_named("community_lvdu"), text="案件已超时")
    other = Notification.objects.create(user=user_named("gridworker_lvdu1"), text="别人的")
    client = api_as("community_lvdu")
    ids = [n["id"] for n in client.get("/api/v1/notifications", {"unread": True}).json()["items"]]
    assert ids[0] == mine.pk and other.pk not in ids
    assert client.post(f"/api/v1/notifications/{mine.pk}/read").json()["read_at"]
    ids = [n["id"] for n in client.get("/api/v1/notifications", {"unread": True}).json()["items"]]
    assert mine.pk not in ids
    assert client.post(f"/api/v1/notifications/{other.pk}/read").status_code == 404


def test_reading_a_notification_is_recorded_once(api_as, user_named):
    from wangge.core.models import AuditEvent, Notification

    note = Notification.objects.create(user=user_named("community_lvdu"), text="案件已超时")
    client = api_as("community_lvdu")
    first = client.post(f"/api/v1/notifications/{note.pk}/read").json()["read_at"]
    assert client.post(f"/api/v1/notifications/{note.pk}/read").json()["read_at"] == first
    events = AuditEvent.objects.filter(
        action="core.notification.read", target_type="core.notification", target_id=str(note.pk)
    )
    assert [event.actor.username for event in events] == ["community_lvdu"]
    assert (
        api_as("gridworker_lvdu1").post(f"/api/v1/notifications/{note.pk}/read").status_code == 404
    )
    assert events.count() == 1
