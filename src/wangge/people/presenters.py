"""How persons and households are shown: masked, and with care tags only where allowed."""

from __future__ import annotations

from wangge.core.scope import get_scope
from wangge.people.models import Household, Person


def person_data(person: Person, user) -> dict:
    scope = get_scope(user)
    care = None
    if scope.allows("people.view_care_person", person.grid.path):
        care = [
            {
                "code": link.tag.code,
                "name": link.tag.name,
                "disability_category": link.disability_category,
                "disability_grade": link.disability_grade,
            }
            for link in person.tag_links.all()
        ]
    return {
        "id": person.pk,
        "name": person.name,
        "sex": person.sex,
        "birth_date": person.birth_date,
        "age": person.age(),
        "id_number": person.id_number_masked,
        "phone": person.phone_masked,
        "grid_id": person.grid_id,
        "household_id": person.household_id,
        "relation": person.relation,
        "status": person.status,
        "care_tags": care,
    }


def household_address(household: Household) -> str:
    dwelling = household.dwelling
    if dwelling is None:
        return ""
    building = dwelling.building
    place = f"{building.compound}{building.name}"
    return f"{place} {dwelling.label}"


def household_data(household: Household) -> dict:
    members = getattr(household, "member_count", None)  # lists annotate it
    if members is None:
        members = household.members.count()
    return {
        "id": household.pk,
        "number": household.number,
        "grid_id": household.grid_id,
        "dwelling_id": household.dwelling_id,
        "address": household_address(household),
        "residence_type": household.residence_type,
        "residence_type_label": str(household.get_residence_type_display()),
        "members": members,
        "note": household.note,
    }
