"""Cases as the API and pages show them: reporter's phone masked, actions the caller has."""

from __future__ import annotations

from wangge.cases import machine
from wangge.cases.choices import State, TaskState

# A task in these states is no one's to act on (as ``services._my_task`` counts them).
CLOSED_TASK_STATES = {TaskState.DONE, TaskState.CANCELLED, TaskState.RETURNED}


def _user(user):
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "display_name": user.display_name}


def case_data(case) -> dict:
    return {
        "id": case.pk,
        "number": case.number,
        "title": case.title,
        "state": case.state,
        "state_label": str(State(case.state).label),
        "kind": case.kind,
        "urgent": case.urgent,
        "channel": case.channel,
        "category": case.category.name,
        "category_code": case.category.code,
        "grid": case.grid,
        "handler": _user(case.handler),
        "mark": case.mark,
        "address": case.address,
        "lng": case.lng,
        "lat": case.lat,
        "created_at": case.created_at,
        "due_at": case.due_at,
        "stage": case.stage,
        "stage_deadline": case.stage_deadline,
        "closed_at": case.closed_at,
    }


def case_detail(case, user) -> dict:
    tasks = sorted(case.tasks.select_related("assignee", "team"), key=lambda task: task.pk)
    return {
        **case_data(case),
        "description": case.description,
        "attributes": case.attributes,
        "reporter_name": case.reporter_name,
        "reporter_phone": case._meta.get_field("reporter_phone").mask(case.reporter_phone),
        "tracking_code": case.tracking_code,
        "level": case.level,
        "agency": case.agency.name if case.agency_id else None,
        "merged_into": case.merged_into_id,
        "project_ref": case.project_ref,
        "parked_until": case.parked_until,
        "respond_by": case.respond_by,
        "accepted_at": case.accepted_at,
        "dispatched_at": case.dispatched_at,
        "done_at": case.done_at,
        "verified_at": case.verified_at,
        "reopen_count": case.reopen_count,
        "rework_count": case.rework_count,
        "rating": case.rating,
        "rating_comment": case.rating_comment,
        "tasks": [
            {
                "id": task.pk,
                "assignee": _user(task.assignee),
                "team": task.team.name if task.team_id else None,
                "state": task.state,
                "instructions": task.instructions,
                "result": task.result,
                "due_at": task.due_at,
                "signed_at": task.signed_at,
                "done_at": task.done_at,
            }
            for task in tasks
        ],
        "events": list(case.events.all()),
        "extensions": list(case.extensions.all()),
        "actions": machine.available(case, user, task=_mine(case, tasks, user)),
    }


def _mine(case, tasks, user):
    """The caller's open task on the case, from its tasks at hand (``_my_task`` asks the
    database only when a team holds one)."""
    from wangge.cases.services import _my_task

    if user is None:
        return None
    open_tasks = [task for task in tasks if task.state not in CLOSED_TASK_STATES]
    mine = next((task for task in open_tasks if task.assignee_id == user.pk), None)
    if mine is None and any(task.team_id for task in open_tasks):
        return _my_task(case, user)
    return mine
