"""Writing the register of people: households, persons, care tags, visits, reveals.

Keyword-only functions, each in a transaction, checking the actor's scope and writing its
audit event. Imports call the ``bulk_*`` functions, which write the same events in batches.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from wangge.core import audit, bulk, crypto, inputs
from wangge.core.errors import ValidationError, not_found
from wangge.core.services import BulkResult, allowed, check_scope, idempotent
from wangge.people import idnumber, phone
from wangge.people.choices import PersonStatus, Relation, ResidenceType, Sex, VisitKind
from wangge.people.models import CareTag, Household, Person, PersonTag, Visit
from wangge.territory.models import Dwelling, Node

if TYPE_CHECKING:
    from wangge.accounts.models import User
    from wangge.cases.models import Case

PERSON_FIELDS = {"name", "sex", "birth_date", "id_number", "phone", "relation", "status", "note"}
# What bulk inserts write, and the value a new person takes when not given one.
PERSON_DEFAULTS = [
    ("grid_id", None),
    ("household_id", None),
    ("relation", ""),
    ("name", ""),
    ("sex", ""),
    ("birth_date", None),
    ("id_number", ""),
    ("id_number_hash", None),
    ("phone", ""),
    ("phone_hash", ""),
    ("status", PersonStatus.ACTIVE),
    ("note", ""),
    ("created_at", None),
    ("updated_at", None),
]
PERSON_COLUMNS = [key.removesuffix("_id") for key, _default in PERSON_DEFAULTS]
REVEALABLE = {"id_number", "phone"}
# The longest notes the register keeps (a household's, a person's, a visit's).
NOTE_MAX = inputs.NOTE


@dataclass
class TagSpec:
    """A care tag to put on a person, with its disability detail when it has one."""

    tag: CareTag
    disability_category: str = ""
    disability_grade: int | None = None
    note: str = ""


# --- Checking ----------------------------------------------------------------------------------


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


# --- Households --------------------------------------------------------------------------------


def next_household_number(grid: Node) -> str:
    prefix = f"{grid.code}-"
    numbers = Household.objects.filter(number__startswith=prefix).values_list("number", flat=True)
    top = max((int(n[len(prefix) :]) for n in numbers if n[len(prefix) :].isdigit()), default=0)
    return f"{prefix}{top + 1:04d}"


def _household_grid(grid: Node | None, dwelling: Dwelling | None) -> Node:
    if dwelling is not None:
        return dwelling.building.grid
    if grid is None:
        raise ValidationError({"grid": gettext("Give the grid or the home")})
    if not grid.is_grid:
        raise ValidationError({"grid": gettext("A household must be registered in a grid")})
    return grid


@transaction.atomic
def create_household(
    *,
    actor: User | None,
    grid: Node | None = None,
    dwelling: Dwelling | None = None,
    number: str = "",
    residence_type: str = ResidenceType.REGISTERED,
    note: str = "",
    idempotency_key: str | None = None,
    reason: str = "",
) -> Household:
    grid = _household_grid(grid, dwelling)
    check_scope(actor, Household(), "add", path=grid.path)
    errors: dict = {}
    if residence_type not in ResidenceType.values:
        errors["residence_type"] = gettext("Unknown kind of residence")
    inputs.check_lengths(errors, Household, {"number": number})
    note = check_note(note, errors)
    if errors:
        raise ValidationError(errors)

    def create() -> Household:
        household = Household.objects.create(
            number=number or next_household_number(grid),
            grid=grid,
            dwelling=dwelling,
            residence_type=residence_type,
            note=note,
        )
        audit.record(
            actor=actor,
            action="people.household.created",
            target=household,
            node=grid,
            after=audit.snapshot(household),
            reason=reason,
        )
        return household

    if number and Household.objects.filter(number=number).exists():
        raise ValidationError(
            {"number": gettext("Household number %(number)s exists already") % {"number": number}}
        )
    household, _created = idempotent(
        key=idempotency_key,
        actor=actor,
        operation="household.create",
        model=Household,
        create=create,
    )
    return household


@transaction.atomic
def update_household(
    *, actor: User | None, household: Household, reason: str = "", **changes: Any
) -> Household:
    check_scope(actor, household, "change", path=household.grid.path)
    before = audit.snapshot(household)
    allowed = {"dwelling", "residence_type", "note", "grid"}
    if unknown := set(changes) - allowed:
        raise ValidationError({key: gettext("This field cannot be changed") for key in unknown})
    errors: dict = {}
    if "residence_type" in changes and changes["residence_type"] not in ResidenceType.values:
        errors["residence_type"] = gettext("Unknown kind of residence")
    if "note" in changes:
        changes["note"] = check_note(changes["note"], errors)
    if errors:
        raise ValidationError(errors)
    for key, value in changes.items():
        setattr(household, key, value)
    household.grid = _household_grid(household.grid, household.dwelling)
    check_scope(actor, household, "change", path=household.grid.path)
    if audit.snapshot(household) == before:
        return household  # nothing changes, nothing to record
    household.save()
    household.members.exclude(grid=household.grid).update(grid=household.grid)
    audit.record(
        actor=actor,
        action="people.household.updated",
        target=household,
        node=household.grid,
        before=before,
        after=audit.snapshot(household),
        reason=reason,
    )
    return household


# --- Persons -----------------------------------------------------------------------------------


@transaction.atomic
def move_residents(*, actor: User | None, moves: dict[int, Node], reason: str = "") -> int:
    """Households and their members follow their building into the grid it now lies in
    (``moves``: building id → grid), after territory moved the buildings. Each household and
    person whose grid changes is recorded as moved; returns how many households moved."""
    households = list(
        Household.objects.filter(dwelling__building_id__in=list(moves)).values_list(
            "pk", "number", "grid_id", "dwelling__building_id"
        )
    )
    grid_of = {pk: moves[building_id] for pk, _number, _grid, building_id in households}
    for grid in set(grid_of.values()):
        if not allowed(actor, Household, "change", path=grid.path):
            raise not_found()
    members = Person.objects.filter(household_id__in=list(grid_of)).values_list(
        "pk", "name", "grid_id", "household_id"
    )
    rows = [
        *(("people.household", pk, number, grid_id, pk) for pk, number, grid_id, _b in households),
        *(
            ("people.person", pk, name, grid_id, household)
            for pk, name, grid_id, household in members
        ),
    ]
    recorded = [
        audit.event(
            actor=actor,
            action=f"{kind}.moved",
            target_ref=(kind, pk, text),
            node=grid_of[household],
            before={"grid_id": grid_id},
            after={"grid_id": grid_of[household].pk},
            reason=reason,
        )
        for kind, pk, text, grid_id, household in rows
        if grid_id != grid_of[household].pk
    ]
    by_grid: dict[Node, list[int]] = {}
    for household, grid in grid_of.items():
        by_grid.setdefault(grid, []).append(household)
    for grid, ids in by_grid.items():
        Person.objects.filter(household_id__in=ids).update(grid=grid)
        Household.objects.filter(pk__in=ids).update(grid=grid)
    audit.record_many(recorded)
    return sum(1 for event in recorded if event.target_type == "people.household")


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
    return person


def check_purpose(purpose: str) -> str:
    """The stated purpose of looking at a full number, trimmed: at least 4 characters and at
    most ``inputs.PURPOSE``, or refused naming ``purpose``. Every full number shown (a
    person's here, a case's reporter's in cases) is asked for the same way."""
    purpose = (purpose or "").strip()
    if len(purpose) < 4:
        raise ValidationError({"purpose": gettext("Say why you look (at least 4 characters)")})
    errors: dict = {}
    inputs.check_length(errors, "purpose", purpose, inputs.PURPOSE)
    if errors:
        raise ValidationError(errors)
    return purpose


@transaction.atomic
def reveal(*, actor: User | None, person: Person, field: str, purpose: str) -> str:
    """Show an ID or phone number unmasked. The purpose is required and audited."""
    check_scope(actor, person, "view", path=person.grid.path)
    check_scope(actor, person, "reveal", path=person.grid.path)
    if field not in REVEALABLE:
        raise ValidationError({"field": gettext("Only the ID number or the phone can be shown")})
    purpose = check_purpose(purpose)
    audit.record(
        actor=actor,
        action="people.person.revealed",
        target=person,
        node=person.grid,
        after={"field": field},
        reason=purpose,
    )
    return getattr(person, field)


# --- Visits ------------------------------------------------------------------------------------


def check_position(
    lng: float | str | None, lat: float | str | None, errors: dict
) -> tuple[float | None, float | None]:
    """A WGS-84 point given whole (both numbers, finite, on the globe) or not at all."""
    if lng is None and lat is None:
        return None, None
    if lng is None or lat is None:
        errors["lng" if lng is None else "lat"] = gettext(
            "Give both the longitude and the latitude, or neither"
        )
        return None, None
    try:
        lng, lat = float(lng), float(lat)
    except (TypeError, ValueError):
        errors["lng"] = gettext("The position is not a pair of numbers")
        return None, None
    if not (math.isfinite(lng) and -180 <= lng <= 180):
        errors["lng"] = gettext("The longitude must be from -180 to 180")
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        errors["lat"] = gettext("The latitude must be from -90 to 90")
    return round(lng, 7), round(lat, 7)


@transaction.atomic
def record_visit(
    *,
    actor: User | None,
    household: Household,
    kind: str = VisitKind.HOME,
    visited_at: datetime.datetime | None = None,
    notes: str = "",
    lng: float | None = None,
    lat: float | None = None,
    case: Case | None = None,
    idempotency_key: str | None = None,
) -> Visit:
    """A home visit, phone call or meeting with a household (提户知人): when, how, what was
    said, where the visitor's phone was (if they gave it) and the case it was about (one the
    actor may see)."""
    check_scope(actor, Visit(), "add", path=household.grid.path)
    visited_at = visited_at or timezone.now()
    if timezone.is_naive(visited_at):
        visited_at = timezone.make_aware(visited_at)  # a phone's local time: Asia/Shanghai
    errors = {}
    if kind not in VisitKind.values:
        errors["kind"] = gettext("Unknown kind of visit")
    inputs.check_lengths(errors, Visit, {"notes": notes})
    if visited_at > timezone.now() + datetime.timedelta(minutes=5):
        errors["visited_at"] = gettext("The visit's time cannot be later than now")
    notes = check_note(notes, errors, "notes")
    lng, lat = check_position(lng, lat, errors)
    if case is not None and not allowed(actor, type(case), "view", path=case.grid.path):
        errors["case"] = gettext("That case is not one you can see")
    if errors:
        raise ValidationError(errors)

    def create() -> Visit:
        visit = Visit.objects.create(
            household=household,
            grid=household.grid,
            visitor=actor,
            kind=kind,
            visited_at=visited_at,
            notes=notes,
            lng=lng,
            lat=lat,
            case=case,
        )
        audit.record(
            actor=actor,
            action="people.visit.created",
            target=visit,
            node=household.grid,
            after=audit.snapshot(visit),
        )
        return visit

    visit, _created = idempotent(
        key=idempotency_key, actor=actor, operation="visit.create", model=Visit, create=create
    )
    return visit


# --- Bulk (imports, the demo) ------------------------------------------------------------------


def _created(snapshot: dict, **extra: Any) -> dict:
    """What a new person was given: the snapshot without the fields left empty."""
    given = {key: value for key, value in snapshot.items() if value not in ("", None)}
    given.update({key: value for key, value in extra.items() if value})
    return given


def bulk_write_persons(
    *,
    actor: User | None,
    creates: list[tuple[dict, list[TagSpec]]],
    updates: Sequence[tuple[Person, dict, list[TagSpec] | None]] = (),
    reason: str = "",
    progress: Callable[[int], None] | None = None,
    batch_size: int = 5000,
) -> BulkResult:
    """Insert and update many checked persons with their tags and audit events.

    ``creates`` holds each new person's fields (by attribute name: ``grid_id``,
    ``household_id``, ``name``, ``id_number`` …) and care tags; ``updates`` holds (person as
    stored, changes, tags or ``None`` to keep). The caller has validated every row and
    checked scope; this writes, in the caller's transaction.
    """
    result = BulkResult()
    now = timezone.now()
    person_type = audit.target_type(Person)
    for start in range(0, len(creates), batch_size):
        chunk = creates[start : start + batch_size]
        for values, _tags in chunk:
            if "id_number_hash" not in values:  # importers pass the hash they computed
                values["id_number_hash"] = id_hash(values.get("id_number", ""))
            if "phone_hash" not in values:
                values["phone_hash"] = phone_hash(values.get("phone", ""))
            values["created_at"] = values["updated_at"] = now
        ids = bulk.insert(
            Person,
            PERSON_COLUMNS,
            (
                [values.get(key, default) for key, default in PERSON_DEFAULTS]
                for values, _t in chunk
            ),
            returning=True,
        )
        bulk.insert(
            PersonTag,
            ["person", "tag", "disability_category", "disability_grade", "note", "created_at"],
            (
                (pk, spec.tag.pk, spec.disability_category, spec.disability_grade, "", now)
                for pk, (_values, tags) in zip(ids, chunk, strict=True)
                for spec in tags
            ),
        )
        audit.record_many(
            audit.event(
                actor=actor,
                action="people.person.created",
                target_ref=(person_type, pk, values["name"]),
                node_id=values["grid_id"],
                after=_created(
                    audit.snapshot_of(Person, values),
                    care_tags=sorted(tag_label(spec) for spec in tags),
                ),
                reason=reason,
            )
            for pk, (values, tags) in zip(ids, chunk, strict=True)
        )
        result.created += len(ids)
        result.ids += ids
        if progress:
            progress(result.created)
    if updates:
        _bulk_update_persons(actor, list(updates), reason, result, batch_size)
        if progress:
            progress(result.created + result.updated + result.unchanged)
    return result


def _bulk_update_persons(
    actor: User | None,
    updates: list[tuple[Person, dict, list[TagSpec] | None]],
    reason: str,
    result: BulkResult,
    batch_size: int,
) -> None:
    tag_map = {
        person.pk: list(person.tag_links.all())
        for person in Person.objects.filter(
            pk__in=[p.pk for p, _c, _t in updates]
        ).prefetch_related("tag_links__tag")
    }
    changed_people, events, retag = [], [], []
    for person, changes, tags in updates:
        old_links = tag_map.get(person.pk, [])
        before = person_snapshot(person, old_links)
        for key, value in changes.items():
            setattr(person, key, value)
        person.id_number_hash = id_hash(person.id_number)
        person.phone_hash = phone_hash(person.phone)
        new_links = old_links
        if tags is not None:
            new_links = [
                PersonTag(
                    person=person,
                    tag=spec.tag,
                    disability_category=spec.disability_category,
                    disability_grade=spec.disability_grade,
                )
                for spec in tags
            ]
        after = person_snapshot(person, new_links)
        if after == before:
            result.unchanged += 1
            continue
        if tags is not None and sorted(map(tag_label, new_links)) != sorted(
            map(tag_label, old_links)
        ):
            retag.append((person, new_links))
        changed_people.append(person)
        events.append(
            audit.event(
                actor=actor,
                action="people.person.updated",
                target=person,
                node_id=person.grid_id,
                before=before,
                after=after,
                reason=reason,
            )
        )
    fields = [
        "grid",
        "household",
        "relation",
        "name",
        "sex",
        "birth_date",
        "id_number",
        "id_number_hash",
        "phone",
        "phone_hash",
        "status",
        "note",
    ]
    now = timezone.now()
    for person in changed_people:
        person.updated_at = now
    Person.objects.bulk_update(changed_people, [*fields, "updated_at"], batch_size=batch_size)
    if retag:
        PersonTag.objects.filter(person__in=[p for p, _l in retag]).delete()
        PersonTag.objects.bulk_create([link for _p, links in retag for link in links])
    audit.record_many(events)
    result.updated += len(changed_people)
    result.ids += [person.pk for person in changed_people]


def bulk_write_households(
    *,
    actor: User | None,
    creates: list[dict],
    updates: Sequence[tuple[Household, dict]] = (),
    reason: str = "",
) -> BulkResult:
    """Insert and update many checked households, with their audit events.

    Numbers left blank are given the grid's next free numbers; members follow their
    household into a new grid.
    """
    result = BulkResult()
    next_free: dict[int, int] = {}
    new = []
    for values in creates:
        household = Household(**values)
        if not household.number:
            grid = values["grid"]
            if grid.pk not in next_free:
                next_free[grid.pk] = int(next_household_number(grid).rsplit("-", 1)[1])
            household.number = f"{grid.code}-{next_free[grid.pk]:04d}"
            next_free[grid.pk] += 1
        new.append(household)
    Household.objects.bulk_create(new, batch_size=2000)
    events = [
        audit.event(
            actor=actor,
            action="people.household.created",
            target=household,
            node_id=household.grid_id,
            after=audit.snapshot(household),
            reason=reason,
        )
        for household in new
    ]
    result.created = len(new)
    changed = []
    for household, values in updates:
        before = audit.snapshot(household)
        old_grid = household.grid_id
        for key, value in values.items():
            setattr(household, key, value)
        after = audit.snapshot(household)
        if before == after:
            result.unchanged += 1
            continue
        household.updated_at = timezone.now()
        changed.append(household)
        if household.grid_id != old_grid:
            household.members.update(grid_id=household.grid_id)
        events.append(
            audit.event(
                actor=actor,
                action="people.household.updated",
                target=household,
                node_id=household.grid_id,
                before=before,
                after=after,
                reason=reason,
            )
        )
    Household.objects.bulk_update(
        changed,
        ["number", "grid", "dwelling", "residence_type", "note", "updated_at"],
        batch_size=2000,
    )
    result.updated = len(changed)
    audit.record_many(events)
    return result


def bulk_write_visits(*, actor: User | None, visits: list[Visit], reason: str = "") -> BulkResult:
    """Insert many checked visits (a grid worker's backlog, the demo's year) with audit events."""
    Visit.objects.bulk_create(visits, batch_size=2000)
    audit.record_many(
        audit.event(
            actor=actor,
            action="people.visit.created",
            target=visit,
            node_id=visit.grid_id,
            after=audit.snapshot(visit),
            reason=reason,
        )
        for visit in visits
    )
    return BulkResult(created=len(visits), ids=[visit.pk for visit in visits])
