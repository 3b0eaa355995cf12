"""Domain events: declared once, handled in the emitting transaction, payload checked."""

import pytest
from django.db import transaction

from wangge.core import events


@pytest.fixture
def event():
    """A declared event of the test's own, forgotten afterwards."""
    name = events.declare("test.thing.happened", "For this test.", thing="what happened")
    yield name
    events.EVENTS.pop(name)
    events._handlers.pop(name, None)


def test_handlers_get_the_payload_in_order(event):
    heard = []
    events.on(event)(lambda *, thing, **_: heard.append(("first", thing)))
    events.on(event)(lambda *, thing, **_: heard.append(("second", thing)))
    events.emit(event, thing="a lift stopped")
    assert heard == [("first", "a lift stopped"), ("second", "a lift stopped")]


def test_a_handler_registered_twice_runs_once(event):
    heard = []

    def handler(*, thing, **_):
        heard.append(thing)

    events.on(event)(handler)
    events.on(event)(handler)
    events.emit(event, thing="x")
    assert heard == ["x"]
    assert events.handlers(event) == [handler]


def test_the_payload_must_be_as_declared(event):
    with pytest.raises(TypeError, match="missing"):
        events.emit(event)
    with pytest.raises(TypeError, match="unknown"):
        events.emit(event, thing="x", other="y")


def test_undeclared_events_are_refused():
    with pytest.raises(LookupError):
        events.emit("no.such.event")
    with pytest.raises(LookupError):
        events.on("no.such.event")
    with pytest.raises(ValueError):
        events.declare(events.CASE_CHANGED, "again")


@pytest.mark.django_db
def test_a_failing_handler_refuses_the_change(event):
    from wangge.core.models import Counter

    def refuse(**_):
        raise RuntimeError("the handler failed")

    events.on(event)(refuse)
    with pytest.raises(RuntimeError), transaction.atomic():
        Counter.objects.create(name="test.events", value=1)
        events.emit(event, thing="x")
    assert not Counter.objects.filter(name="test.events").exists()
