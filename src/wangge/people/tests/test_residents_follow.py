"""Households and their members follow their building into another grid: territory moves the
building and says so (``core.events``); the register moves its people, recorded as theirs."""

import pytest
import shapely
from django.core.files.uploadedfile import SimpleUploadedFile

from wangge.core import events
from wangge.core.models import AuditEvent
from wangge.demo.district import LVDU_GRID1, LVDU_GRID2
from wangge.people.models import Household, Person
from wangge.territory.models import Building, Node

pytestmark = pytest.mark.django_db


def a_lived_in_building():
    return (
        Building.objects.filter(
            grid__code__startswith=LVDU_GRID1, dwellings__households__members__isnull=False
        )
        .distinct()
        .first()
    )


def test_residents_follow_a_building_given_a_point_in_another_grid(api_as):
    building = a_lived_in_building()
    households = list(Household.objects.filter(dwelling__building=building))
    members = list(Person.objects.filter(household__in=households))
    grid2 = Node.objects.get(code=LVDU_GRID2)
    point = shapely.geometry.shape(grid2.geometry).representative_point()
    sheet = f"ID,楼栋名称,经度,纬度\n{building.pk},{building.name},{point.x},{point.y}\n"
    upload = SimpleUploadedFile("buildings.csv", sheet.encode(), content_type="text/csv")
    since = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()

    response = api_as("community_lvdu").post("/api/v1/imports/buildings", {"file": upload})

    assert response.status_code == 200 and response.json()["result"]["ok"], response.json()
    building.refresh_from_db()
    grid = building.grid
    assert grid.path.startswith(grid2.path)
    assert set(
        Household.objects.filter(dwelling__building=building).values_list("grid", flat=True)
    ) == {grid.pk}
    assert set(Person.objects.filter(household__in=households).values_list("grid", flat=True)) == {
        grid.pk
    }
    recorded = AuditEvent.objects.filter(id__gt=since)
    moved = {
        (event.target_type, event.target_id): event
        for event in recorded.filter(action__in=["people.household.moved", "people.person.moved"])
    }
    expected = {("people.household", str(h.pk)) for h in households}
    expected |= {("people.person", str(p.pk)) for p in members}
    assert set(moved) == expected
    event = next(iter(moved.values()))
    assert event.actor.username == "community_lvdu" and event.node_id == grid.pk
    assert event.after == {"grid_id": grid.pk} and event.reason == "import"
    assert recorded.filter(action="territory.building.updated").exists()


def test_the_register_listens_to_buildings_moving():
    from wangge.people import handlers

    assert events.handlers(events.BUILDINGS_MOVED) == [handlers.residents_follow_their_building]
