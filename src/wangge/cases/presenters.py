"""Cases as the API and pages show them: reporter's phone masked, actions the caller has."""

from __future__ import annotations

from wangge.cases import machine
from wangge.cases.choices import State


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
    from wangge.cases.services import _my_task

    tasks = list(case.tasks.select_related("assignee", "team"))
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
        "actions": machine.available(case, user, task=_my_task(case, user)),
    }
