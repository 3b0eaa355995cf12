"""S2 in the demo: 绿都社区's grid team and the errands (帮办代办) done for its elderly people
living alone over the last weeks — done and rated, one open, one given to the party member
``partymember_lvdu`` and not yet done. Everything goes through the field work services, with
times backdated from the start of the pinned day, as ``history.py`` plays the cases."""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from wangge.accounts.models import Membership, User
from wangge.demo import district as spec
from wangge.fieldwork import services as fieldwork
from wangge.fieldwork import team
from wangge.fieldwork.models import ErrandKind, ErrandSource, RatingWay
from wangge.people.models import Person
from wangge.territory.choices import NodeKind
from wangge.territory.models import Building, Node

SEED = 410102 + 2


def _at(today: datetime.date, days_ago: int, hour: int, minute: int = 0) -> datetime.datetime:
    day = today - datetime.timedelta(days=days_ago)
    return datetime.datetime.combine(
        day, datetime.time(hour, minute), timezone.get_current_timezone()
    )


def _team(rng: random.Random) -> dict[str, User]:
    """The helpers of 绿都社区 beyond the accounts the build made, their numbers, and the
    buildings each looks after."""
    community = Node.objects.get(code=spec.LVDU)
    for username, name, role, where, phone in spec.LVDU_TEAM:
        if not User.objects.filter(username=username).exists():
            fieldwork.add_team_member(
                actor=None,
                node=Node.objects.get(code=where),
                role=role,
                username=username,
                display_name=name,
                phone=phone,
            )
    party = Membership.objects.get(user__username=spec.ERRANDS_PARTY_MEMBER, node=community)
    fieldwork.set_team_contact(actor=None, membership=party, phone="13903710826")
    # Building heads: each the buildings of their half of the grid (west or east).
    for micro in Node.objects.filter(parent__parent=community, kind=NodeKind.MICRO_GRID):
        head = Membership.objects.filter(node=micro, role="building_head").first()
        if head is None:
            continue
        buildings = Building.objects.filter(grid__path__startswith=micro.path).order_by("id")
        for building in buildings[:3]:
            fieldwork.assign_building(actor=None, membership=head, building=building)
        fieldwork.set_team_contact(
            actor=None, membership=head, phone=f"139{rng.randint(10000000, 99999999)}"
        )
    # The property office looks after the first grid's compound.
    office = Membership.objects.get(user__username="property_lvdu")
    for building in Building.objects.filter(grid__code__startswith=spec.LVDU_GRID1).order_by("id")[
        :4
    ]:
        fieldwork.assign_building(actor=None, membership=office, building=building)
    return {user.username: user for user in User.objects.filter(username__in=spec.ERRAND_HELPERS)}


def build(*, today: datetime.date) -> int:
    """The team and the errands; returns how many errands were made. Run again, it adds
    nothing (the errands are keyed)."""
    rng = random.Random(SEED)
    helpers = _team(rng)
    staff = User.objects.get(username="community_lvdu")
    kinds = {kind.code: kind for kind in ErrandKind.objects.all()}
    alone = list(
        Person.objects.filter(
            grid__code__startswith=spec.LVDU,
            tag_links__tag__code="living_alone",
            household__isnull=False,
        )
        .select_related("grid")
        .distinct()
        .order_by("id")
    )
    made = 0
    for number, item in enumerate(spec.LVDU_ERRANDS):
        if not alone:
            break
        helper = helpers.get(item.get("helper", ""))
        # the people this helper's team serves, a different one each time
        served = [p for p in alone if helper is None or team.is_helper_of(helper, p.grid)]
        person = served[(number * 7) % len(served)]
        days = item["days_ago"]
        errand, _made = fieldwork.raise_errand(
            actor=staff,
            person=person,
            kind=kinds[item["kind"]],
            description=item["text"],
            source=item.get("source", ErrandSource.PERSON),
            at=_at(today, days, 9, 10),
            idempotency_key=f"demo-errand-{number}",
        )
        made += 1
        if errand.state != "open" or helper is None:
            continue
        errand = fieldwork.assign_errand(
            actor=staff, errand=errand, helper=helper, at=_at(today, days, 9, 40)
        )
        if "done" not in item:
            continue
        fieldwork.accept_errand(actor=helper, errand=errand, at=_at(today, days, 10, 5))
        took = item["minutes"]
        finished = _at(today, days - item.get("after_days", 0), 15, rng.randint(0, 50))
        errand = fieldwork.record_errand_done(
            actor=helper, errand=errand, minutes=took, note=item["done"], done_at=finished
        )
        if "rating" not in item:
            continue
        way = item.get("way", RatingWay.IN_PERSON)
        fieldwork.rate_errand(
            actor=staff if way == RatingWay.CALLBACK else helper,
            errand=errand,
            rating=item["rating"],
            words=item.get("words", ""),
            way=way,
            at=finished
            + datetime.timedelta(hours=2 if way == RatingWay.CALLBACK else 0, minutes=5),
        )
    return made
