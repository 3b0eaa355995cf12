"""Households and persons from spreadsheets, and back out again."""

from __future__ import annotations

from functools import cached_property
from types import SimpleNamespace

from django.db.models import Prefetch
from django.utils.translation import gettext, pgettext_lazy

from wangge.core import crypto
from wangge.core.imports import FirstRows, Importer, by_id, changed_values, in_chunks, register
from wangge.core.inputs import limit_of
from wangge.core.scope import get_scope
from wangge.core.services import allowed
from wangge.core.tabular import (
    ID_HEADER,
    Column,
    TableSpec,
    choice,
    choice_labels,
    date,
    integer,
    label_of,
    long_number_text,
    split_list,
    text,
)
from wangge.people import idnumber, services
from wangge.people.choices import (
    DisabilityCategory,
    PersonStatus,
    Relation,
    ResidenceType,
    Sex,
)
from wangge.people.filters import HouseholdFilter, PersonFilter
from wangge.people.models import CareTag, Household, Person, PersonTag
from wangge.territory.importers import NO_GRID, OUT_OF_REACH, grids_by_code
from wangge.territory.models import Building, Dwelling, Node

NO_TAGS_WORDS = ["无"]  # a care tags cell saying "none"
RELATION_SYNONYMS = {
    "本人": Relation.HEAD,
    "妻": Relation.SPOUSE,
    "夫": Relation.SPOUSE,
    "妻子": Relation.SPOUSE,
    "丈夫": Relation.SPOUSE,
    "子": Relation.CHILD,
    "女": Relation.CHILD,
    "儿子": Relation.CHILD,
    "女儿": Relation.CHILD,
    "父亲": Relation.PARENT,
    "母亲": Relation.PARENT,
    "孙子": Relation.GRANDCHILD,
    "孙女": Relation.GRANDCHILD,
    "外孙子": Relation.GRANDCHILD,
    "外孙女": Relation.GRANDCHILD,
    "儿媳": Relation.CHILD_IN_LAW,
    "女婿": Relation.CHILD_IN_LAW,
}
SEX_SYNONYMS = {"男性": Sex.MALE, "女性": Sex.FEMALE, "M": Sex.MALE, "F": Sex.FEMALE}
DISABILITY_SYNONYMS = {
    word: value
    for label, value in {
        "视力": DisabilityCategory.VISUAL,
        "听力": DisabilityCategory.HEARING,
        "言语": DisabilityCategory.SPEECH,
        "肢体": DisabilityCategory.PHYSICAL,
        "智力": DisabilityCategory.INTELLECTUAL,
        "精神": DisabilityCategory.MENTAL,
        "多重": DisabilityCategory.MULTIPLE,
    }.items()
    for word in (label, f"{label}残疾")
}
RESIDENCE_SYNONYMS = {
    "户籍": ResidenceType.REGISTERED,
    "户籍人口": ResidenceType.REGISTERED,
    "流动": ResidenceType.FLOATING,
    "流动人口": ResidenceType.FLOATING,
    "人户分离": ResidenceType.SEPARATED,
    "租住": ResidenceType.RENTING,
    "租户": ResidenceType.RENTING,
    "境外": ResidenceType.OVERSEAS,
    "境外人员": ResidenceType.OVERSEAS,
}
GRADE_WORDS = {"一级": 1, "二级": 2, "三级": 3, "四级": 4}


def grade(value) -> int | None:
    raw = text(value)
    return GRADE_WORDS.get(raw) or integer(value, minimum=1, maximum=4)


def record_id(value) -> int | None:
    return integer(value, minimum=1)


# --- Households --------------------------------------------------------------------------------


@register
class HouseholdImporter(Importer):
    kind = "households"
    model = Household
    filterset_class = HouseholdFilter

    @cached_property
    def spec(self) -> TableSpec:
        return TableSpec(
            kind=self.kind,
            title=pgettext_lazy("spreadsheet", "Households"),
            columns=[
                Column(ID_HEADER, "id", parse=record_id),
                Column("户编号", "number", limit=limit_of(Household, "number")),
                Column("网格编码", "grid_code", limit=limit_of(Node, "code")),
                Column("小区", "compound", limit=limit_of(Building, "compound")),
                Column("楼栋", "building", limit=limit_of(Building, "name")),
                Column("单元", "unit", parse=lambda v: integer(v, minimum=1, maximum=99)),
                Column("房号", "room", limit=limit_of(Dwelling, "number")),
                Column(
                    "居住类型",
                    "residence_type",
                    parse=choice(choice_labels(ResidenceType, RESIDENCE_SYNONYMS), "居住类型"),
                ),
                Column("备注", "note", limit=limit_of(Household, "note")),
            ],
        )

    def look_up(self, parsed, actor):
        rows = parsed.rows
        grids = grids_by_code(parsed)
        numbers = [row["number"] for _n, row in rows if row.get("number")]
        buildings = self._buildings(rows, grids)
        return SimpleNamespace(
            actor=actor,
            existing=by_id(
                Household.objects.restrict(actor, "change").select_related("grid"), parsed
            ),
            grids=grids,
            taken=dict(Household.objects.filter(number__in=numbers).values_list("number", "pk")),
            numbers=FirstRows(),
            buildings=buildings,
            dwellings=self._dwellings(buildings.values()),
        )

    def check_row(self, number, row, found, problems):
        household = None
        if row.get("id"):
            household = found.existing.get(row["id"])
            if household is None:
                problems[ID_HEADER] = gettext(
                    "No household with ID %(id)s in the places you work on"
                ) % {"id": row["id"]}
        if row.get("number"):
            owner = found.taken.get(row["number"])
            if owner is not None and (household is None or owner != household.pk):
                problems["户编号"] = gettext(
                    "Household number %(number)s is another household's"
                ) % {"number": row["number"]}
            earlier = found.numbers.earlier(row["number"], number)
            if earlier is not None:
                problems["户编号"] = gettext("The same household number as row %(row)s") % {
                    "row": earlier
                }
        if ID_HEADER in problems:
            return None
        grid = household.grid if household is not None else None
        if row.get("grid_code"):
            grid = found.grids.get(row["grid_code"])
            if grid is None:
                problems["网格编码"] = gettext(NO_GRID) % {"code": row["grid_code"]}
                return None
        if grid is None:
            problems["网格编码"] = gettext("A new household needs its grid code")
            return None
        dwelling = None
        if row.get("building"):
            building = found.buildings.get((grid.pk, row.get("compound", ""), row["building"]))
            if building is None:
                problems["楼栋"] = gettext("Grid “%(grid)s” has no building “%(building)s”") % {
                    "grid": grid.name,
                    "building": f"{row.get('compound', '')}{row['building']}",
                }
                return None
            dwelling = found.dwellings.get((building.pk, row.get("unit"), row.get("room", "")))
            if dwelling is None:
                problems["房号"] = gettext("Building “%(building)s” has no home %(home)s") % {
                    "building": building,
                    "home": f"{row.get('unit') or ''}-{row.get('room', '')}",
                }
                return None
            grid = building.grid
        elif household is not None and household.dwelling_id and grid != household.grid:
            problems["楼栋"] = gettext(
                "Moving to another grid, give the new building, unit and room too"
            )
            return None
        action = "change" if household is not None else "add"
        if not allowed(found.actor, Household, action, path=grid.path):
            problems["网格编码"] = gettext(OUT_OF_REACH) % {"grid": grid.name}
        # In an update, a blank cell keeps what is stored.
        values = {"grid": grid}
        if dwelling is not None:
            values["dwelling"] = dwelling
        for key in ("number", "residence_type", "note"):
            if row.get(key):
                values[key] = row[key]
        if household is None:
            values.setdefault("residence_type", ResidenceType.REGISTERED)
        return household, values, grid.path

    def _buildings(self, rows, grids):
        wanted = {
            (grids[row["grid_code"]].pk, row.get("compound", ""), row["building"])
            for _n, row in rows
            if row.get("building") and row.get("grid_code") in grids
        }
        if not wanted:
            return {}
        grid_ids = {key[0] for key in wanted}
        found = Building.objects.filter(grid__in=grid_ids).select_related("grid")
        # A building may sit in a micro-grid under the grid the row names.
        micro = Building.objects.filter(grid__parent__in=grid_ids).select_related("grid")
        result = {}
        for building in [*found, *micro]:
            key_grid = building.grid_id if building.grid_id in grid_ids else building.grid.parent_id
            result[(key_grid, building.compound, building.name)] = building
        return result

    def _dwellings(self, buildings):
        ids = [b.pk for b in buildings]
        if not ids:
            return {}
        return {
            (d.building_id, d.unit.number if d.unit_id else None, d.number): d
            for d in Dwelling.objects.filter(building_id__in=ids).select_related("unit")
        }

    def apply(self, plan, actor, progress):
        return services.bulk_write_households(
            actor=actor, creates=plan.creates, updates=plan.updates, reason="import"
        )

    def export_queryset(self, actor):
        return (
            Household.objects.restrict(actor, "view")
            .select_related("grid", "dwelling__building", "dwelling__unit")
            .order_by("grid__path", "number")
        )

    def export_rows(self, queryset, actor):
        for household in queryset.iterator(chunk_size=2000):
            dwelling = household.dwelling
            yield {
                "id": household.pk,
                "number": household.number,
                "grid_code": household.grid.code,
                "compound": dwelling.building.compound if dwelling else "",
                "building": dwelling.building.name if dwelling else "",
                "unit": dwelling.unit.number if dwelling and dwelling.unit_id else "",
                "room": dwelling.number if dwelling else "",
                "residence_type": label_of(ResidenceType, household.residence_type),
                "note": household.note,
            }


# --- Persons -----------------------------------------------------------------------------------


@register
class PersonImporter(Importer):
    kind = "persons"
    model = Person
    filterset_class = PersonFilter

    def filtered(self, queryset, params, request=None):
        # As on the page and in the API: a care tag filter covers only the grids where the
        # caller may see care tags, so it never tells who carries a tag elsewhere.
        if params.get("care_tag"):
            seen = Person.objects.restrict(getattr(request, "user", None), "view_care")
            queryset = queryset.filter(pk__in=seen.values("pk"))
        return super().filtered(queryset, params, request=request)

    @cached_property
    def spec(self) -> TableSpec:
        return TableSpec(
            kind=self.kind,
            title=pgettext_lazy("spreadsheet", "Persons"),
            columns=[
                Column(ID_HEADER, "id", parse=record_id),
                Column("姓名", "name", required=True, limit=limit_of(Person, "name")),
                Column("身份证号", "id_number", parse=long_number_text, aliases=("公民身份号码",)),
                Column("性别", "sex", parse=choice(choice_labels(Sex, SEX_SYNONYMS), "性别")),
                Column("出生日期", "birth_date", parse=date),
                Column("手机号", "phone", parse=long_number_text, aliases=("联系电话", "电话")),
                Column("户编号", "household", limit=limit_of(Household, "number")),
                Column(
                    "与户主关系",
                    "relation",
                    parse=choice(choice_labels(Relation, RELATION_SYNONYMS), "与户主关系"),
                ),
                Column("网格编码", "grid_code", limit=limit_of(Node, "code")),
                Column("关爱标签", "care_tags", parse=split_list),
                Column(
                    "残疾类别",
                    "disability_category",
                    parse=choice(
                        choice_labels(DisabilityCategory, DISABILITY_SYNONYMS), "残疾类别"
                    ),
                ),
                Column("残疾等级", "disability_grade", parse=grade),
                Column("状态", "status", parse=choice(choice_labels(PersonStatus), "状态")),
                Column("备注", "note", limit=limit_of(Person, "note")),
            ],
        )

    def look_up(self, parsed, actor):
        return _PersonContext(parsed, actor)

    def plan_row(self, plan, outcome):
        person, values, tags = outcome
        plan.paths.add(values["grid"].path)
        if person is None:
            grid = values.pop("grid")
            plan.creates.append(({**values, "grid_id": grid.pk}, tags or []))
            return
        changes = changed_values(person, values)
        if changes or tags is not None:
            plan.updates.append((person, changes, tags))
        else:
            plan.unchanged += 1

    def check_row(self, number, row, context, problems):
        """Rows with an ID, or with an ID number already registered, update that person;
        others add one. In an update a blank cell keeps the stored value (``无`` clears the
        care tags); a masked value from an export is accepted if it still matches."""
        person = None
        if row.get("id"):
            person = context.by_id.get(row["id"])
            if person is None:
                problems["id"] = gettext("No person with ID %(id)s in the places you work on") % {
                    "id": row["id"]
                }
                return None
        values: dict = {}
        raw_id = row.get("id_number", "")
        if "*" in raw_id:
            if person is None or raw_id != crypto.mask_id_number(person.id_number):
                problems["id_number"] = gettext("The ID number is masked: write it in full")
        elif raw_id:
            values["id_number"] = raw_id
            digest = context.digest(raw_id)
            values["id_number_hash"] = digest
            earlier = context.first_rows.earlier(digest, number)
            if earlier is not None:
                problems["id_number"] = gettext("The same ID number as row %(row)s") % {
                    "row": earlier
                }
            owner = context.owner_of(digest)
            if owner is not None and person is None:
                person = owner if context.may("people.change_person", owner.grid.path) else None
                if person is None:
                    problems["id_number"] = gettext("This ID number is registered in another grid")
            elif owner is not None and owner.pk != person.pk:
                problems["id_number"] = gettext("This ID number is another person's")
        raw_phone = row.get("phone", "")
        if "*" in raw_phone:
            if person is None or raw_phone != crypto.mask_phone(person.phone):
                problems["phone"] = gettext("The phone number is masked: write it in full")
        elif raw_phone:
            values["phone"] = raw_phone
        for key in ("name", "sex", "birth_date", "relation", "status", "note"):
            if row.get(key) not in (None, ""):
                values[key] = row[key]
        # Identity checks see the stored ID number when the row does not change it.
        identity = {k: values[k] for k in ("name", "sex", "birth_date", "phone") if k in values}
        identity["id_number"] = values.get("id_number") or (person.id_number if person else "")
        services.clean_identity(identity, problems)
        # clean_identity normalizes what it is given and derives sex and birth date from
        # the ID number: keep its results for the row's own fields and the derived ones.
        for key in ("name", "phone", "id_number"):
            if key in values:
                values[key] = identity[key]
        if identity.get("id_number") and "id_number" not in problems:
            values["sex"] = identity["sex"]
            values["birth_date"] = identity["birth_date"]

        household = None  # (id, grid) of the household the row names
        if row.get("household"):
            household = context.households.get(row["household"])
            if household is None:
                problems["household"] = gettext("There is no household %(number)s") % {
                    "number": row["household"]
                }
            else:
                values["household_id"] = household[0]
        grid = household[1] if household is not None else None
        if grid is None and row.get("grid_code"):
            grid = context.grids.get(row["grid_code"])
            if grid is None:
                problems["grid_code"] = gettext(NO_GRID) % {"code": row["grid_code"]}
        if person is not None and household is None and person.household_id:
            if grid is not None and grid.pk != person.grid_id:
                problems["grid_code"] = gettext(
                    "The person's household is not in that grid: give the new household number too"
                )
            grid = person.grid
        if grid is None and person is not None:
            grid = person.grid
        if grid is None:
            if not problems.keys() & {"household", "grid_code"}:
                problems["grid_code"] = gettext("Give the household number or the grid code")
            return None
        values["grid"] = grid
        action = "people.change_person" if person is not None else "people.add_person"
        if not context.may(action, grid.path):
            key = "household" if household is not None else "grid_code"
            problems[key] = gettext(OUT_OF_REACH) % {"grid": grid.name}

        tags = None
        names = row.get("care_tags") or []
        if names:
            tags = []
            for name in names if names != NO_TAGS_WORDS else []:
                tag = context.tags.get(name)
                if tag is None:
                    problems["care_tags"] = gettext("Unknown care tag “%(name)s”") % {"name": name}
                    continue
                spec = services.TagSpec(tag=tag)
                if tag.has_disability_detail:
                    spec.disability_category = row.get("disability_category", "")
                    spec.disability_grade = row.get("disability_grade")
                tags.append(spec)
            services.check_tags(tags, problems)
            if not context.may("people.view_care_person", grid.path):
                problems["care_tags"] = gettext("You may not set care tags")
        if person is None:
            values.setdefault("status", PersonStatus.ACTIVE)
        elif tags is not None and sorted(services.tag_label(t) for t in tags) == sorted(
            context.tag_labels.get(person.pk, [])
        ):
            tags = None  # the same care tags as stored: nothing to write
        return person, values, tags

    def apply(self, plan, actor, progress):
        return services.bulk_write_persons(
            actor=actor,
            creates=plan.creates,
            updates=plan.updates,
            reason="import",
            progress=progress,
        )

    def export_queryset(self, actor):
        return (
            Person.objects.restrict(actor, "view")
            .select_related("grid", "household")
            .order_by("grid__path", "household__number", "id")
        )

    def export_rows(self, queryset, actor):
        scope = get_scope(actor)
        queryset = queryset.prefetch_related(
            Prefetch("tag_links", queryset=PersonTag.objects.select_related("tag"))
        )
        for person in queryset.iterator(chunk_size=2000):
            care = scope.allows("people.view_care_person", person.grid.path)
            links = list(person.tag_links.all()) if care else []
            disability = next((link for link in links if link.tag.has_disability_detail), None)
            yield {
                "id": person.pk,
                "name": person.name,
                "id_number": person.id_number_masked,
                "sex": label_of(Sex, person.sex),
                "birth_date": person.birth_date,
                "phone": person.phone_masked,
                "household": person.household.number if person.household_id else "",
                "relation": label_of(Relation, person.relation),
                "grid_code": person.grid.code,
                "care_tags": "；".join(link.tag.name for link in links),
                "disability_category": label_of(DisabilityCategory, disability.disability_category)
                if disability
                else "",
                "disability_grade": disability.disability_grade if disability else "",
                "status": label_of(PersonStatus, person.status),
                "note": person.note,
            }


class _PersonContext:
    """What checking a persons file needs from the database, fetched in a few queries."""

    def __init__(self, parsed, actor):
        rows = parsed.rows
        self.scope = get_scope(actor) if actor is not None else None
        self.first_rows = FirstRows()
        self.by_id = by_id(
            Person.objects.restrict(actor, "change").select_related("grid", "household"), parsed
        )
        # Households by number, as (id, grid): a file of 100,000 persons names tens of
        # thousands of households, so no model instances here.
        numbers = list({row["household"] for _n, row in rows if row.get("household")})
        found = []
        for chunk in in_chunks(numbers):
            found += Household.objects.filter(number__in=chunk).values_list("number", "pk", "grid")
        grids = Node.objects.in_bulk({grid_id for _number, _pk, grid_id in found})
        self.households = {number: (pk, grids[grid_id]) for number, pk, grid_id in found}
        self.grids = grids_by_code(parsed)
        self.tags = {}
        for tag in CareTag.objects.filter(is_active=True):
            self.tags[tag.name] = tag
            self.tags[tag.code] = tag
        self.digests = {
            idnumber.normalize(row["id_number"]): None
            for _n, row in rows
            if row.get("id_number") and "*" not in row["id_number"]
        }
        for number in self.digests:
            self.digests[number] = services.id_hash(number)
        digests = list(self.digests.values())
        self.owners: dict[str, int] = {}
        for chunk in in_chunks(digests):
            self.owners.update(
                Person.objects.filter(id_number_hash__in=chunk).values_list("id_number_hash", "pk")
            )
        known = {person.pk: person for person in self.by_id.values()}
        missing = [pk for pk in self.owners.values() if pk not in known]
        for chunk in in_chunks(missing):
            known.update(
                {
                    p.pk: p
                    for p in Person.objects.filter(pk__in=chunk).select_related("grid", "household")
                }
            )
        self.people = known
        self.tag_labels: dict[int, list[str]] = {}
        if "care_tags" in parsed.present:
            for chunk in in_chunks(list(known)):
                links = PersonTag.objects.filter(person_id__in=chunk).select_related("tag")
                for link in links:
                    self.tag_labels.setdefault(link.person_id, []).append(services.tag_label(link))

    def digest(self, raw: str) -> str:
        return self.digests[idnumber.normalize(raw)]

    def owner_of(self, digest: str) -> Person | None:
        pk = self.owners.get(digest)
        return None if pk is None else self.people[pk]

    def may(self, perm: str, path: str) -> bool:
        return self.scope is None or self.scope.allows(perm, path)
