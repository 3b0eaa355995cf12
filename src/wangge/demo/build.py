"""Build the demo district through the services, deterministically from a seed."""

from __future__ import annotations

import datetime
import json
import random
import uuid
from dataclasses import dataclass, field

import shapely
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from wangge.accounts import services as accounts
from wangge.accounts.models import ApiToken, LoginAttempt, Membership, User
from wangge.core.models import AuditEvent, Counter, IdempotencyKey, Job
from wangge.demo import campaigns, disputes, errands, history
from wangge.demo import district as spec
from wangge.demo import patrols as demo_patrols
from wangge.open311 import services as open311
from wangge.people import idnumber
from wangge.people import services as people
from wangge.people.choices import (
    DisabilityCategory,
    Relation,
    ResidenceType,
    Sex,
    VisitKind,
)
from wangge.people.models import CareTag, Household, Person, PersonTag, Visit
from wangge.territory import services as territory
from wangge.territory.choices import NodeKind
from wangge.territory.locate import invalidate
from wangge.territory.models import Building, BuildingTag, Dwelling, Node, Unit

DEFAULT_SEED = 410102
ROADS = spec.ROADS


@dataclass
class Stats:
    streets: int = 0
    communities: int = 0
    grids: int = 0
    buildings: int = 0
    dwellings: int = 0
    households: int = 0
    persons: int = 0
    visits: int = 0
    notices: int = 0
    accounts: list[str] = field(default_factory=list)


def _geojson(shape) -> dict:
    return json.loads(shapely.to_geojson(shape))


class Lattice:
    """Cells laid over the district; inner vertices jittered so boundaries look drawn."""

    def __init__(self, rng: random.Random):
        cols, rows = spec.LATTICE["columns"], spec.LATTICE["rows"]
        west, east = spec.BOUNDS["west"], spec.BOUNDS["east"]
        south, north = spec.BOUNDS["south"], spec.BOUNDS["north"]
        self.dx = (east - west) / cols
        self.dy = (north - south) / rows
        self.vertices = {}
        for r in range(rows + 1):
            for c in range(cols + 1):
                lng = west + c * self.dx
                lat = north - r * self.dy
                if 0 < r < rows and 0 < c < cols:
                    lng += rng.uniform(-0.2, 0.2) * self.dx
                    lat += rng.uniform(-0.2, 0.2) * self.dy
                self.vertices[r, c] = (round(lng, 7), round(lat, 7))

    def cell(self, r: int, c: int):
        v = self.vertices
        return shapely.Polygon([v[r, c], v[r + 1, c], v[r + 1, c + 1], v[r, c + 1]])

    def halves(self, r: int, c: int):
        """A cell cut in two, west and east, along the line joining its edges' midpoints."""
        v = self.vertices
        top = tuple(round((a + b) / 2, 7) for a, b in zip(v[r, c], v[r, c + 1], strict=True))
        bottom = tuple(
            round((a + b) / 2, 7) for a, b in zip(v[r + 1, c], v[r + 1, c + 1], strict=True)
        )
        return (
            shapely.Polygon([v[r, c], v[r + 1, c], bottom, top]),
            shapely.Polygon([top, bottom, v[r + 1, c + 1], v[r, c + 1]]),
        )


class Builder:
    def __init__(self, seed: int = DEFAULT_SEED, today: datetime.date | None = None, log=None):
        self.rng = random.Random(seed)
        self.today = today or timezone.localdate()
        self.log = log or (lambda message: None)
        self.stats = Stats()
        self.id_sequence = 0
        self.used_ids: set[str] = set()
        self.phone_sequence = 0
        self.care = {tag.code: tag for tag in CareTag.objects.all()}
        self.building_tags = {tag.code: tag for tag in BuildingTag.objects.all()}
        self.grids_by_code: dict[str, Node] = {}
        self.workers: dict[int, User] = {}

    # --- Territory -----------------------------------------------------------------------

    def territory(self):
        lattice = Lattice(self.rng)
        self.lattice = lattice
        outline = shapely.box(
            spec.BOUNDS["west"], spec.BOUNDS["south"], spec.BOUNDS["east"], spec.BOUNDS["north"]
        )
        self.district = territory.create_node(
            actor=None,
            kind=NodeKind.DISTRICT,
            code=spec.DISTRICT["code"],
            name=spec.DISTRICT["name"],
            geometry_json=_geojson(outline),
            description=f"{spec.DISTRICT['full_name']}（演示数据：边界为生成的网格，非官方边界）",
        )
        self.communities = []
        for index, street_spec in enumerate(spec.STREETS):
            block_c, block_r = index % 4, index // 4
            cells = [
                (r, c)
                for r in range(block_r * 4, block_r * 4 + 4)
                for c in range(block_c * 3, block_c * 3 + 3)
            ]
            street = territory.create_node(
                actor=None,
                kind=NodeKind.STREET,
                code=street_spec["code"],
                name=street_spec["name"],
                parent=self.district,
                geometry_json=_geojson(shapely.union_all([lattice.cell(*rc) for rc in cells])),
            )
            street.slug = street_spec["slug"]
            self.stats.streets += 1
            parts = len(street_spec["communities"])
            size = len(cells) // parts
            for part, community_spec in enumerate(street_spec["communities"]):
                mine = cells[part * size : (part + 1) * size]
                self._community(street, community_spec, mine)

    def _community(self, street, community_spec, cells):
        shape = shapely.union_all([self.lattice.cell(*rc) for rc in cells])
        community = territory.create_node(
            actor=None,
            kind=NodeKind.COMMUNITY,
            code=community_spec["code"],
            name=community_spec["name"],
            parent=street,
            geometry_json=_geojson(shape),
        )
        community.slug = community_spec["slug"]
        community.street_node = street
        community.grid_list = []
        self.stats.communities += 1
        self.communities.append(community)
        # Numbered west→east, north→south, as unit-grid codes are.
        for number, (r, c) in enumerate(sorted(cells), start=1):
            grid = territory.create_node(
                actor=None,
                kind=NodeKind.GRID,
                code=f"{community.code}{number:03d}",
                name=f"第{number}网格",
                parent=community,
                geometry_json=_geojson(self.lattice.cell(r, c)),
            )
            grid.cell = (r, c)
            grid.community_node = community
            community.grid_list.append(grid)
            self.grids_by_code[grid.code] = grid
            self.stats.grids += 1
            if grid.code in spec.MICRO_GRIDS_IN:
                for half, piece in enumerate(self.lattice.halves(r, c), start=1):
                    territory.create_node(
                        actor=None,
                        kind=NodeKind.MICRO_GRID,
                        code=f"{grid.code}{half:03d}",
                        name=f"{grid.name}{'西' if half == 1 else '东'}片微网格",
                        parent=grid,
                        geometry_json=_geojson(piece),
                    )
        for dedicated in spec.DEDICATED:
            if dedicated["community"] != community.code:
                continue
            host = community.grid_list[len(community.grid_list) // 2]
            centre = self.lattice.cell(*host.cell).centroid
            box = shapely.box(
                centre.x - 0.15 * self.lattice.dx,
                centre.y - 0.15 * self.lattice.dy,
                centre.x + 0.15 * self.lattice.dx,
                centre.y + 0.15 * self.lattice.dy,
            )
            box = shapely.set_precision(box, 1e-7)
            node = territory.create_node(
                actor=None,
                kind=NodeKind.DEDICATED_GRID,
                code=f"{community.code}{len(community.grid_list) + 1:03d}",
                name=dedicated["name"],
                parent=community,
                geometry_json=_geojson(box),
            )
            node.spec = dedicated
            node.shape = box
            host.dedicated = node
            self.stats.grids += 1

    # --- Buildings -------------------------------------------------------------------------

    def buildings(self):
        rng = self.rng
        for community in self.communities:
            compounds = rng.sample(spec.COMPOUND_WORDS, k=min(len(community.grid_list), 12))
            for position, grid in enumerate(community.grid_list):
                cell = self.lattice.cell(*grid.cell)
                inner = cell.buffer(-0.12 * min(self.lattice.dx, self.lattice.dy))
                dedicated = getattr(grid, "dedicated", None)
                keep_out = dedicated.shape.buffer(0.0008) if dedicated else None
                compound = compounds[position % len(compounds)]
                if position >= len(compounds):
                    compound = f"{compound}{position // len(compounds) + 1}期"
                compound, place = spec.STORY_COMPOUNDS.get(grid.code, (compound, ""))
                count = rng.randint(3, 4)
                points = self._points_in(inner, count, keep_out)
                road = rng.choice(ROADS)
                for number, point in enumerate(points, start=1):
                    self._building(grid, compound, f"{number}号楼", point, road, place=place)
                if dedicated is not None:
                    box = dedicated.shape
                    spots = self._points_in(box.buffer(-0.0004), len(dedicated.spec["buildings"]))
                    for name, point in zip(dedicated.spec["buildings"], spots, strict=False):
                        self._building(
                            dedicated, dedicated.spec["compound"], name, point, road, campus=True
                        )

    def _points_in(self, area, count, keep_out=None):
        rng = self.rng
        min_lng, min_lat, max_lng, max_lat = area.bounds
        chosen = []
        for _attempt in range(count * 60):
            if len(chosen) == count:
                break
            point = shapely.Point(
                round(rng.uniform(min_lng, max_lng), 7), round(rng.uniform(min_lat, max_lat), 7)
            )
            if not area.contains(point) or (keep_out is not None and keep_out.contains(point)):
                continue
            if any(point.distance(other) < 0.0012 for other in chosen):
                continue
            chosen.append(point)
        return chosen

    def _building(self, grid, compound, name, point, road, campus=False, place=""):
        rng = self.rng
        if campus:
            built, floors, units, rooms = rng.randint(2005, 2015), rng.choice([5, 6]), 1, 2
        elif rng.random() < 0.55:
            built, floors, units, rooms = rng.randint(1982, 1999), 6, rng.choice([1, 2]), 2
        else:
            built = rng.randint(2002, 2019)
            floors, units, rooms = rng.choice([7, 11, 11, 18]), 1, 2
        tags = []
        if built < 2000:
            tags.append(self.building_tags["old_house"])
            if rng.random() < 0.45:
                tags.append(self.building_tags["no_property"])
        if floors >= 10:
            tags.append(self.building_tags["high_rise"])
        if campus:
            tags = [self.building_tags["campus"]]
        number = rng.randint(1, 299)
        address = f"{place}{name}" if place else f"郑州市中原区{road}{number}号{compound}{name}"
        building = territory.create_building(
            actor=None,
            name=name,
            compound=compound,
            address=address,
            lng=point.x,
            lat=point.y,
            floors=floors,
            built_year=built,
            tags=tags,
            units=units,
            rooms_per_floor=rooms,
        )
        building.campus = campus
        self.stats.buildings += 1

    # --- People ------------------------------------------------------------------------------

    def _name(self, sex: str, surname: str | None = None) -> str:
        rng = self.rng
        surname = surname or rng.choice(spec.SURNAMES)
        pool = spec.GIVEN_MALE if sex == Sex.MALE else spec.GIVEN_FEMALE
        given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.7 else "")
        return surname + given

    def _born(self, age_low: int, age_high: int) -> datetime.date:
        age = self.rng.randint(age_low, age_high)
        day = self.rng.randint(0, 364)
        return self.today - datetime.timedelta(days=age * 365 + day + age // 4)

    def _person(self, household, relation, sex, age_range, surname=None, region="410102"):
        born = self._born(*age_range)
        while True:
            self.id_sequence += 1
            id_number = idnumber.make(region, born, self.id_sequence, sex == Sex.MALE)
            if id_number not in self.used_ids:
                self.used_ids.add(id_number)
                break
        age = (self.today - born).days // 365
        phone = ""
        if age >= 16 and self.rng.random() < 0.92:
            self.phone_sequence += 1
            phone = f"13800{self.phone_sequence:06d}"
        person = Person(
            grid_id=household.grid_id,
            household=household,
            relation=relation,
            name=self._name(sex, surname),
            sex=sex,
            birth_date=born,
            id_number=id_number,
            phone=phone,
        )
        person.demo_age = age
        return person

    def people(self):
        rng = self.rng
        dwellings = list(
            Dwelling.objects.select_related("building__grid").order_by("building_id", "id")
        )
        creates = []
        for dwelling in dwellings:
            if rng.random() < 0.14:
                continue  # vacant
            residence = rng.choices(
                [
                    ResidenceType.REGISTERED,
                    ResidenceType.FLOATING,
                    ResidenceType.SEPARATED,
                    ResidenceType.RENTING,
                ],
                weights=[70, 14, 8, 8],
            )[0]
            creates.append(
                {"grid": dwelling.building.grid, "dwelling": dwelling, "residence_type": residence}
            )
        people.bulk_write_households(actor=None, creates=creates, reason="demo")
        households = list(Household.objects.order_by("id"))
        self.stats.households = len(households)
        self.stats.dwellings = len(dwellings)
        persons = []
        for household in households:
            persons += self._members(household)
        fields = ["grid_id", "household_id", "relation", "name", "sex", "birth_date"]
        fields += ["id_number", "phone"]
        creates = [
            ({field: getattr(person, field) for field in fields}, self._care(person, kind))
            for person, kind in persons
        ]
        people.bulk_write_persons(actor=None, creates=creates, reason="demo")
        self.stats.persons = len(creates)

    def _members(self, household):
        rng = self.rng
        region = "410102"
        if household.residence_type in {ResidenceType.FLOATING, ResidenceType.RENTING}:
            region = rng.choice(spec.OTHER_REGIONS)
        kind = rng.choices(
            ["alone_old", "old_couple", "single", "couple", "family", "three_gen", "shared"],
            weights=[9, 13, 8, 14, 34, 15, 7],
        )[0]
        if household.residence_type == ResidenceType.RENTING and kind in {
            "alone_old",
            "old_couple",
        }:
            kind = "shared"
        surname = rng.choice(spec.SURNAMES)
        members = []
        head_sex = rng.choice([Sex.MALE, Sex.FEMALE])
        other = Sex.FEMALE if head_sex == Sex.MALE else Sex.MALE

        def add(relation, sex, ages, same_name=False):
            members.append(
                self._person(household, relation, sex, ages, surname if same_name else None, region)
            )

        if kind == "alone_old":
            add(Relation.HEAD, head_sex, (66, 92), True)
        elif kind == "old_couple":
            add(Relation.HEAD, Sex.MALE, (62, 88), True)
            add(Relation.SPOUSE, Sex.FEMALE, (60, 86))
        elif kind == "single":
            add(Relation.HEAD, head_sex, (22, 58), True)
        elif kind == "couple":
            add(Relation.HEAD, Sex.MALE, (25, 58), True)
            add(Relation.SPOUSE, Sex.FEMALE, (24, 56))
        elif kind in {"family", "three_gen"}:
            add(Relation.HEAD, Sex.MALE, (30, 52), True)
            add(Relation.SPOUSE, Sex.FEMALE, (28, 50))
            for _child in range(rng.choice([1, 1, 2])):
                add(Relation.CHILD, rng.choice([Sex.MALE, Sex.FEMALE]), (1, 20), True)
            if kind == "three_gen":
                add(Relation.PARENT, Sex.FEMALE, (60, 90))
                if rng.random() < 0.5:
                    add(Relation.PARENT, Sex.MALE, (62, 90), True)
        else:
            add(Relation.HEAD, head_sex, (20, 45), True)
            for _mate in range(rng.choice([1, 2])):
                add(Relation.NON_RELATIVE, rng.choice([head_sex, other]), (20, 45))
        household.kind = kind
        return [(person, kind) for person in members]

    def _care(self, person, kind) -> list[people.TagSpec]:
        rng = self.rng
        tags = []
        age = person.demo_age
        if kind == "alone_old" and age >= 60:
            tags.append(people.TagSpec(tag=self.care["living_alone"]))
        if kind == "old_couple" and age >= 60:
            tags.append(people.TagSpec(tag=self.care["empty_nest"]))
        if age >= 80:
            tags.append(people.TagSpec(tag=self.care["very_old"]))
        if rng.random() < (0.09 if age >= 60 else 0.035):
            category = rng.choices(
                list(DisabilityCategory.values), weights=[14, 20, 2, 38, 8, 10, 8]
            )[0]
            tags.append(
                people.TagSpec(
                    tag=self.care["disabled"],
                    disability_category=category,
                    disability_grade=rng.choices([1, 2, 3, 4], weights=[10, 20, 35, 35])[0],
                )
            )
        if person.relation == Relation.HEAD and rng.random() < 0.025:
            tags.append(people.TagSpec(tag=self.care["dibao"]))
        if kind == "alone_old" and rng.random() < 0.06:
            tags.append(people.TagSpec(tag=self.care["tekun"]))
        if age >= 55 and person.sex == Sex.MALE and rng.random() < 0.025:
            tags.append(people.TagSpec(tag=self.care["youfu"]))
        if age < 16 and rng.random() < 0.04:
            tags.append(people.TagSpec(tag=self.care["left_behind_child"]))
        return tags

    # --- Staff and visits -----------------------------------------------------------------

    def accounts(self):
        password = settings.WANGGE_DEMO_PASSWORD
        by_code = {node.code: node for node in Node.objects.all()}
        for username, display, role, where in spec.ACCOUNTS:
            user = accounts.create_user(
                actor=None,
                username=username,
                display_name=display,
                password=password,
                is_staff=role == "district_admin",
            )
            if where.endswith("*"):
                community = by_code[where[:-1]]
                targets = list(
                    Node.objects.filter(parent=community, kind=NodeKind.GRID).order_by("code")
                )
            else:
                targets = [by_code[where]]
            for node in targets:
                accounts.add_membership(actor=None, user=user, node=node, role=role)
            self.stats.accounts.append(username)
        # Everyone else who works the district: staff of every street and community, a
        # worker for every grid, building heads in the micro-grids. They sign in by other
        # means (no password here).
        taken = {username for username, *_rest in spec.ACCOUNTS}
        for community in self.communities:
            street = community.street_node
            name = f"street_{street.slug}"
            if name not in taken:
                user = accounts.create_user(
                    actor=None, username=name, display_name=f"{street.name} 工作人员"
                )
                accounts.add_membership(actor=None, user=user, node=street, role="street_staff")
                taken.add(name)
            name = f"community_{community.slug}"
            if name not in taken:
                user = accounts.create_user(
                    actor=None, username=name, display_name=f"{community.name} 工作人员"
                )
                accounts.add_membership(
                    actor=None, user=user, node=community, role="community_staff"
                )
                taken.add(name)
            for number, grid in enumerate(community.grid_list, start=1):
                name = f"gridworker_{community.slug}{number}"
                if name in taken:
                    user = User.objects.get(username=name)
                else:
                    user = accounts.create_user(
                        actor=None,
                        username=name,
                        display_name=f"{community.name}{grid.name} {self._name(Sex.FEMALE)}",
                    )
                    accounts.add_membership(actor=None, user=user, node=grid, role="grid_worker")
                    taken.add(name)
                self.workers[grid.pk] = user
        for micro in Node.objects.filter(kind=NodeKind.MICRO_GRID).order_by("code"):
            name = f"buildinghead_{micro.code[-6:]}"
            user = accounts.create_user(
                actor=None, username=name, display_name=f"楼栋长 {self._name(Sex.MALE)}"
            )
            accounts.add_membership(actor=None, user=user, node=micro, role="building_head")
        for dedicated in Node.objects.filter(kind=NodeKind.DEDICATED_GRID).order_by("code"):
            name = f"gridworker_{dedicated.code}"
            user = accounts.create_user(
                actor=None, username=name, display_name=f"{dedicated.name} 网格员"
            )
            accounts.add_membership(actor=None, user=user, node=dedicated, role="grid_worker")
            self.workers[dedicated.pk] = user

    def notices(self):
        """S1: a WeCom robot for each grid of 绿都社区, and the community's notices published
        to them; a street's notice and the district's waiting for approval. Their robots'
        messages are delivered here without a network (the keys are made up) and their text
        messages recorded as not sent (no gateway), so the demo's outbox starts empty. Run
        again, it adds nothing."""
        from wangge.notices import outbox
        from wangge.notices import services as notices
        from wangge.notices.choices import Channel, Outcome
        from wangge.notices.models import Notice, NoticeKind, NoticeTemplate, Robot
        from wangge.notices.transport import Answer

        grids = Node.objects.filter(parent__code=spec.ROBOT_COMMUNITY, kind=NodeKind.GRID)
        for grid in grids.order_by("code"):
            if not Robot.objects.filter(grid=grid).exists():
                notices.create_robot(
                    actor=None,
                    grid=grid,
                    name=spec.ROBOT_GROUP_NAME.format(grid=grid.name),
                    key=str(uuid.uuid5(uuid.NAMESPACE_URL, f"wangge-demo-robot-{grid.code}")),
                )
        author = User.objects.get(username=spec.NOTICES_BY)
        for item in spec.NOTICES:
            template = NoticeTemplate.objects.filter(name=item.get("template", "")).first()
            notice = notices.create_notice(
                actor=author,
                kind=NoticeKind.objects.get(code=item["kind"]),
                template=template,
                title=item.get("title", ""),
                body=item.get("body", ""),
                nodes=list(Node.objects.filter(code__in=item["places"])),
                wecom_format=item["wecom_format"],
                to_sms=item.get("to_sms", False),
                idempotency_key=item["key"],
            )
            if notice.state == "draft":
                notices.publish_notice(actor=author, notice=notice)
        for item in spec.PENDING_NOTICES:
            by = User.objects.get(username=item["by"])
            notice = notices.create_notice(
                actor=by,
                kind=NoticeKind.objects.get(code=item["kind"]),
                title=item["title"],
                body=item["body"],
                nodes=list(Node.objects.filter(code__in=item["places"])),
                wecom_format=item["wecom_format"],
                idempotency_key=item["key"],
            )
            if notice.state == "draft":
                notices.publish_notice(actor=by, notice=notice)
        # The grid groups' robots are the demo's own; its residents' phones are not: with no
        # SMS gateway, their messages are recorded as the log-only provider records them.
        delivered = Answer(Outcome.SENT, code="demo", text="demo: delivered without a network")
        logged = Answer(Outcome.LOGGED, code="log", text="no SMS gateway configured: log only")

        def transport(delivery):
            return delivered if delivery.channel == Channel.WECOM else logged

        while outbox.drain(owner="demo", transport=transport):
            pass
        self.stats.notices = Notice.objects.count()

    def visits(self):
        """A year of home visits; how thorough a grid's worker is varies by grid."""
        rng = self.rng
        now = timezone.now()
        households = list(Household.objects.select_related("grid").order_by("id"))
        diligence = {}
        visits = []
        for household in households:
            grid = household.grid
            top = grid if grid.kind != NodeKind.MICRO_GRID else None
            key = grid.parent_id if top is None else grid.pk
            if key not in diligence:
                diligence[key] = rng.uniform(0.45, 0.97)
            worker = self.workers.get(key)
            if rng.random() < diligence[key]:
                count = rng.choice([1, 1, 2, 3])
                for _visit in range(count):
                    days = rng.randint(0, 85)
                    visits.append(self._visit(household, worker, now, days))
            if rng.random() < 0.5:
                visits.append(self._visit(household, worker, now, rng.randint(95, 360)))
        people.bulk_write_visits(actor=None, visits=visits, reason="demo")
        self.stats.visits = len(visits)

    def _visit(self, household, worker, now, days_ago):
        rng = self.rng
        kind = rng.choices([VisitKind.HOME, VisitKind.PHONE, VisitKind.CHANCE], [70, 20, 10])[0]
        notes = rng.choice(
            [
                "入户核实人口信息，无变化。",
                "了解家庭近况，宣传反诈知识。",
                "询问供暖情况，室温正常。",
                "老人身体状况良好，叮嘱注意防滑。",
                "更新联系电话，告知网格群二维码。",
                "宣传垃圾分类与电动车安全充电。",
            ]
        )
        visited = now - datetime.timedelta(days=days_ago, hours=rng.randint(0, 9))
        return Visit(
            household=household,
            grid_id=household.grid_id,
            visitor=worker,
            kind=kind,
            visited_at=visited,
            notes=notes,
        )


def build(*, seed: int = DEFAULT_SEED, today: datetime.date | None = None, log=None) -> Stats:
    """Build the whole demo district in one transaction, its year of cases ending at the
    start of ``today`` (by default the real today)."""
    builder = Builder(seed=seed, today=today, log=log)
    with transaction.atomic():
        builder.territory()
        builder.log("territory done")
        builder.buildings()
        builder.log("buildings done")
        builder.accounts()
        builder.people()
        builder.log("people done")
        builder.visits()
        open311.create_open311_client(actor=None, name="演示客户端", key=spec.OPEN311_DEMO_KEY)
        builder.log("visits done")
        history.build_history(rng=builder.rng, today=builder.today, log=builder.log)
        builder.notices()
        builder.log("notices done")
        campaigns.build_campaigns(today=builder.today, log=builder.log)
        errands.build(today=builder.today)  # S2: 绿都社区's grid team and its errands
        disputes.build_disputes(today=builder.today)
        demo_patrols.build_patrols(today=builder.today)
    invalidate()
    return builder.stats


def reset() -> None:
    """Remove everything the demo (or anyone) put in the register; keep seeded standards."""
    from wangge.cases.models import (
        Case,
        CaseEvent,
        CaseRollup,
        ChannelRollup,
        Extension,
        Follower,
        GridRollup,
        Photo,
        RoutingRule,
        Task,
        Team,
    )
    from wangge.core.models import Notification
    from wangge.lostfound.models import Claim, FoundItem
    from wangge.notices.models import Delivery, Follow, Notice, Robot
    from wangge.open311.models import Open311Client

    with transaction.atomic():
        disputes.remove_disputes()
        for model in (Delivery, Notice, Follow, Robot):
            model.objects.all().delete()
        for model in (Claim, FoundItem, Photo, Follower, Extension, CaseEvent, Task):
            model.objects.all().delete()
        Case.objects.filter(merged_into__isnull=False).delete()
        for model in (
            Case,
            CaseRollup,
            GridRollup,
            ChannelRollup,
            RoutingRule,
            Team,
            Open311Client,
            Notification,
        ):
            model.objects.all().delete()
        Visit.objects.all().delete()
        PersonTag.objects.all().delete()
        Person.objects.all().delete()
        Household.objects.all().delete()
        Dwelling.objects.all().delete()
        Unit.objects.all().delete()
        Building.objects.all().delete()
        ApiToken.objects.all().delete()
        Membership.objects.all().delete()
        LoginAttempt.objects.all().delete()
        IdempotencyKey.objects.all().delete()
        Job.objects.all().delete()
        AuditEvent.objects.all().delete()
        User.objects.filter(is_superuser=False).delete()
        for depth in sorted(set(Node.objects.values_list("depth", flat=True)), reverse=True):
            Node.objects.filter(depth=depth).delete()
        Counter.objects.all().delete()
    invalidate()


def is_empty() -> bool:
    return not Node.objects.exists()
