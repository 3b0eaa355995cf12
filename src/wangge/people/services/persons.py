"""Persons: registered in a household or a grid, changed (moved to another household or grid),
their care tags set."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext

from wangge.core import audit, events
from wangge.core.errors import ValidationError
from wangge.core.services import check_scope, idempotent
from wangge.people.choices import PersonStatus, Relation
from wangge.people.models import Household, Person, PersonTag
from wangge.people.services.checks import (
    TagSpec,
    check_note,
    check_tags,
    clean_identity,
    id_hash,
    person_snapshot,
    phone_hash,
)
from wangge.territory.models import Node

if TYPE_CHECKING:
    from wangge.accounts.models import User


PERSON_FIELDS = {"name", "sex", "birth_date", "id_number", "phone", "relation", "status", "note"}


@transaction.atomic
def create_person(
    *,
    actor: User | None,
    name: str,
    grid: Node | None = None,
    household: Household | None = None,
    relation: str = "",
    id_number: str = "",
    phone: str = "",
    sex: str = "",
    birth_date: datetime.date | None = None,
    note: str = "",
    care_tags: Iterable[TagSpec] = (),
    idempotency_key: str | None = None,
    reason: str = "",
) -> Person:
    """Register a person in a household (or, without one, directly in a grid)."""
    grid = household.grid if household is not None else grid
    if grid is None:
        raise ValidationError({"grid": gettext("Give the grid or the household")})
    check_scope(actor, Person(), "add", path=grid.path)
    errors: dict = {}
    data = clean_identity(
        {
            "name": name,
            "id_number": id_number,
            "phone": phone,
            "sex": sex,
            "birth_date": birth_date,
        },
        errors,
    )
    if relation and relation not in Relation.values:
        errors["relation"] = gettext("Unknown relation to the head of the household")
    note = check_note(note, errors)
    tags = check_tags(care_tags, errors)
    if tags:  # care tags only from whoever may see them
        check_scope(actor, Person(), "view_care", path=grid.path)
    if (
        data.get("id_number")
        and "id_number" not in errors
        and Person.objects.filter(id_number_hash=id_hash(data["id_number"])).exists()
    ):
        errors["id_number"] = gettext("This ID number is registered already")
    if errors:
        raise ValidationError(errors)

    def create() -> Person:
        person = Person.objects.create(
            grid=grid,
            household=household,
            relation=relation,
            note=note,
            id_number_hash=id_hash(data.get("id_number", "")),
            phone_hash=phone_hash(data.get("phone", "")),
            **{
                key: data[key]
                for key in ("name", "id_number", "phone", "sex", "birth_date")
                if data.get(key) not in (None, "")
            },
        )
        links = _write_tags(person, tags)
        audit.record(
            actor=actor,
            action="people.person.created",
            target=person,
            node=grid,
            after=person_snapshot(person, links),
            reason=reason,
        )
        events.emit(events.PERSONS_CHANGED, actor=actor, person_ids=[person.pk])
        return person

    person, _created = idempotent(
        key=idempotency_key, actor=actor, operation="person.create", model=Person, create=create
    )
    return person


def _write_tags(person: Person, tags: list[TagSpec]) -> list[PersonTag]:
    links = [
        PersonTag(
            person=person,
            tag=spec.tag,
            disability_category=spec.disability_category,
            disability_grade=spec.disability_grade,
            note=spec.note,
        )
        for spec in tags
    ]
    PersonTag.objects.bulk_create(links)
    return links


@transaction.atomic
def update_person(
    *, actor: User | None, person: Person, reason: str = "", **changes: Any
) -> Person:
    """Change a person's fields; ``household`` and ``grid`` move them."""
    check_scope(actor, person, "change", path=person.grid.path)
    before = person_snapshot(person)
    allowed = PERSON_FIELDS | {"household", "grid"}
    if unknown := set(changes) - allowed:
        raise ValidationError({key: gettext("This field cannot be changed") for key in unknown})
    errors: dict = {}
    identity = {
        k: changes[k] for k in ("name", "id_number", "phone", "sex", "birth_date") if k in changes
    }
    if "id_number" in identity or "sex" in identity or "birth_date" in identity:
        identity.setdefault("id_number", person.id_number)
    clean_identity(identity, errors)
    if "relation" in changes and changes["relation"] and changes["relation"] not in Relation.values:
        errors["relation"] = gettext("Unknown relation to the head of the household")
    if "status" in changes and changes["status"] not in PersonStatus.values:
        errors["status"] = gettext("Unknown status")
    if "note" in changes:
        changes["note"] = check_note(changes["note"], errors)
    if identity.get("id_number") and "id_number" not in errors:
        clash = Person.objects.filter(id_number_hash=id_hash(identity["id_number"])).exclude(
            pk=person.pk
        )
        if clash.exists():
            errors["id_number"] = gettext("This ID number is registered already")
    if errors:
        raise ValidationError(errors)
    changes.update(identity)
    for key, value in changes.items():
        setattr(person, key, value if value is not None or key in {"birth_date"} else "")
    if "household" in changes and person.household is not None:
        person.grid = person.household.grid
    person.id_number_hash = id_hash(person.id_number)
    person.phone_hash = phone_hash(person.phone)
    check_scope(actor, person, "change", path=person.grid.path)
    if person_snapshot(person) == before:
        return person  # nothing changes, nothing to record
    person.save()
    audit.record(
        actor=actor,
        action="people.person.updated",
        target=person,
        node=person.grid,
        before=before,
        after=person_snapshot(person),
        reason=reason,
    )
    events.emit(events.PERSONS_CHANGED, actor=actor, person_ids=[person.pk])
    return person


@transaction.atomic
def set_care_tags(
    *, actor: User | None, person: Person, tags: Iterable[TagSpec], reason: str = ""
) -> Person:
    check_scope(actor, person, "change", path=person.grid.path)
    check_scope(actor, person, "view_care", path=person.grid.path)
    errors: dict = {}
    tags = check_tags(tags, errors)
    if errors:
        raise ValidationError(errors)
    before = person_snapshot(person)
    person.tag_links.all().delete()
    links = _write_tags(person, tags)
    audit.record(
        actor=actor,
        action="people.person.care_tags_set",
        target=person,
        node=person.grid,
        before=before,
        after=person_snapshot(person, links),
        reason=reason,
    )
    events.emit(events.PERSONS_CHANGED, actor=actor, person_ids=[person.pk])
    return person
