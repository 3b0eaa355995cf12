"""What every write of the register checks and records: a person's identity (the ID number
validated, sex and birth date taken from it), the phone, care tags, notes; the keyed hashes
the numbers are found by; a person as their audit events record them."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext

from wangge.core import audit, crypto, inputs
from wangge.people import idnumber, phone
from wangge.people.choices import Sex
from wangge.people.models import CareTag, Person, PersonTag

# The longest notes the register keeps (a household's, a person's, a visit's).
NOTE_MAX = inputs.NOTE


@dataclass
class TagSpec:
    """A care tag to put on a person, with its disability detail when it has one."""

    tag: CareTag
    disability_category: str = ""
    disability_grade: int | None = None
    note: str = ""


def clean_identity(data: dict, errors: dict) -> dict:
    """Validate ID number and phone; derive or check sex and birth date from the ID."""
    number = data.get("id_number")
    if number:
        try:
            number = idnumber.validate(number)
        except idnumber.InvalidIdNumber as exc:
            errors["id_number"] = str(exc)
        else:
            data["id_number"] = number
            born = idnumber.birth_date(number)
            sex = Sex.MALE if idnumber.is_male(number) else Sex.FEMALE
            if data.get("birth_date") and data["birth_date"] != born:
                errors["birth_date"] = gettext(
                    "The date of birth does not match the ID number (which says %(date)s)"
                ) % {"date": f"{born:%Y-%m-%d}"}
            if data.get("sex") and data["sex"] != sex:
                errors["sex"] = gettext(
                    "The sex does not match the ID number (which says %(sex)s)"
                ) % {"sex": Sex(sex).label}
            data["birth_date"] = born
            data["sex"] = sex
    if data.get("phone"):
        try:
            data["phone"] = phone.validate(data["phone"])
        except phone.InvalidPhone as exc:
            errors["phone"] = str(exc)
    if "name" in data:
        data["name"] = (data["name"] or "").strip()
        if not data["name"]:
            errors["name"] = gettext("The name may not be empty")
        elif len(data["name"]) > 64:
            errors["name"] = gettext("The name is too long")
    if data.get("birth_date") and data["birth_date"] > _today():
        errors["birth_date"] = gettext("The date of birth cannot be after today")
    return data


def _today() -> datetime.date:
    return timezone.localdate()


def id_hash(number: str) -> str | None:
    return crypto.keyed_hash(f"id:{number}") if number else None


def phone_hash(number: str) -> str:
    return crypto.keyed_hash(f"phone:{number}") if number else ""


def person_snapshot(person: Person, tags: Iterable[PersonTag] | None = None) -> dict:
    data = audit.snapshot(person)
    if tags is None and person.pk:
        tags = person.tag_links.select_related("tag")
    data["care_tags"] = sorted(tag_label(link) for link in (tags or []))
    return data


def tag_label(link: PersonTag | TagSpec) -> str:
    """``disabled:physical:2``: a care tag with its detail, as audit snapshots list it."""
    label = link.tag.code
    if link.disability_category:
        label += f":{link.disability_category}"
    if link.disability_grade:
        label += f":{link.disability_grade}"
    return label


def check_tags(tags: Iterable[TagSpec], errors: dict) -> list[TagSpec]:
    tags = list(tags)
    for spec in tags:
        if spec.tag.has_disability_detail and not (
            spec.disability_category and spec.disability_grade
        ):
            errors["care_tags"] = gettext(
                "“%(tag)s” needs the category and the grade of the disability"
            ) % {"tag": spec.tag.name}
    if len({spec.tag.pk for spec in tags}) != len(tags):
        errors["care_tags"] = gettext("A care tag comes twice")
    return tags


def check_note(value: object, errors: dict, field: str = "note", limit: int = NOTE_MAX) -> str:
    """A note as stored: trimmed, at most ``limit`` characters, no NUL (named on ``field``)."""
    value = str(value or "").strip()
    if len(value) > limit:
        errors[field] = gettext("At most %(n)s characters (this has %(count)s)") % {
            "n": limit,
            "count": len(value),
        }
    elif "\x00" in value:
        errors[field] = gettext("Null characters are not allowed.")
    return value
