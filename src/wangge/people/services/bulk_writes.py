"""Bulk writes for the imports and the demo: many checked rows inserted and updated at once,
with the same audit events as the one-by-one services, written in batches, in the caller's
transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from wangge.core import audit, bulk, events
from wangge.core.services import BulkResult
from wangge.people.choices import PersonStatus
from wangge.people.models import Household, Person, PersonTag, Visit
from wangge.people.services.checks import TagSpec, id_hash, person_snapshot, phone_hash, tag_label
from wangge.people.services.households import next_household_number

if TYPE_CHECKING:
    from wangge.accounts.models import User


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
    if result.ids:
        events.emit(events.PERSONS_CHANGED, actor=actor, person_ids=list(result.ids))
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
    households = sorted({visit.household_id for visit in visits})
    events.emit(events.VISITS_RECORDED, actor=actor, household_ids=households)
    return BulkResult(created=len(visits), ids=[visit.pk for visit in visits])
