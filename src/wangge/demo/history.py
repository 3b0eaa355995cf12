"""A year of cases in the demo district, made through the services with backdated times.

``build_history`` lays out a year of cases (today − 365 days up to the start of today): how
many arrive each day, of which category (heating in winter, snow and trees in the cold months,
noise in summer …), from which channel, where, and what becomes of each — most are handled,
verified and closed with the resident's rating; some run late, are sent back for rework,
reopened after a dissatisfied callback, parked, handed to an outside agency, escalated to the
community, merged as duplicates or voided. Each case's life is a script of moves; the moves of
all cases are played in time order through ``services.report`` and ``services.act``, and a
move that would fall after the start of today is not played, so the last weeks' cases are
still open in every state. The five story cases (S4, S5, S8, S9, S10 of STORIES.md) are
played with their own timelines and words, and the personas' grids get a set of open cases
in every state of the console.

Everything is drawn from ``rng`` (the demo's seed); each case has its own generator, so the
history is the same for the same seed and day.
"""

from __future__ import annotations

import datetime
import heapq
import itertools
import random
from collections.abc import Callable, Generator
from dataclasses import dataclass, field

import shapely
from django.utils import timezone

from wangge.accounts.choices import Role
from wangge.accounts.models import Membership, User
from wangge.cases import metrics, services
from wangge.cases.calendar import WorkCalendar
from wangge.cases.choices import (
    FINAL_STATES,
    Channel,
    ExtensionState,
    Kind,
    LimitUnit,
    Rating,
    State,
)
from wangge.cases.models import Agency, Case, Category
from wangge.core import memo
from wangge.demo import casebook as book
from wangge.demo import district as spec
from wangge.territory.choices import NodeKind
from wangge.territory.models import Building, Node

FIELD = {Channel.PATROL, Channel.HOME_VISIT}
RESIDENT_CHANNELS = {
    Channel.GROUP_CHAT,
    Channel.PHONE,
    Channel.WALK_IN,
    Channel.HOTLINE,
    Channel.WEB,
    Channel.HOME_VISIT,
}
OFFICE_ONLY = {Channel.WALK_IN, Channel.HOME_VISIT}

# --- The players ----------------------------------------------------------------------------


@dataclass
class Place:
    """A grid where cases happen, its people and where in it."""

    grid: Node
    community: Node
    staff: User
    worker: User
    buildings: list[Building]
    shape: object
    weight: float


@dataclass
class Plan:
    """One case to be: what it says and where, and what will become of it."""

    rng: random.Random
    received: datetime.datetime
    place: Place
    category: Category
    channel: str
    kind: str
    title: str
    description: str
    attributes: dict
    building: Building | None = None
    lng: float | None = None
    lat: float | None = None
    address: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""
    external_id: str = ""
    fate: str = ""  # send_back, escalate, park, transfer, extension, void, duplicate
    late: bool = False
    rework: bool = False
    rating: str = ""
    slow: float = 1.0  # how much slower than usual each move comes (a backlog)
    stop: str = ""  # leave the case in this state (the personas' open cases)
    duplicate_of: Plan | None = None  # the first report of the same problem


@dataclass
class Step:
    at: datetime.datetime
    actor: User | None
    action: str  # "report", a move of machine.MOVES, or "" (nothing: a moment to decide)
    options: dict = field(default_factory=dict)


@dataclass
class Track:
    plan: Plan | None
    script: Generator
    case: Case | None = None


@dataclass
class HistoryStats:
    cases: int = 0
    moves: int = 0
    skipped: int = 0
    by_state: dict = field(default_factory=dict)


def build_history(*, rng: random.Random, today: datetime.date, log: Callable | None = None):
    """Play a year of cases up to the start of ``today``; returns ``HistoryStats``."""
    with memo.steady():
        history = History(rng=rng, today=today, log=log)
        return history.play()


def story_case(key: str) -> Case:
    """The case of story ``key`` ("S4", "S5", "S8", "S9", "S10")."""
    return Case.objects.get(title=spec.STORY_CASES[key])


class History:
    def __init__(self, *, rng, today, log):
        self.rng = rng
        self.zone = timezone.get_current_timezone()
        self.end = datetime.datetime.combine(today, datetime.time(0, 0), self.zone)
        self.start = self.end - datetime.timedelta(days=365)
        self.log = log or (lambda message: None)
        self.cal = WorkCalendar()
        self.categories = {
            c.code: c for c in Category.objects.filter(tree__is_current=True, is_active=True)
        }
        self.agencies = {a.name: a for a in Agency.objects.filter(is_active=True)}
        self.places = self._places()
        self.by_code = {place.grid.code: place for place in self.places}
        self.tracks: list[Track] = []
        self.track_of: dict[int, Track] = {}  # id(plan) → its track
        self.hotline_numbers = itertools.count(1)
        self.stats = HistoryStats()

    # --- The district ---------------------------------------------------------------------

    def _places(self) -> list[Place]:
        grids = list(
            Node.objects.filter(kind__in=[NodeKind.GRID, NodeKind.DEDICATED_GRID]).order_by("code")
        )
        communities = Node.objects.in_bulk({grid.parent_id for grid in grids})
        staff, workers = {}, {}
        for membership in (
            Membership.objects.filter(
                is_active=True, role__in=[Role.COMMUNITY_STAFF, Role.GRID_WORKER]
            )
            .select_related("user")
            .order_by("user__username", "id")
        ):
            mapping = staff if membership.role == Role.COMMUNITY_STAFF else workers
            mapping.setdefault(membership.node_id, membership.user)
        buildings: dict[int, list[Building]] = {}
        micro_parent = dict(
            Node.objects.filter(kind=NodeKind.MICRO_GRID).values_list("pk", "parent_id")
        )
        for building in Building.objects.order_by("id"):
            key = micro_parent.get(building.grid_id, building.grid_id)
            buildings.setdefault(key, []).append(building)
        places = []
        for grid in grids:
            community = communities[grid.parent_id]
            if community.pk not in staff or grid.pk not in workers:
                continue
            weight = spec.HISTORY_BUSY.get(community.code, 1.0)
            if grid.kind == NodeKind.DEDICATED_GRID:
                weight *= 0.4
            shape = shapely.geometry.shape(grid.geometry).buffer(-0.0003)
            shapely.prepare(shape)
            places.append(
                Place(
                    grid=grid,
                    community=community,
                    staff=staff[community.pk],
                    worker=workers[grid.pk],
                    buildings=buildings.get(grid.pk, []),
                    shape=shape,
                    weight=weight,
                )
            )
        return places

    def _point(self, place: Place, r: random.Random) -> tuple[float, float]:
        """A point in the grid and in no other grid beside its own micro-grids."""
        west, south, east, north = place.shape.bounds
        campuses = [  # dedicated grids inside this one are grids of their own
            other.shape.buffer(0.0006)
            for other in self.places
            if other.grid.kind == NodeKind.DEDICATED_GRID
            and other.grid.parent_id == place.grid.parent_id
            and other is not place
        ]
        for _attempt in range(200):
            lng = round(r.uniform(west, east), 7)
            lat = round(r.uniform(south, north), 7)
            if shapely.contains_xy(place.shape, lng, lat) and not any(
                shapely.intersects_xy(campus, lng, lat) for campus in campuses
            ):
                return lng, lat
        point = place.shape.representative_point()
        return point.x, point.y

    # --- Time -----------------------------------------------------------------------------

    def office(self, after: datetime.datetime, low: float, high: float, r, slow: float = 1.0):
        """A moment ``low``–``high`` working minutes after ``after`` (office hours)."""
        minutes = r.uniform(low, high) * slow
        return self.cal.add_working_seconds(after, minutes * 60)

    def _office_moment(self, day: datetime.date, r) -> datetime.datetime:
        """A moment in the office hours of ``day``."""
        spans = [
            (
                datetime.datetime.combine(day, opens, self.zone),
                datetime.datetime.combine(day, closes, self.zone),
            )
            for opens, closes in self.cal.spans
        ]
        lengths = [(closes - opens).total_seconds() for opens, closes in spans]
        opens, closes = r.choices(spans, weights=lengths)[0]
        seconds = r.uniform(0, (closes - opens).total_seconds() - 60)
        return opens + datetime.timedelta(seconds=int(seconds))

    def _any_moment(self, day: datetime.date, r, first=7, last=23) -> datetime.datetime:
        hours = list(range(first, last))
        weights = [3 if 8 <= h <= 11 or 14 <= h <= 17 else 2 if h <= 20 else 1 for h in hours]
        hour = r.choices(hours, weights=weights)[0]
        moment = datetime.datetime.combine(day, datetime.time(hour), self.zone)
        return moment + datetime.timedelta(seconds=r.randrange(3600))

    def _received(self, day: datetime.date, channel: str, r) -> datetime.datetime:
        workday = self.cal.is_workday(day)
        if workday and (
            channel in OFFICE_ONLY
            or (channel == Channel.PATROL and r.random() < 0.85)
            or (channel == Channel.PHONE and r.random() < 0.75)
        ):
            return self._office_moment(day, r)
        if channel == Channel.PATROL:
            return self._any_moment(day, r, 8, 19)
        return self._any_moment(day, r)

    # --- Laying out the year ----------------------------------------------------------------

    def plans(self) -> list[Plan]:
        rng = self.rng
        days = [
            self.start.date() + datetime.timedelta(days=offset)
            for offset in range((self.end.date() - self.start.date()).days)
        ]
        volume = {
            day: book.MONTH_VOLUME.get(day.month, 1.0)
            * (1.0 if self.cal.is_workday(day) else book.REST_DAY_VOLUME)
            for day in days
        }
        total = sum(volume.values())
        place_weights = [place.weight for place in self.places]
        plans = []
        for day in days:
            expected = spec.HISTORY_CASES * volume[day] / total
            count = int(expected) + (rng.random() < expected - int(expected))
            codes, weights = self._category_weights(day.month)
            for _n in range(count):
                r = random.Random(rng.getrandbits(64))
                place = r.choices(self.places, weights=place_weights)[0]
                code = r.choices(codes, weights=weights)[0]
                plans.append(self._plan(r, day, place, code))
        return plans

    def _category_weights(self, month: int):
        codes, weights = [], []
        for code, weight in book.CATEGORY_WEIGHTS.items():
            if code not in self.categories:
                continue
            season = book.SEASONS.get(code, {})
            codes.append(code)
            weights.append(weight * season.get(month, season.get("other", 1.0)))
        return codes, weights

    def _plan(self, r, day, place, code, *, channel=None, received=None) -> Plan:
        category = self.categories[code]
        if channel is None:
            table = book.CHANNELS.get(code) or (
                book.STREET_MIX
                if code[:2] in ("BJ", "SJ", "HJ")
                else book.HAZARD_MIX
                if code[:2] == "AQ"
                else book.RESIDENT_MIX
            )
            channel = r.choices(list(table), weights=list(table.values()))[0]
            if channel in OFFICE_ONLY and not self.cal.is_workday(day):
                channel = Channel.GROUP_CHAT
        received = received or self._received(day, channel, r)
        kind = category.default_kind
        if channel in FIELD and r.random() < book.ON_THE_SPOT.get(code, 0.0):
            kind = Kind.INSTANT
        elif kind == Kind.INSTANT and code != "JZ01":
            kind = Kind.PROMISED  # entered at the office: a promise, not a spot fix
        elif code[:2] == "MD" and r.random() < 0.2:
            kind = Kind.COORDINATED
        plan = Plan(
            rng=r,
            received=received,
            place=place,
            category=category,
            channel=channel,
            kind=kind,
            title="",
            description="",
            attributes={},
        )
        self._words(plan, code, received.month)
        if channel in RESIDENT_CHANNELS:
            surname = r.choice(spec.SURNAMES)
            plan.reporter_name = surname + r.choice(["先生", "女士", "阿姨", "大爷"])
            plan.reporter_phone = f"1{r.choice('35789')}{r.randrange(10**9):09d}"
        if channel == Channel.HOTLINE:
            plan.external_id = f"GD{received:%Y%m%d}{next(self.hotline_numbers):05d}"
        self._fate(plan, code)
        return plan

    def _words(self, plan: Plan, code: str, month: int) -> None:
        r = plan.rng
        templates, _notes = book.TEXTS[code]
        if code == "AQ04" and month not in (11, 12, 1, 2, 3):
            templates = book.SNOWLESS_AQ04
        title, text = r.choice(templates)
        place = plan.place
        needs_building = "{place}" in title + text or "{compound}" in title + text
        building = r.choice(place.buildings) if needs_building and place.buildings else None
        floors = (building.floors if building else None) or 6
        floor = r.randint(2, max(2, floors))
        values = {
            "place": f"{building.compound}{building.name}" if building else place.grid.name,
            "compound": building.compound if building else place.community.name,
            "unit": r.randint(1, 2),
            "floor": floor,
            "room": f"{floor}0{r.randint(1, 2)}",
            "road": r.choice(spec.ROADS),
            "temp": r.randint(11, 16),
        }
        plan.title = title.format(**values)[:100]
        plan.description = text.format(**values)
        if building is not None:
            plan.building = building
            plan.address = building.address
        else:
            plan.lng, plan.lat = self._point(place, r)
            plan.address = f"{values['road']}{r.randint(1, 299)}号附近"
        plan.attributes = self._answers(plan, code, r)

    def _answers(self, plan: Plan, code: str, r) -> dict:
        if code == "MS01":
            households = r.randint(4, 30) if "多户" in plan.title else 1
            return {"room_temperature": r.randint(11, 16), "households_affected": households}
        if code in ("MD01", "MD02"):
            period = r.choices(["day", "evening", "night"], weights=[3, 4, 3])[0]
            return {"period": period, "source": "楼上" if code == "MD01" else "邻居家的狗"}
        if code == "MD03":
            return {"where": r.choice(["kitchen", "bathroom", "ceiling", "other"])}
        if code == "SW01":
            return {"item": plan.title.split("拾到")[-1], "found_where": plan.address[:50]}
        if code in ("AQ01", "AQ02", "AQ03", "AQ04", "AQ05"):
            kinds = {
                "AQ01": ["fire"],
                "AQ02": ["electric", "fire"],
                "AQ03": ["structure"],
                "AQ04": ["snow"] if plan.received.month in (11, 12, 1, 2, 3) else ["tree"],
                "AQ05": ["electric"],
            }[code]
            return {"danger_now": r.random() < 0.2, "kinds": kinds}
        return self._answers_2026_2(plan, code, r)

    def _answers_2026_2(self, plan: Plan, code: str, r) -> dict:
        """The answers to the questions of the kinds the category tree 2026.2 added; a few
        make the case urgent (someone trapped in a lift, someone hurt, a fire burning)."""
        where = plan.address or plan.place.grid.name
        if code == "DT01":
            trapped = "关人" in plan.title or r.random() < 0.05
            symptom = "door" if "门" in plan.title else "stopped"
            return {"trapped": trapped, "symptom": symptom, "where": where[:60]}
        if code == "DT03":
            households = r.choice([10, 12, 14, 18])
            return {"floors": r.choice([6, 7]), "households": households, "agreed": households - 2}
        if code[:2] == "ZA":
            return {"ongoing": False, "police_called": r.random() < 0.6}
        if code[:2] == "HJ":
            ongoing = code == "HJ03" and r.random() < 0.3
            return {"ongoing": ongoing or code in ("HJ01", "HJ04"), "source": where[:60]}
        if code == "AQ06":
            return {"injured": r.random() < 0.08, "where": where[:60]}
        if code == "AQ07":
            return {"about_to_fall": r.random() < 0.2, "shop": where[:60]}
        if code == "AQ08":
            return {"where": where[:60], "size": r.choice(["small", "medium", "large"])}
        if code[:2] == "XR":
            seen = plan.received - datetime.timedelta(hours=r.uniform(2, 8))
            return {
                "last_seen_at": timezone.localtime(seen).isoformat(timespec="minutes"),
                "last_seen_where": where[:60],
                "looks": "身高约一米六五，穿深色外套，说本地话。",
                "dementia": code == "XR01" and r.random() < 0.6,
                "police_called": r.random() < 0.5,
            }
        if code[:2] == "BY":
            return {"who": f"{plan.place.grid.name}网格员" if code == "BY01" else "邻居"}
        return {}

    def _fate(self, plan: Plan, code: str) -> None:
        r = plan.rng
        roll = r.random()
        agency, transfer_share = book.AGENCY_FOR.get(code, ("", 0.0))
        if plan.kind == Kind.INSTANT and plan.channel in FIELD:
            if code == "JZ01" and r.random() < transfer_share:
                plan.fate = "transfer"
            return
        if not plan.category.counts_as_problem:
            return  # praise: thanked and closed on arrival
        late_factor, dissatisfied = book.COMMUNITY_FORM.get(plan.place.community.code, (1, 1))
        resident = plan.channel in (Channel.HOTLINE, Channel.WEB, Channel.GROUP_CHAT)
        if plan.category.is_urgent(plan.attributes):
            pass  # someone trapped or hurt: rescued at once (``_rescue``), no other fate
        elif resident and roll < 0.012:
            plan.fate = "void"
        elif roll < 0.037:
            plan.fate = "send_back"
        elif roll < 0.037 + (0.05 if code in book.ESCALATING else 0.01):
            plan.fate = "escalate"
        elif roll < 0.09 and code in book.PARKABLE:
            plan.fate = "park"
        elif agency and r.random() < transfer_share:
            plan.fate = "transfer"
        elif r.random() < 0.03:
            plan.fate = "extension"
        plan.late = r.random() < 0.08 * late_factor
        plan.rework = r.random() < 0.05
        if plan.reporter_name:
            weights = dict(book.FIRST_CALLBACK)
            weights[Rating.DISSATISFIED] *= dissatisfied
            plan.rating = r.choices(list(weights), weights=list(weights.values()))[0]
        if plan.received > self.end - datetime.timedelta(days=21) and r.random() < 0.25:
            plan.slow = r.uniform(4, 12)

    def _duplicates(self, plans: list[Plan]) -> list[Plan]:
        """A few problems reported twice: the second report is merged into the first."""
        extra = []
        for plan in plans:
            r = plan.rng
            if plan.channel in FIELD or plan.kind == Kind.INSTANT or r.random() > 0.02:
                continue
            if not plan.category.counts_as_problem:  # praise is no problem reported twice
                continue
            received = plan.received + datetime.timedelta(hours=r.uniform(1, 30))
            if received >= self.end:
                continue
            channel = r.choice([Channel.HOTLINE, Channel.WEB, Channel.GROUP_CHAT])
            twin = Plan(
                rng=random.Random(r.getrandbits(64)),
                received=received,
                place=plan.place,
                category=plan.category,
                channel=channel,
                kind=plan.kind,
                title=f"又有居民反映：{plan.title}"[:100],
                description=f"又有居民反映：{plan.description}",
                attributes=dict(plan.attributes),
                building=plan.building,
                lng=plan.lng,
                lat=plan.lat,
                address=plan.address,
                reporter_name=r.choice(spec.SURNAMES) + r.choice(["先生", "女士"]),
                reporter_phone=f"13{r.randrange(10**9):09d}",
                fate="duplicate",
            )
            if channel == Channel.HOTLINE:
                twin.external_id = f"GD{received:%Y%m%d}{next(self.hotline_numbers):05d}"
            twin.duplicate_of = plan
            extra.append(twin)
        return extra

    # --- Playing it -----------------------------------------------------------------------

    def play(self) -> HistoryStats:
        plans = self.plans()
        plans += self._duplicates(plans)
        plans += self._showcase()
        self.track_of = {id(plan): Track(plan=plan, script=self._life(plan)) for plan in plans}
        self.tracks = list(self.track_of.values())
        self.tracks += [Track(plan=None, script=script) for script in self._stories()]
        self.log(f"history: {len(self.tracks)} cases laid out")
        queue: list = []
        order = itertools.count()
        for track in self.tracks:
            self._next(queue, order, track, None)
        played = 0
        # The year's moves sum their roll-up changes in memory: each roll-up row is written
        # once at the end (as an import would), not once or twice per move.
        with metrics.batched():
            while queue:
                at, _n, track, step = heapq.heappop(queue)
                if at >= self.end:
                    self.stats.skipped += 1
                    continue
                track.case = self._run(track, step)
                played += 1
                if played % 5000 == 0:
                    self.log(f"history: {played} moves")
                plan = track.plan
                if plan is not None and plan.stop and track.case.state == plan.stop:
                    continue
                self._next(queue, order, track, track.case, after=at)
            self.stats.moves = played
            services.sweep(now=self.end)
        counts: dict[str, int] = {}
        for state in Case.objects.values_list("state", flat=True):
            counts[state] = counts.get(state, 0) + 1
        self.stats.by_state = counts
        self.stats.cases = sum(counts.values())
        self.log(f"history: {self.stats.cases} cases, {played} moves")
        return self.stats

    def _next(self, queue, order, track, case, after=None):
        try:
            step = track.script.send(case) if after is not None else next(track.script)
        except StopIteration:
            return
        if after is not None and step.at <= after:
            step.at = after + datetime.timedelta(seconds=30)
        heapq.heappush(queue, (step.at, next(order), track, step))

    def _run(self, track: Track, step: Step) -> Case | None:
        if not step.action:
            return track.case
        if step.action == "report":
            return services.report(actor=step.actor, received_at=step.at, **step.options)
        return services.act(
            actor=step.actor, case=track.case, action=step.action, at=step.at, **step.options
        )

    # --- One case's life ----------------------------------------------------------------------

    def _report(self, plan: Plan, actor) -> Step:
        options = {
            "channel": plan.channel,
            "category": plan.category,
            "kind": plan.kind,
            "title": plan.title,
            "description": plan.description,
            "attributes": plan.attributes,
            "address": plan.address,
            "reporter_name": plan.reporter_name,
            "reporter_phone": plan.reporter_phone,
        }
        if plan.building is not None:
            options["building"] = plan.building
        else:
            options.update(lng=plan.lng, lat=plan.lat)
        if plan.external_id:
            options.update(external_source="12345", external_id=plan.external_id)
        if actor is not None and actor is plan.place.staff:  # taken up on entry
            options.update(self._accept_reply(plan))
        return Step(plan.received, actor, "report", options)

    # What the resident is told (``book.ACCEPT_REPLIES``, ``book.FINISH_REPLIES``): the
    # notes stay internal. Chosen from the plan, not drawn: the year's draws stay the same.

    def _accept_reply(self, plan: Plan) -> dict:
        if not plan.reporter_phone:
            return {}
        return {"reply": book.ACCEPT_REPLIES.get(plan.category.code[:2], "")}

    def _finish_reply(self, plan: Plan, note: str) -> dict:
        if not plan.reporter_name:
            return {}
        return {"reply": book.FINISH_REPLIES.get(note, "")}

    def _life(self, plan: Plan) -> Generator[Step, Case, None]:
        r, place, slow = plan.rng, plan.place, plan.slow
        staff, worker = place.staff, place.worker
        entry = {
            Channel.PHONE: staff,
            Channel.WALK_IN: staff,
            Channel.GROUP_CHAT: worker,
            Channel.PATROL: worker,
            Channel.HOME_VISIT: worker,
        }.get(plan.channel)
        case = yield self._report(plan, entry)
        code = plan.category.code
        if not plan.category.counts_as_problem:
            return  # praise: recorded, thanked and closed by the report itself
        if (
            case.state == State.REPORTED
            and plan.kind == Kind.INSTANT
            and entry is worker
            and plan.fate != "transfer"
        ):
            at = case.created_at + datetime.timedelta(minutes=r.uniform(5, 40))
            note = book.ON_THE_SPOT_NOTES.get(code, "现场处置完毕。")
            yield Step(at, worker, "solve_now", {"note": note})
            return
        if plan.fate == "duplicate":
            at = self.office(case.created_at, 10, 120, r, slow)
            yield Step(at, None, "")
            original = self.track_of[id(plan.duplicate_of)].case
            if original is not None and original.state not in FINAL_STATES:
                yield Step(at, staff, "merge", {"target": original})
            else:
                note = "重复反映，原案件已办结，已向居民说明处理结果。"
                yield Step(at, staff, "void", {"note": note})
            return
        if case.state == State.REPORTED:
            at = self.office(case.created_at, 5, 100, r, slow)
            if case.urgent:  # someone trapped or hurt: taken up at once, day or night
                at = case.created_at + datetime.timedelta(minutes=r.uniform(2, 12))
            if plan.fate == "void":
                note = r.choice(
                    ["信息不全，多次联系不上反映人。", "不属于本辖区事项，已告知反映人。"]
                )
                yield Step(at, staff, "void", {"note": note})
                return
            case = yield Step(at, staff, "accept", self._accept_reply(plan))
            if plan.stop == State.ACCEPTED:
                return
            at = at + datetime.timedelta(minutes=r.uniform(1, 15) * slow)
            if plan.fate == "transfer" and plan.kind == Kind.INSTANT:
                yield from self._transfer(plan, case, at)
                return
            if case.urgent:
                at = at + datetime.timedelta(minutes=r.uniform(1, 4))
            case = yield Step(at, staff, "dispatch", {"assignees": [worker], "note": "请尽快处置"})
        if case.urgent and plan.fate in ("", "extension") and not plan.stop:
            yield from self._rescue(plan, case)
            return
        yield from self._work(plan, case)

    def _rescue(self, plan: Plan, case: Case) -> Generator[Step, Case, None]:
        """An urgent case: signed for and handled within the hour, whatever the time of day;
        then checked and called back in office hours as any other."""
        r, worker = plan.rng, plan.place.worker
        at = (case.dispatched_at or case.accepted_at) + datetime.timedelta(minutes=r.uniform(2, 10))
        case = yield Step(at, worker, "sign")
        at = at + datetime.timedelta(minutes=r.uniform(15, 45))
        note = book.URGENT_NOTES.get(plan.category.code) or r.choice(
            book.TEXTS[plan.category.code][1]
        )
        case = yield Step(at, worker, "finish", {"note": note})
        yield from self._close(plan, case)

    def _work(self, plan: Plan, case: Case) -> Generator[Step, Case, None]:
        r, place, slow = plan.rng, plan.place, plan.slow
        staff, worker = place.staff, place.worker
        doer = worker
        at = case.dispatched_at or case.accepted_at
        if plan.fate == "send_back":
            at = self.office(at, 10, 90, r, slow)
            note = "该问题需物业配合处理，网格员无法单独处置，请社区协调。"
            case = yield Step(at, worker, "send_back", {"note": note})
            at = self.office(at, 20, 240, r, slow)
            note = "社区直接约谈物业协调处理。"
            case = yield Step(at, staff, "dispatch", {"assignees": [staff], "note": note})
            doer = staff
        at = self.office(at, 5, 90, r, slow)
        case = yield Step(at, doer, "sign")
        if plan.fate == "escalate":
            at = self.office(at, 30, 600, r, slow)
            note = "涉及多方，网格内协调不了，上报社区研究解决。"
            case = yield Step(at, doer, "escalate", {"note": note})
            at = self.office(at, 120, 1500, r, slow)
            note = "社区召集物业、业委会和相关住户协调会，明确各方责任和处理办法。"
            case = yield Step(at, staff, "decide", {"note": note})
            at = at + datetime.timedelta(minutes=r.uniform(5, 30))
            note = "按协调会决定落实。"
            case = yield Step(at, staff, "dispatch", {"assignees": [worker], "note": note})
            doer = worker
            at = self.office(at, 5, 120, r, slow)
            case = yield Step(at, doer, "sign")
        if plan.fate == "park":
            at = self.office(at, 60, 900, r, slow)
            until = (at + datetime.timedelta(days=r.randint(30, 100))).date()
            note = "需纳入老旧小区改造或维修资金计划，暂时无法解决，挂账定期复查。"
            case = yield Step(at, staff, "park", {"note": note, "parked_until": until})
            at = self.office(
                datetime.datetime.combine(until, datetime.time(8, 30), self.zone), 0, 240, r
            )
            note = "挂账复查：条件已具备，重新派遣处置。"
            case = yield Step(at, staff, "dispatch", {"assignees": [worker], "note": note})
            doer = worker
            at = self.office(at, 5, 120, r, slow)
            case = yield Step(at, doer, "sign")
        if plan.fate == "transfer":
            yield from self._transfer(plan, case, at)
            return
        if plan.stop == State.HANDLING or r.random() < 0.05:
            at = self.office(at, 5, 60, r, slow)
            case = yield Step(at, doer, "start")
        if plan.fate == "extension":
            at = self.office(at, 60, 600, r, slow)
            note = "需等待配件（或协调相关单位），申请延期。"
            options = {"note": note, "amount": r.choice([2, 3, 5]), "unit": LimitUnit.WORKING_DAYS}
            case = yield Step(at, doer, "request_extension", options)
            extension = case.extensions.filter(state=ExtensionState.PENDING).first()
            at = self.office(at, 20, 240, r, slow)
            options = {"extension": extension, "approve": True, "note": "同意延期。"}
            case = yield Step(at, staff, "decide_extension", options)
        case = yield self._finish(plan, case, doer, at)
        if plan.rework:
            at = self.office(case.done_at, 30, 480, r, slow)
            note = "核查发现问题未彻底解决，退回重办。"
            case = yield Step(at, staff, "rework", {"note": note})
            case = yield self._finish(plan, case, doer, at, again=True)
        yield from self._close(plan, case)

    def _finish(self, plan, case, doer, after, again=False) -> Step:
        r = plan.rng
        due = case.due_at
        if plan.stop:
            at = self.office(after, 30, 180, r)
        elif plan.late and not again and due is not None:
            at = self.cal.add_working_seconds(max(due, after), r.uniform(0.5, 16) * 3600)
        elif due is not None and due > after:
            span = self.cal.working_seconds_between(after, due)
            at = self.cal.add_working_seconds(after, span * r.uniform(0.1, 0.8))
        else:
            at = self.office(after, 30, 600, r)
        if plan.slow > 1 and due is not None:
            at = self.cal.add_working_seconds(at, (plan.slow - 1) * 3600)
        notes = book.TEXTS[plan.category.code][1]
        note = r.choice(notes) if not again else "已按核查意见重新处理到位。"
        return Step(at, doer, "finish", {"note": note, **self._finish_reply(plan, note)})

    def _transfer(self, plan, case, after) -> Generator[Step, Case, None]:
        r, staff = plan.rng, plan.place.staff
        name, _share = book.AGENCY_FOR[plan.category.code]
        agency = self.agencies[name]
        at = self.office(after, 10, 240, r, plan.slow)
        note = f"属{agency.kind or '专业'}单位职责，转{agency.name}处理。"
        case = yield Step(at, staff, "transfer", {"agency": agency, "note": note})
        at = self.office(at, 240, 2400, r, plan.slow)
        note = f"{agency.name}回复已处理完毕，回执已存档。"
        case = yield Step(at, staff, "receipt", {"note": note})
        yield from self._close(plan, case)

    def _close(self, plan, case) -> Generator[Step, Case, None]:
        r, slow = plan.rng, plan.slow
        staff, worker = plan.place.staff, plan.place.worker
        at = self.office(case.done_at, 20, 400, r, slow)
        case = yield Step(at, staff, "verify")
        at = self.office(at, 30, 900, r, slow)
        if not plan.reporter_name:
            yield Step(at, staff, "close", {"note": book.FIELD_CLOSE})
            return
        rating = plan.rating
        if not rating:
            yield Step(at, staff, "close", {"note": book.NOT_RATED})
            return
        note = r.choice(book.CALLBACK[rating])
        case = yield Step(at, staff, "close", {"rating": rating, "note": note})
        if rating != Rating.DISSATISFIED:
            return
        # Reopened: back to the handler, once more round the loop.
        doer = worker if case.handler_id == worker.pk else staff
        at = self.office(at, 10, 240, r, slow)
        case = yield Step(at, doer, "sign")
        plan.late = False
        case = yield self._finish(plan, case, doer, at, again=True)
        at = self.office(case.done_at, 20, 400, r, slow)
        case = yield Step(at, staff, "verify")
        at = self.office(at, 30, 900, r, slow)
        second = book.SECOND_CALLBACK
        rating = r.choices(list(second), weights=list(second.values()))[0]
        if rating == "still":  # closed as it stands: the resident's 不满意 is the record
            yield Step(at, staff, "close", {"note": r.choice(book.STILL_DISSATISFIED)})
            return
        if not rating:
            yield Step(at, staff, "close", {"note": book.SECOND_NOT_REACHED})
            return
        note = "二次回访：" + r.choice(book.CALLBACK[rating]).removeprefix("回访：")
        yield Step(at, staff, "close", {"rating": rating, "note": note})

    # --- The personas' open cases ------------------------------------------------------------

    def _working_days_before(self, days: int, hour: int = 9) -> datetime.datetime:
        day = self.end.date()
        while days > 0:
            day -= datetime.timedelta(days=1)
            if self.cal.is_workday(day):
                days -= 1
        return datetime.datetime.combine(day, datetime.time(hour, 0), self.zone)

    def _showcase(self) -> list[Plan]:
        """Open cases in every state of the console in the personas' grids (their to-do)."""
        wanted = [
            # (state to stop in, working days ago, channel, category, fate)
            (State.REPORTED, 0, Channel.HOTLINE, "MS02", ""),
            (State.REPORTED, 2, Channel.WEB, "SJ03", ""),
            (State.ACCEPTED, 1, Channel.WEB, "BJ01", ""),
            (State.DISPATCHED, 0, Channel.PHONE, "MD05", ""),
            (State.DISPATCHED, 2, Channel.PHONE, "MS05", ""),
            (State.SIGNED, 1, Channel.GROUP_CHAT, "MD01", ""),
            (State.SIGNED, 5, Channel.PHONE, "MS05", ""),
            (State.HANDLING, 7, Channel.HOTLINE, "BM01", ""),
            (State.DONE, 2, Channel.PHONE, "MD03", ""),
            (State.VERIFIED, 3, Channel.GROUP_CHAT, "AQ02", ""),
            (State.RETURNED, 1, Channel.PHONE, "MD04", "send_back"),
            (State.PARKED, 6, Channel.WALK_IN, "AQ03", "park"),
            (State.TRANSFERRED, 3, Channel.PHONE, "MS02", "transfer"),
            (State.ESCALATED, 2, Channel.WALK_IN, "MD05", "escalate"),
        ]
        plans = []
        for code in (spec.LVDU_GRID1, spec.LVDU_GRID2, spec.GUANLAN_GRID1):
            place = self.by_code.get(code)
            if place is None:
                continue
            for stop, days_ago, channel, category, fate in wanted:
                r = random.Random(self.rng.getrandbits(64))
                received = self._working_days_before(days_ago, r.choice([9, 10, 14, 15]))
                received += datetime.timedelta(minutes=r.randrange(60))
                if days_ago == 0:  # the evening before: waits for the morning
                    received = self.end - datetime.timedelta(hours=r.uniform(1, 4))
                plan = self._plan(
                    r, received.date(), place, category, channel=channel, received=received
                )
                plan.kind = Kind.PROMISED
                plan.fate, plan.stop, plan.late, plan.rework = fate, stop, False, False
                plan.slow = 1.0
                if stop == State.VERIFIED:
                    plan.reporter_name = plan.reporter_name or "王女士"
                plans.append(plan)
        return plans

    # --- The stories --------------------------------------------------------------------------

    def _last(self, month: int, day: int, room: int = 1) -> datetime.date:
        """The latest ``month``-``day`` at least ``room`` days before today (a story's
        timeline fits between it and today)."""
        today = self.end.date()
        latest = today - datetime.timedelta(days=room)
        year = latest.year if datetime.date(latest.year, month, day) <= latest else latest.year - 1
        return datetime.date(year, month, day)

    def _workday_from(self, day: datetime.date) -> datetime.date:
        while not self.cal.is_workday(day):
            day += datetime.timedelta(days=1)
        return day

    def _at(self, day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time(hour, minute), self.zone)

    def _stories(self) -> list[Generator]:
        return [self._s4(), self._s5(), self._s8(), self._s9(), self._s10()]

    def _community_place(self, community_code: str, number: int = 1) -> Place:
        return self.by_code[f"{community_code}{number:03d}"]

    def _s4(self):
        """S4 — lost keys found on patrol at gate 1 of the Wanda plaza, back within the hour."""
        plaza = next(
            p
            for p in self.places
            if p.grid.kind == NodeKind.DEDICATED_GRID and p.community.code == spec.WANDA
        )
        day = self._last(12, 14)
        point = plaza.shape.representative_point()
        case = yield Step(
            self._at(day, 10, 5),
            plaza.staff,
            "report",
            {
                "channel": Channel.PATROL,
                "category": self.categories["SW01"],
                "kind": Kind.INSTANT,
                "title": spec.STORY_CASES["S4"],
                "description": (
                    "网格长巡查至万达广场1号门，一名学生交来拾到的两串钥匙。已通过社区微信"
                    "公众号、各网格群和商场物业同时发布失物招领信息。"
                ),
                "attributes": {"item": "两串钥匙", "found_where": "万达广场1号门"},
                "lng": point.x,
                "lat": point.y,
                "address": "万达广场1号门",
            },
        )
        note = "半小时内失主（5号楼居民）与社区联系，核对钥匙特征后当面交还，失主表示感谢。"
        yield Step(
            case.created_at + datetime.timedelta(minutes=27),
            plaza.staff,
            "solve_now",
            {"note": note},
        )

    def _s5(self):
        """S5 — 21 households of No. 19 Gongren Road building 1 cold; a micro-renovation."""
        place = self.by_code["410102001006001"]
        staff, worker = place.staff, place.worker
        visit = self._last(12, 13)
        year = visit.year
        building = next(
            (b for b in place.buildings if b.name == "1号楼" and "工人路19号院" in b.compound),
            place.buildings[0] if place.buildings else None,
        )
        came = self._workday_from(datetime.date(year, 10, 16))
        case = yield Step(
            self._at(came, 9, 40),
            staff,
            "report",
            {
                "channel": Channel.WALK_IN,
                "category": self.categories["MS01"],
                "kind": Kind.COORDINATED,
                "title": spec.STORY_CASES["S5"],
                "description": (
                    "1号楼楼栋长李志刚（76岁）到社区服务中心反映：楼内有住户私自改装地暖，"
                    "原有串联式暖气管网不再循环，1号楼21户暖气不热。"
                ),
                "attributes": {"room_temperature": 13, "households_affected": 21},
                "building": building,
                "address": "郑州市中原区工人路19号院1号楼",
                "reporter_name": "李志刚",
                "reporter_phone": "13903710019",
            },
        )
        at = self._at(came, 10, 20)
        case = yield Step(at, worker, "sign")
        note = "网格员与楼栋长逐户查看，确认是串联管网被改装所致，需整体改造管网。"
        case = yield Step(self._at(came, 15, 30), worker, "comment", {"note": note})
        next_day = self._workday_from(came + datetime.timedelta(days=1))
        note = "涉及21户供暖管网整体改造，网格内无法解决，上报社区两委研究。"
        case = yield Step(self._at(next_day, 9, 0), worker, "escalate", {"note": note})
        meeting = self._workday_from(next_day + datetime.timedelta(days=3))
        note = (
            "社区两委会议研究决定：将1号楼供暖管网改造列为民生微改造重点项目，由社区联系施工"
            "单位、现场商定方案，征得全体住户同意后实施，计划12月中旬完工。"
        )
        options = {"note": note, "project_ref": "民生微改造：工人路19号院1号楼供暖管网改造"}
        case = yield Step(self._at(meeting, 16, 0), staff, "decide", options)
        note = "按两委决定推进：联系施工单位，现场商定方案，逐户征求意见。"
        options = {"assignees": [worker], "note": note}
        case = yield Step(self._at(meeting, 16, 30), staff, "dispatch", options)
        after = self._workday_from(meeting + datetime.timedelta(days=1))
        case = yield Step(self._at(after, 8, 50), worker, "sign")
        note = "民生微改造项目施工周期约两个月，计划12月中旬完工，申请延期。"
        options = {"note": note, "amount": 40, "unit": LimitUnit.WORKING_DAYS}
        case = yield Step(self._at(after, 9, 30), worker, "request_extension", options)
        extension = case.extensions.filter(state=ExtensionState.PENDING).first()
        options = {"extension": extension, "approve": True, "note": "同意，按项目计划推进。"}
        case = yield Step(self._at(after, 10, 15), staff, "decide_extension", options)
        agreed = self._workday_from(after + datetime.timedelta(days=5))
        note = (
            "施工单位、社区和住户代表现场商定改造方案；21户住户全部签字同意。"
            "3户老人由子女代签，已留存授权委托书。"
        )
        reply = "改造方案已和住户代表现场商定，1号楼21户都已签字同意，近期开工，计划12月中旬完工。"
        options = {"note": note, "reply": reply}
        case = yield Step(self._at(agreed, 15, 0), worker, "comment", options)
        begun = self._workday_from(agreed + datetime.timedelta(days=4))
        case = yield Step(self._at(begun, 9, 0), worker, "start")
        note = (
            "开工。8户住户年事已高，网格员和楼栋长多次上门做工作、协调入户施工时间，清除施工障碍。"
        )
        case = yield Step(self._at(begun, 11, 0), worker, "comment", {"note": note})
        finished = datetime.date(year, 11, 12)
        note = "管网改造完工，较计划提前一个月；经热力公司验收合格，具备通暖条件。"
        reply = "1号楼供暖管网改造已完工，比计划提前一个月，热力公司验收合格，可以通暖了。"
        options = {"note": note, "reply": reply}
        case = yield Step(self._at(finished, 16, 30), worker, "finish", options)
        checked = self._workday_from(datetime.date(year, 11, 17))
        note = "供暖开始后入户测温，1号楼各户室温达标。"
        case = yield Step(self._at(checked, 10, 0), staff, "verify", {"note": note})
        note = "两名网格长到李志刚老人家中回访，摸了摸暖气片：“现在可热乎了！”"
        reply = "网格长已上门回访，暖气热乎了。感谢您和各位住户的耐心支持！"
        options = {"note": note, "reply": reply}
        case = yield Step(self._at(visit, 10, 0), staff, "comment", options)
        note = "回访：李志刚老人对改造结果满意。"
        options = {"rating": Rating.SATISFIED, "note": note}
        yield Step(self._at(visit, 10, 30), staff, "close", options)

    def _s8(self):
        """S8 — a dog that barks all night, settled by the mediator and the grid worker."""
        place = self.by_code[spec.GUANLAN_GRID1]
        staff, worker = place.staff, place.worker
        building = next(
            (b for b in place.buildings if b.name == "2号楼" and b.compound == "7号院"),
            place.buildings[0] if place.buildings else None,
        )
        day = self._workday_from(self._last(12, 2, room=12))
        yield Step(
            self._at(day, 9, 15),
            staff,
            "report",
            {
                "channel": Channel.PHONE,
                "category": self.categories["MD02"],
                "kind": Kind.COORDINATED,
                "title": spec.STORY_CASES["S8"],
                "description": (
                    "7号院2号楼李女士反映：楼上邻居家的狗每天夜里在阳台上叫，孩子没法写作业，"
                    "老人睡不好觉；多次敲门，邻居都不在家。（矛盾纠纷排查化解专项行动）"
                ),
                "attributes": {"period": "night", "source": "楼上邻居阳台上的狗"},
                "building": building,
                "address": "郑州市中原区航海西路7号院2号楼",
                "reporter_name": "李女士",
                "reporter_phone": "13703710702",
            },
        )
        yield Step(self._at(day, 9, 50), worker, "sign")
        note = "列入矛盾纠纷排查化解台账，约社区调解员一同上门。"
        yield Step(self._at(day, 10, 30), worker, "comment", {"note": note})
        visit = self._workday_from(day + datetime.timedelta(days=1))
        note = (
            "调解员和网格员上门调解。投诉人李女士（7号院2号楼2单元201），养犬人张先生（7号院"
            "2号楼2单元301）。向张先生讲解养犬管理规定；张先生上夜班、白天休息，不知道狗夜里"
            "叫，当即把狗移到里屋，并向李女士道歉。双方口头达成调解协议，已记入调解台账。"
        )
        reply = (
            "调解员和网格员已上门和邻居沟通，邻居已把狗移到里屋，并向您表示歉意。"
            "如果夜里还有狗叫，请随时联系我们。"
        )
        yield Step(self._at(visit, 17, 10), worker, "finish", {"note": note, "reply": reply})
        yield Step(self._at(visit, 17, 25), staff, "verify")
        later = self._workday_from(visit + datetime.timedelta(days=2))
        note = "回访：李女士表示夜里安静了，对调解结果满意。"
        options = {"rating": Rating.SATISFIED, "note": note}
        yield Step(self._at(later, 10, 0), staff, "close", options)

    def _s9(self):
        """S9 — a man sleeping rough, brought to the aid point and handed to the aid station."""
        place = self._community_place(spec.CHENGKAI)
        staff, worker = place.staff, place.worker
        day = self._last(1, 9, room=6)
        lng, lat = self._point(place, random.Random(9))
        yield Step(
            self._at(day, 19, 40),
            worker,
            "report",
            {
                "channel": Channel.PATROL,
                "category": self.categories["JZ01"],
                "kind": Kind.INSTANT,
                "title": spec.STORY_CASES["S9"],
                "description": (
                    "网格员夜间巡查时发现一名男子衣衫单薄、露宿街头。经询问，系山东籍流浪人员，"
                    "无固定住所。"
                ),
                "lng": lng,
                "lat": lat,
                "address": "桐柏路公交站附近",
            },
        )
        note = "已将其带到社区临时救助点，送上热水和棉衣；本人同意接受政府救助。"
        yield Step(self._at(day, 20, 5), worker, "comment", {"note": note})
        yield Step(self._at(day, 20, 10), staff, "accept")
        agency = self.agencies["郑州市救助管理站"]
        note = "联系郑州市救助管理站，派车接送受助人员。"
        options = {"agency": agency, "note": note}
        yield Step(self._at(day, 20, 20), staff, "transfer", options)
        note = "救助站已接收并安置受助人员，接收回执已签收存档。"
        yield Step(self._at(day, 21, 40), staff, "receipt", {"note": note})
        morning = self._workday_from(day + datetime.timedelta(days=1))
        yield Step(self._at(morning, 9, 0), staff, "verify")
        note = "电话确认：受助人员已在救助站妥善安置。"
        yield Step(self._at(morning, 9, 20), staff, "close", {"note": note})

    def _s10(self):
        """S10 — a flat battery on a courtyard round, solved on the spot."""
        place = self._community_place(spec.KAIYUAN, 2)
        worker = place.worker
        building = place.buildings[0] if place.buildings else None
        day = self._workday_from(self._last(1, 20, room=6))
        options = {
            "channel": Channel.PATROL,
            "category": self.categories["BM02"],
            "kind": Kind.INSTANT,
            "title": spec.STORY_CASES["S10"],
            "description": "网格员巡查院落时，看到一位居民的汽车电瓶亏电，打不着火。",
            "address": building.address if building else "开元社区院内",
        }
        if building is not None:
            options["building"] = building
        else:
            options.update(zip(("lng", "lat"), self._point(place, random.Random(10)), strict=True))
        case = yield Step(self._at(day, 8, 40), worker, "report", options)
        note = "网格员招呼路过的居民帮忙推车，车辆顺利启动；提醒车主及时保养车辆，有事找社区。"
        yield Step(
            case.created_at + datetime.timedelta(minutes=12), worker, "solve_now", {"note": note}
        )
