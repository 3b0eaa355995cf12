"""The outbox against fakes on loopback: a WeCom robot's message sent; rate-limited, then sent
after backing off; a bad key given up at once; a server error and a slow answer tried again;
a burst of 100 paced to 20 a minute (on a clock moved by hand); one worker per row; parts in
order; a worker that died mid-send; SMS through the HTTP gateway and the log."""

import datetime
import itertools
import logging

import pytest

from wangge.accounts.models import User
from wangge.core import jobs
from wangge.demo.district import GUANLAN_GRID1
from wangge.notices import outbox, services, wecom
from wangge.notices.choices import Channel, DeliveryState, Outcome
from wangge.notices.models import Delivery, DeliveryAttempt, NoticeKind, Robot
from wangge.notices.tests.fakes import most_in_any_window
from wangge.notices.tests.follows import confirmed_follow

pytestmark = pytest.mark.django_db


@pytest.fixture
def grid(node):
    return node(GUANLAN_GRID1)  # a grid without the demo's robots


@pytest.fixture
def robot(grid):
    def make(key: str) -> Robot:
        return services.create_robot(actor=None, grid=grid, name=f"群 {key[:6]}", key=key)

    return make


@pytest.fixture
def publish(grid, clock):
    author = User.objects.get(username="district")
    kind = NoticeKind.objects.get(code="outage")

    def out(title="停水通知", body="明天上午8点至12点停水，请提前储水。", **options):
        notice = services.create_notice(
            actor=author, kind=kind, title=title, body=body, nodes=[grid], to_web=False, **options
        )
        return services.publish_notice(actor=author, notice=notice, now=clock())

    return out


def drain(clock, owner="worker-a", limit=50):
    return outbox.drain(owner=owner, clock=clock, limit=limit)


def test_a_message_is_sent_and_its_attempt_recorded(fake_wecom, robot, publish, clock):
    robot("success-key-0001")
    notice = publish()
    assert drain(clock) == 1
    (request,) = fake_wecom.for_key("success-key-0001")
    assert request.body["msgtype"] == "text"
    assert request.content.startswith("【停水停电】停水通知\n明天上午8点")
    delivery = Delivery.objects.get(notice=notice)
    assert delivery.state == DeliveryState.SENT and delivery.sent_at == clock.now
    assert delivery.answer_code == "0" and delivery.attempts == 1
    (attempt,) = delivery.tries.all()
    assert attempt.outcome == Outcome.SENT and attempt.finished_at == clock.now
    assert drain(clock) == 0


def test_a_rate_limit_is_waited_out_for_the_robots_other_messages_too(
    fake_wecom, robot, publish, clock
):
    robot("ratelimited-key-01")
    fake_wecom.plan("ratelimited-key-01", "rate")
    first, second = publish(title="第一条"), publish(title="第二条")
    assert drain(clock) == 1  # 45009: the robot waits a window before trying again
    waiting = Delivery.objects.filter(notice__in=[first, second])
    assert {d.state for d in waiting} == {DeliveryState.PENDING}
    assert {d.next_attempt_at for d in waiting} == {clock.now + datetime.timedelta(seconds=60)}
    assert {d.failures for d in waiting} == {0}
    clock.advance(30)
    assert drain(clock) == 0
    clock.advance(31)
    assert drain(clock) == 2
    assert {d.state for d in waiting.all()} == {DeliveryState.SENT}
    assert [r.content.split("\n")[0] for r in fake_wecom.for_key("ratelimited-key-01")] == [
        "【停水停电】第一条",
        "【停水停电】第一条",
        "【停水停电】第二条",
    ]


@pytest.mark.parametrize("answer", ["invalid", "bad_key"])
def test_an_invalid_key_is_given_up_at_once(fake_wecom, robot, publish, clock, answer):
    bad = robot("no-such-robot-key")
    fake_wecom.plan("no-such-robot-key", answer)
    notice = publish()
    assert drain(clock) == 1
    delivery = Delivery.objects.get(notice=notice)
    assert delivery.state == DeliveryState.DEAD and delivery.attempts == 1
    bad.refresh_from_db()
    assert bad.last_error.startswith(("93000", "40008")) and bad.last_error_at == clock.now
    clock.advance(3600)
    assert drain(clock) == 0 and len(fake_wecom.for_key("no-such-robot-key")) == 1


def test_a_server_error_is_retried_with_growing_waits_then_given_up(
    fake_wecom, robot, publish, clock, settings
):
    settings.WANGGE_DELIVERY_MAX_ATTEMPTS = 3
    settings.WANGGE_DELIVERY_RETRY_SECONDS = 30
    robot("flaky-server-key")
    fake_wecom.plan("flaky-server-key", "500", "500", "500")
    notice = publish()
    delivery = Delivery.objects.get(notice=notice)
    waits = []
    for _ in range(3):
        assert drain(clock) == 1
        delivery.refresh_from_db()
        if delivery.state == DeliveryState.FAILED:
            waits.append((delivery.next_attempt_at - clock.now).total_seconds())
            clock.advance(waits[-1])
    assert waits == [30, 60]
    assert delivery.state == DeliveryState.DEAD and delivery.failures == 3
    assert delivery.answer_code == "http 500"
    assert len(fake_wecom.for_key("flaky-server-key")) == 3


def test_a_server_error_then_success(fake_wecom, robot, publish, clock):
    robot("flaky-once-key-01")
    fake_wecom.plan("flaky-once-key-01", "500")
    notice = publish()
    drain(clock)
    assert Delivery.objects.get(notice=notice).state == DeliveryState.FAILED
    clock.advance(31)
    drain(clock)
    delivery = Delivery.objects.get(notice=notice)
    assert delivery.state == DeliveryState.SENT and delivery.failures == 1
    assert [a.outcome for a in delivery.tries.all()] == [Outcome.RETRY, Outcome.SENT]


def test_a_slow_answer_times_out_and_is_retried(fake_wecom, robot, publish, clock, settings):
    settings.WANGGE_DELIVERY_TIMEOUT_SECONDS = 0.3
    fake_wecom.slow_seconds = 1.0
    robot("slow-server-key-01")
    fake_wecom.plan("slow-server-key-01", "slow")
    notice = publish()
    drain(clock)
    delivery = Delivery.objects.get(notice=notice)
    assert delivery.state == DeliveryState.FAILED and delivery.answer_code == "timeout"
    clock.advance(31)
    drain(clock)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT
    # The timed-out request did arrive: WeCom may show it twice, and the log says why.
    assert len(fake_wecom.for_key("slow-server-key-01")) == 2
    assert [a.code for a in delivery.tries.all()] == ["timeout", "0"]


def test_a_burst_of_100_goes_20_a_minute_and_all_of_it(fake_wecom, robot, publish, clock):
    busy = robot("busy-robot-key-01")
    for number in range(100):
        publish(title=f"通知{number:03d}")
    start = clock.now
    workers = itertools.cycle(["worker-a", "worker-b", "worker-c"])
    for _second in range(400):
        drain(clock, owner=next(workers), limit=7)
        if not Delivery.objects.filter(robot=busy).exclude(state=DeliveryState.SENT).exists():
            break
        clock.advance(1)
    assert Delivery.objects.filter(robot=busy, state=DeliveryState.SENT).count() == 100
    started = [
        (moment - start).total_seconds()
        for moment in DeliveryAttempt.objects.filter(robot=busy).values_list(
            "started_at", flat=True
        )
    ]
    assert len(started) == 100  # nothing tried twice
    assert most_in_any_window(started, 60) == 20
    # Paced, and hardly slower than it must be (each worker sends 7 a turn, a turn a second).
    assert 240 <= max(started) <= 245
    received = fake_wecom.for_key("busy-robot-key-01")
    assert len({request.content for request in received}) == len(received) == 100


def test_one_worker_per_row_and_parts_in_order(fake_wecom, robot, publish, clock):
    robot("parts-robot-key-1")
    notice = publish(body="\n".join(["请提前储水，注意用水安全。" * 60] * 3))
    parts = list(Delivery.objects.filter(notice=notice).order_by("part"))
    assert len(parts) >= 3 and [p.part for p in parts] == list(range(1, len(parts) + 1))
    first = outbox.claim(owner="worker-a", clock=clock)
    assert first.delivery == parts[0]
    assert outbox.claim(owner="worker-b", clock=clock) is None  # leased; part 2 waits for 1
    outbox.send(first, clock=clock)
    second = outbox.claim(owner="worker-b", clock=clock)
    assert second.delivery == parts[1]
    outbox.send(second, clock=clock)
    drain(clock)
    contents = [request.content for request in fake_wecom.for_key("parts-robot-key-1")]
    assert [c.split("\n")[0] for c in contents] == [
        f"({n}/{len(parts)})" for n in range(1, len(parts) + 1)
    ]


def test_a_row_whose_worker_died_is_sent_again_and_the_log_explains(
    fake_wecom, robot, publish, clock, settings
):
    settings.WANGGE_DELIVERY_LEASE_SECONDS = 60
    robot("crash-robot-key-1")
    notice = publish()
    died = outbox.claim(owner="worker-a", clock=clock)
    # worker-a sends, WeCom takes the message, and worker-a dies before it records the answer.
    wecom_answer = wecom_send(died.delivery)
    assert wecom_answer.outcome == Outcome.SENT
    assert outbox.claim(owner="worker-b", clock=clock) is None  # still leased
    clock.advance(61)
    again = outbox.claim(owner="worker-b", clock=clock)
    assert again.delivery.pk == died.delivery.pk
    outbox.send(again, clock=clock)
    delivery = Delivery.objects.get(notice=notice)
    assert delivery.state == DeliveryState.SENT and delivery.attempts == 2
    first, second = delivery.tries.all()
    assert (first.worker, first.outcome, first.finished_at) == ("worker-a", Outcome.ABANDONED, None)
    assert (second.worker, second.outcome) == ("worker-b", Outcome.SENT)
    assert len(fake_wecom.for_key("crash-robot-key-1")) == 2
    assert services.delivery_report(notice)["possibly_repeated"] == 1


def wecom_send(delivery):
    return wecom.send(delivery.robot.key, delivery.payload, timeout=5)


def test_the_worker_loop_sends_what_is_due(fake_wecom, robot, publish):
    robot("loop-robot-key-01")
    notice = publish()
    jobs.work(once=True)
    assert Delivery.objects.get(notice=notice).state == DeliveryState.SENT


def test_wecom_answers_are_judged():
    assert wecom.judge(200, '{"errcode": 0, "errmsg": "ok"}').outcome == Outcome.SENT
    assert wecom.judge(200, '{"errcode": 45009}').outcome == Outcome.RATE_LIMITED
    assert wecom.judge(200, '{"errcode": 93000}').outcome == Outcome.DEAD
    assert wecom.judge(200, '{"errcode": 40058}').outcome == Outcome.DEAD
    assert wecom.judge(200, '{"errcode": 45033}').outcome == Outcome.RETRY
    assert wecom.judge(200, "<html>proxy</html>").outcome == Outcome.RETRY
    assert wecom.judge(429, "").outcome == Outcome.RATE_LIMITED
    assert wecom.judge(403, "").outcome == Outcome.DEAD


# --- SMS -----------------------------------------------------------------------------------------


def test_the_sms_gateway_gets_number_words_and_a_client_message_id(
    fake_gateway, publish, grid, clock
):
    followed = confirmed_follow(grid=grid, phone="13912345678")
    fake_gateway.plan("13912345678", "500")
    notice = publish()
    (delivery,) = Delivery.objects.filter(notice=notice, channel=Channel.SMS)
    assert delivery.follow == followed
    drain(clock)
    clock.advance(31)
    drain(clock)
    first, second = fake_gateway.for_key("13912345678")
    for request in (first, second):
        assert request.body["phone"] == "13912345678"
        assert request.body["client_msg_id"] == f"wangge-{delivery.pk}"  # the gateway drops repeats
        assert "停水通知" in request.body["text"]
        assert request.headers["Authorization"] == "Bearer gateway-token"
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT and delivery.failures == 1
    assert "13912345678" not in str(Delivery.objects.filter(pk=delivery.pk).values().get())


def test_a_refused_number_is_given_up(fake_gateway, publish, grid, clock):
    confirmed_follow(grid=grid, phone="13912345679")
    fake_gateway.plan("13912345679", "sms_refused")
    notice = publish()
    drain(clock)
    delivery = Delivery.objects.get(notice=notice, channel=Channel.SMS)
    assert delivery.state == DeliveryState.DEAD and delivery.answer_code == "E_PHONE"


def test_the_log_only_provider_logs_no_number_and_no_words(publish, grid, clock, caplog):
    confirmed_follow(grid=grid, phone="13912345670")
    notice = publish(body="王阿姨家（3号楼2单元）明天上午停水。")
    with caplog.at_level(logging.DEBUG):
        drain(clock)
    delivery = Delivery.objects.get(notice=notice, channel=Channel.SMS)
    assert delivery.state == DeliveryState.LOGGED
    assert f"wangge-{delivery.pk}" in caplog.text
    assert "13912345670" not in caplog.text and "王阿姨" not in caplog.text


def test_without_a_gateway_a_text_message_is_recorded_never_counted_sent(
    publish, grid, clock, robot, fake_wecom
):
    """No SMS gateway configured (the log provider): the message is recorded as such, its
    attempt too; the report's sums keep it apart from the messages sent."""
    robot("recorded-key-0001")
    confirmed_follow(grid=grid, phone="13912345671")
    notice = publish()
    drain(clock)
    sms = Delivery.objects.get(notice=notice, channel=Channel.SMS)
    assert sms.state == DeliveryState.LOGGED and sms.sent_at is None
    assert sms.tries.get().outcome == Outcome.LOGGED
    assert Delivery.objects.get(notice=notice, channel=Channel.WECOM).state == DeliveryState.SENT
    report = services.delivery_report(notice)
    assert report["total"][DeliveryState.SENT] == 1
    assert report["total"][DeliveryState.LOGGED] == 1
    by_channel = {row["channel"]: row for row in report["by_channel"]}
    assert by_channel["sms"]["sent"] == 0 and by_channel["sms"]["logged"] == 1


def test_a_reminder_for_someone_without_e_mail_is_recorded_not_sent(grid, clock):
    """The log channel (a staff member without an e-mail address) sends nothing either."""
    worker = User.objects.get(username="gridworker_guanlan1")
    delivery = Delivery.objects.create(
        channel=Channel.LOG,
        node=grid,
        user=worker,
        dedupe_key="test:log-only",
        subject="超时提醒",
        payload={"text": "案件已超时"},
        next_attempt_at=clock(),
    )
    drain(clock)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.LOGGED and delivery.sent_at is None


def test_deliveries_recorded_as_sent_before_are_moved_to_recorded(grid, clock):
    """The data migration: the log-only messages once recorded as sent, and the demo's text
    messages, are recorded as not sent; real ones stay sent."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("wangge.notices.migrations.0006_delivery_recorded_not_sent")
    made = {}
    for name, channel, code in (
        ("log", Channel.SMS, "log"),
        ("demo", Channel.SMS, "demo"),
        ("gateway", Channel.SMS, "200"),
        ("robot", Channel.WECOM, "demo"),
    ):
        made[name] = Delivery.objects.create(
            channel=channel,
            node=grid,
            dedupe_key=f"test:migrated:{name}",
            payload={"text": "停水通知"},
            next_attempt_at=clock(),
            state=DeliveryState.SENT,
            answer_code=code,
            sent_at=clock(),
        )
        DeliveryAttempt.objects.create(
            delivery=made[name],
            number=1,
            worker="old",
            started_at=clock(),
            finished_at=clock(),
            outcome=Outcome.SENT,
        )
    migration.recorded_not_sent(apps, None)
    states = {
        name: (Delivery.objects.get(pk=d.pk).state, d.tries.get().outcome)
        for name, d in made.items()
    }
    assert states == {
        "log": ("logged", "logged"),
        "demo": ("logged", "logged"),
        "gateway": ("sent", "sent"),
        "robot": ("sent", "sent"),
    }


def test_what_providers_answer_is_kept_without_numbers_or_addresses(monkeypatch):
    import smtplib

    from django.core.mail import EmailMessage

    from wangge.notices import mail
    from wangge.notices.transport import Answer

    answer = Answer(Outcome.DEAD, text="number 13912345678 refused, write to wang@example.cn")
    assert "13912345678" not in answer.text and "wang@example.cn" not in answer.text
    refused = smtplib.SMTPRecipientsRefused({"wang@example.cn": (550, b"no such user")})
    monkeypatch.setattr(EmailMessage, "send", lambda self: (_ for _ in ()).throw(refused))
    sent = mail.send(address="wang@example.cn", subject="s", text="t", delivery_id=1, timeout=1)
    assert sent.outcome == Outcome.DEAD and "wang" not in sent.text and "550" in sent.text
    down = smtplib.SMTPServerDisconnected("lost wang@example.cn")
    monkeypatch.setattr(EmailMessage, "send", lambda self: (_ for _ in ()).throw(down))
    retry = mail.send(address="wang@example.cn", subject="s", text="t", delivery_id=1, timeout=1)
    assert retry.outcome == Outcome.RETRY and "wang" not in retry.text


def test_a_worker_that_lost_its_lease_keeps_the_log_honest(fake_wecom, robot, publish, clock):
    robot("late-answer-key-1")
    notice = publish()
    slow = outbox.claim(owner="worker-a", clock=clock)
    clock.advance(outbox.lease().total_seconds() + 1)
    fast = outbox.claim(owner="worker-b", clock=clock)  # worker-a looks dead: taken over
    outbox.send(slow, clock=clock)  # … but it was only slow, and its message went
    outbox.send(fast, clock=clock)
    delivery = Delivery.objects.get(notice=notice)
    assert delivery.state == DeliveryState.SENT
    first, second = delivery.tries.all()
    assert first.outcome == Outcome.ABANDONED and first.finished_at is not None
    assert second.outcome == Outcome.SENT
    assert len(fake_wecom.for_key("late-answer-key-1")) == 2
    assert services.delivery_report(notice)["possibly_repeated"] == 1
