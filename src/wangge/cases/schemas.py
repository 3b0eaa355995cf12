import datetime
from decimal import Decimal
from typing import Any

from django.db import models
from ninja import Field, Schema

from wangge.cases.choices import Channel, Kind, LimitUnit, Rating
from wangge.cases.models import Case, CaseEvent, Task
from wangge.core import inputs
from wangge.core.schemas import NodeBrief
from wangge.territory.choices import CRS


class CategoryOut(Schema):
    id: int
    code: str
    name: str
    parent_id: int | None
    default_kind: str
    public: bool
    counts_as_problem: bool = Field(
        description="false for praise and thanks: thanked and closed, never in the rates"
    )
    urgent_when: dict[str, Any] = Field(
        description="answers that make a case urgent (it then runs on the urgent limits)"
    )
    agency: str | None = Field(description="the outside agency it is usually handed to")
    urgent_agency: str | None = Field(description="who to call at once when it is urgent")
    duplicate_radius_m: int
    duplicate_window_days: int
    leaf: bool


class QuestionOut(Schema):
    code: str
    label: str
    kind: str
    required: bool
    choices: list[dict[str, Any]]


class LimitOut(Schema):
    stage: str
    urgent: bool = Field(description="the limit of the category's urgent cases")
    amount: Decimal
    unit: str
    warn_ratio: Decimal


class CategoryDetail(CategoryOut):
    questions: list[QuestionOut]
    limits: list[LimitOut]


def _one_of(choices: type[models.TextChoices]) -> str:
    return "one of: " + ", ".join(choices.values)


class CaseIn(Schema):
    category: str = Field(max_length=32, description="category code (or id)")
    description: str = inputs.field(Case, "description")
    title: str = inputs.field(Case, "title", description="made from the description if empty")
    kind: str = Field("", description=f"{_one_of(Kind)}; empty: the category's default")
    channel: str = Field("phone", description=_one_of(Channel))
    grid: int | None = None
    lng: float | None = None
    lat: float | None = None
    crs: str = Field("wgs84", description=f"the coordinates' system, {_one_of(CRS)}")
    address: str = inputs.field(Case, "address")
    building: int | None = None
    reporter_name: str = inputs.field(Case, "reporter_name")
    reporter_phone: str = Field("", max_length=32)
    attributes: dict[str, Any] = {}
    public: bool = False
    reply: str = Field(
        "",
        description="a first answer written for the resident (shown on the tracking page, in"
        " Open311 and in messages); at most 500 characters",
    )


class ActionIn(Schema):
    note: str = inputs.field(CaseEvent, "note", description="internal note, for staff only")
    reply: str = inputs.field(
        CaseEvent,
        "reply",
        description="words written for the resident: the step is then shown on the tracking"
        " page, in Open311 and in messages; at most 500 characters",
    )
    assignees: list[int] = []
    team: int | None = None
    agency: int | None = None
    rating: str = Field("", description=f"{_one_of(Rating)} (close, rate)")
    target: int | None = Field(None, description="case id (merge)")
    category: str | None = Field(
        None, max_length=32, description="category code or id (recategorize)"
    )
    kind: str = Field("", description=f"{_one_of(Kind)} (recategorize)")
    amount: Decimal | None = Field(None, description="time to add (request_extension)")
    unit: str = Field("working_days", description=f"{_one_of(LimitUnit)} (request_extension)")
    extension: int | None = None
    approve: bool | None = None
    project_ref: str = inputs.field(Case, "project_ref")
    parked_until: datetime.date | None = Field(
        None, description="park: when to look at it again (today or later)"
    )


class UserBrief(Schema):
    id: int
    username: str
    display_name: str


class CaseOut(Schema):
    id: int
    number: str
    title: str
    state: str
    state_label: str
    kind: str
    urgent: bool = Field(description="its answers made it urgent: it runs on the short limits")
    channel: str
    category: str
    category_code: str
    grid: NodeBrief
    handler: UserBrief | None
    mark: str
    address: str
    lng: float | None
    lat: float | None
    created_at: datetime.datetime
    due_at: datetime.datetime | None
    stage: str
    stage_deadline: datetime.datetime | None
    closed_at: datetime.datetime | None


class TaskOut(Schema):
    id: int
    assignee: UserBrief | None
    team: str | None
    state: str
    instructions: str
    result: str
    due_at: datetime.datetime | None
    signed_at: datetime.datetime | None
    done_at: datetime.datetime | None


class TaskListOut(TaskOut):
    case_id: int
    case_number: str
    case_title: str

    @staticmethod
    def resolve_assignee(task: Task) -> dict[str, Any] | None:
        user = task.assignee
        if user is None:
            return None
        return {"id": user.pk, "username": user.username, "display_name": user.display_name}

    @staticmethod
    def resolve_team(task: Task) -> str | None:
        return task.team.name if task.team is not None else None

    @staticmethod
    def resolve_case_number(task: Task) -> str:
        return task.case.number

    @staticmethod
    def resolve_case_title(task: Task) -> str:
        return task.case.title


class EventOut(Schema):
    id: int
    action: str
    from_state: str
    to_state: str
    actor_name: str
    at: datetime.datetime
    note: str = Field(description="internal note, for staff only")
    reply: str = Field(description="the reply written for the resident")
    public: bool = Field(description="the resident sees the step (its reply, never its note)")
    data: dict[str, Any]


class ExtensionOut(Schema):
    id: int
    amount: Decimal
    unit: str
    reason: str
    state: str
    created_at: datetime.datetime


class CaseDetail(CaseOut):
    description: str
    attributes: dict[str, Any]
    reporter_name: str
    reporter_phone: str = Field(description="masked")
    tracking_code: str
    level: NodeBrief | None
    agency: str | None
    merged_into: int | None
    project_ref: str
    parked_until: datetime.date | None = Field(description="挂账: when to take it up again")
    respond_by: datetime.datetime | None
    accepted_at: datetime.datetime | None
    dispatched_at: datetime.datetime | None
    done_at: datetime.datetime | None
    verified_at: datetime.datetime | None
    reopen_count: int
    rework_count: int
    rating: str
    rating_comment: str
    tasks: list[TaskOut]
    events: list[EventOut]
    extensions: list[ExtensionOut]
    actions: list[str] = Field(description="what the caller may do now")


class DuplicateOut(Schema):
    case: CaseOut
    distance_m: float | None
    similarity: float


class MetricsRow(Schema):
    key: str
    label: str
    received: int
    responded: int
    responded_in_time: int
    done: int
    done_in_time: int
    closed: int
    solved: int
    rated: int
    satisfied: int
    reworked: int
    response_rate: float | None
    on_time_rate: float | None
    solve_rate: float | None
    satisfaction_rate: float | None
    rework_rate: float | None
    average_handling_hours: float | None


class CaseRevealIn(Schema):
    purpose: str = Field(max_length=inputs.PURPOSE)


class CaseRevealOut(Schema):
    case_id: int
    field: str
    value: str


class AgencyOut(Schema):
    id: int
    name: str
    kind: str
    phone: str


class TeamOut(Schema):
    id: int
    name: str
    node_id: int
    members: list[int]
