import datetime

from ninja import Field, Schema

from wangge.core import inputs
from wangge.core.schemas import NodeBrief
from wangge.people.choices import VisitKind
from wangge.people.models import Visit


class CareTagOut(Schema):
    id: int
    code: str
    name: str
    has_disability_detail: bool


class PersonTagOut(Schema):
    code: str
    name: str
    disability_category: str
    disability_grade: int | None


class PersonOut(Schema):
    """A person as lists and details show them: ID and phone masked; ``care_tags`` is
    ``null`` where the caller's role may not see care tags."""

    id: int
    name: str
    sex: str
    birth_date: datetime.date | None
    age: int | None
    id_number: str = Field(description="masked")
    phone: str = Field(description="masked")
    grid_id: int
    household_id: int | None
    relation: str
    status: str
    care_tags: list[PersonTagOut] | None


class HouseholdOut(Schema):
    id: int
    number: str
    grid_id: int
    dwelling_id: int | None
    address: str
    residence_type: str
    residence_type_label: str
    members: int
    note: str


class HouseholdDetail(HouseholdOut):
    grid: NodeBrief
    people: list[PersonOut]


class PersonRevealIn(Schema):
    field: str = Field(description="id_number or phone")
    purpose: str = Field(
        max_length=inputs.PURPOSE, description="why the full number is needed (audited)"
    )


class PersonRevealOut(Schema):
    person_id: int
    field: str
    value: str


class VisitIn(Schema):
    household_id: int
    kind: VisitKind = VisitKind.HOME
    visited_at: datetime.datetime | None = None
    notes: str = inputs.field(Visit, "notes")
    lng: float | None = Field(None, description="where the visitor was (WGS-84), with lat")
    lat: float | None = Field(None, description="where the visitor was (WGS-84), with lng")
    case: str | None = Field(None, description="the number of a case the visit was about")


class VisitOut(Schema):
    id: int
    household_id: int
    grid_id: int
    visitor_id: int | None
    kind: str
    visited_at: datetime.datetime
    notes: str
    lng: float | None
    lat: float | None
    case_id: int | None


class CoverageOut(Schema):
    node: NodeBrief
    days: int
    dwellings: int
    dwellings_registered: int
    dwelling_rate: float | None
    households: int
    households_visited: int
    visit_rate: float | None
    persons: int
