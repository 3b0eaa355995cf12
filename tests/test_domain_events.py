"""A case's change and what the apps above do about it are one transaction (``core.events``):
the step, its audit event and the followers' messages are written together, or none of them.
The sweep's marks are steps too, for staff only."""

import contextlib
import datetime
from pathlib import Path

import pytest
from django.test import Client

from wangge.cases import public_text
from wangge.cases import services as cases
from wangge.cases.models import Case, CaseEvent, Category
from wangge.core import events
from wangge.core.models import AuditEvent
from wangge.demo.district import LVDU_GRID1
from wangge.notices.choices import Channel
from wangge.notices.handlers import followers_hear
from wangge.notices.models import Delivery
from wangge.notices.tests.follows import confirmed_follow

pytestmark = pytest.mark.django_db

NOTES = Path(__file__).resolve().parents[1] / "docs" / "development" / "notes.md"


def _report(actor, node, **options) -> Case:
    """A case taken by phone by staff: accepted and dispatched at once; the reporter's number
    follows it."""
    return cases.report(
        actor=actor,
        channel="phone",
        category=Category.objects.get(tree__is_current=True, code="MD05"),
        description="楼道灯坏了，晚上看不见。",
        grid=node(LVDU_GRID1),
        **options,
    )


@contextlib.contextmanager
def failing_handler(name):
    """A handler of ``name`` that fails, after those of the apps (it is registered last)."""

    def refuse(**_):
        raise RuntimeError("the handler failed")

    events.on(name)(refuse)
    try:
        yield
    finally:
        events._handlers[name].remove(refuse)


def test_notices_handles_every_case_change():
    assert followers_hear in events.handlers(events.CASE_CHANGED)


def test_a_change_writes_its_step_audit_event_and_message_together(user_named, node):
    staff = user_named("community_lvdu")
    case = _report(staff, node, reporter_phone="13800138000")
    case = cases.act(
        actor=staff, case=case, action="finish", note="已更换灯泡，物业垫付。", reply="灯已修好。"
    )
    step = case.events.get(action="finish")
    assert AuditEvent.objects.filter(
        action="cases.case.finish", target_id=str(case.pk), actor=staff
    ).exists()
    sms = Delivery.objects.get(case=case, dedupe_key__startswith=f"case-event:{step.pk}:")
    assert sms.channel == Channel.SMS
    assert "灯已修好" in sms.payload["text"] and "物业垫付" not in sms.payload["text"]


def test_a_failing_handler_refuses_the_change_and_its_message(user_named, node):
    staff = user_named("community_lvdu")
    case = _report(staff, node, reporter_phone="13800138000")
    state = case.state
    counts = [model.objects.count() for model in (CaseEvent, AuditEvent, Delivery)]
    with failing_handler(events.CASE_CHANGED), pytest.raises(RuntimeError):
        cases.act(actor=staff, case=case, action="finish", note="已更换灯泡。")
    # Notices' handler ran first and queued the SMS: it went with the rest.
    assert [model.objects.count() for model in (CaseEvent, AuditEvent, Delivery)] == counts
    assert Case.objects.get(pk=case.pk).state == state


def test_the_sweeps_marks_are_steps_for_staff_only(user_named, node, as_user):
    staff = user_named("community_lvdu")
    case = _report(staff, node, reporter_phone="13800138000")
    confirmed_follow(case=case, phone="13912340000")
    messages = Delivery.objects.filter(case=case).count()
    shown = public_text.public_steps(case)

    cases.sweep(now=case.stage_warn_at + datetime.timedelta(seconds=1))
    yellow = case.events.get(action="marked_yellow")
    assert yellow.actor is None and yellow.actor_name == "" and not yellow.public
    assert yellow.from_state == yellow.to_state == case.state
    audit = AuditEvent.objects.get(action="cases.case.marked_yellow", target_id=str(case.pk))
    assert audit.actor is None and audit.reason == "time limit near"
    assert (audit.before, audit.after) == ({"mark": ""}, {"mark": "yellow"})

    case.refresh_from_db()
    cases.sweep(now=case.stage_deadline + datetime.timedelta(minutes=1))
    red, escalated = case.events.filter(at__gt=yellow.at).order_by("at", "pk")
    assert (red.action, escalated.action) == ("marked_red", "overdue_escalated")
    marked = AuditEvent.objects.get(action="cases.case.marked_red", target_id=str(case.pk))
    assert (marked.before, marked.after) == ({"mark": "yellow"}, {"mark": "red"})
    raised = AuditEvent.objects.get(action="cases.case.overdue_escalated", target_id=str(case.pk))
    assert set(raised.after) == {"level_id", "escalations"}

    # Nothing for the resident: no message to the reporter or the follower, no new step on
    # the tracking page.
    assert Delivery.objects.filter(case=case).count() == messages
    assert public_text.public_steps(case) == shown
    page = Client().get(f"/t/{case.tracking_code}/").content.decode()
    assert "标红" not in page and "标黄" not in page
    # Staff read them on the case's timeline.
    console = as_user("community_lvdu").get(f"/cases/{case.pk}/").content.decode()
    assert "标黄：即将超时" in console and "标红：已超时" in console


def test_the_development_notes_list_every_event_with_its_handlers():
    section = NOTES.read_text(encoding="utf-8").split("\n## Domain events\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    for event in events.EVENTS.values():
        assert f"`{event.name}`" in section
        for key in event.payload:
            assert f"`{key}`" in section, f"{event.name}: payload key {key} not in the notes"
        for handler in events.handlers(event.name):
            name = f"{handler.__module__.removeprefix('wangge.')}.{handler.__name__}"
            assert f"`{name}`" in section, f"{event.name}: handler {name} not in the notes"
