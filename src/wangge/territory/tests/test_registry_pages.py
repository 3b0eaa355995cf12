"""The register's pages of places and buildings (人房台账), as the demo's people: the tree of
their places with its counts and a search, a place with its staff and buildings, a building
with its dwellings and households; a 404 outside their places, a 400 for a bad filter, the
export of a filtered list, and a number of queries that does not grow with the rows."""

import csv
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wangge.core.tabular import ID_HEADER
from wangge.demo.district import GUANLAN, GUANLAN_GRID1, LVDU, LVDU_GRID1, LVDU_GRID2
from wangge.people.models import Household, Person, PersonTag
from wangge.territory.models import Building, Node

pytestmark = pytest.mark.django_db

ZYXL = "410102010"  # 中原西路街道, above 绿都社区
WANDA = "410102010007"  # 万达社区, 绿都社区's neighbour in the same street
# A helper on a micro-grid of 绿都社区's grid 1: sees households and residents, masked, without
# care tags, and may not reveal a number.
BUILDING_HEAD = "buildinghead_001001"
# session, user, memberships, the places, the scope's roots (each restrict), four grouped
# counts, the names above, the search's four kinds (a page and a count each), the navigation.
MAX_QUERIES = {"tree": 26, "node": 30, "buildings": 16, "building": 16}


def within(model, code, field="grid"):
    path = Node.objects.get(code=code).path
    return model.objects.filter(**{f"{field}__path__startswith": path})


def a_building(code):
    return within(Building, code).order_by("pk").first()


def page_of(response) -> str:
    return response.content.decode()


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


# --- The tree -----------------------------------------------------------------------------------


def test_the_tree_holds_my_places_with_their_counts(as_user):
    response = as_user("community_lvdu").get("/registry/")
    assert response.status_code == 200
    page = page_of(response)
    assert "<title>人房台账 · 网格</title>" in page
    assert 'aria-current="page">人房台账</a>' in page  # the navigation item
    for code in (LVDU, LVDU_GRID1, LVDU_GRID2):
        assert f"/registry/nodes/{code}/" in page
    for elsewhere in (GUANLAN, WANDA, ZYXL):
        assert f"/registry/nodes/{elsewhere}/" not in page
    assert "观澜社区" not in page and "万达社区" not in page
    rows = {row.node.code: row for row in response.context["rows"]}
    community = rows[LVDU]
    assert community.level == 0 and community.context == "中原区 / 中原西路街道"
    assert rows[LVDU_GRID1].level == 1
    counts = community.node.counts
    assert counts.buildings == within(Building, LVDU).count()
    assert counts.households == within(Household, LVDU).count()
    assert counts.persons == within(Person, LVDU).filter(status="active").count()
    tagged = within(PersonTag, LVDU, "person__grid").filter(person__status="active")
    assert counts.care == tagged.values("person").distinct().count() > 0
    grid = rows[LVDU_GRID1].node.counts
    assert grid.households == within(Household, LVDU_GRID1).count() < counts.households


def test_a_grid_worker_sees_only_their_grid(as_user):
    page = page_of(as_user("gridworker_lvdu1").get("/registry/"))
    assert f"/registry/nodes/{LVDU_GRID1}/" in page
    assert f"/registry/nodes/{LVDU_GRID2}/" not in page and f"/registry/nodes/{LVDU}/" not in page
    assert "第2网格" not in page and "观澜社区" not in page
    assert "关爱对象" in page  # grid workers may see care tags


def test_care_counts_are_left_out_where_care_tags_are_not_seen(as_user):
    response = as_user(BUILDING_HEAD).get("/registry/")
    assert response.status_code == 200
    assert not response.context["shown"].care
    assert "关爱对象" not in page_of(response)


def test_who_sees_neither_buildings_nor_people_gets_a_404_strangers_the_login(as_user, client):
    assert client.get("/registry/").status_code == 302
    party = as_user("partymember_lvdu")
    assert party.get("/registry/").status_code == 404
    assert party.get(f"/registry/nodes/{LVDU}/").status_code == 404
    assert party.get("/registry/buildings/").status_code == 404
    assert party.get(f"/registry/buildings/{a_building(LVDU_GRID1).pk}/").status_code == 404
    assert "人房台账" not in page_of(party.get("/"))  # no navigation item either


def test_search_finds_within_my_places_only(as_user):
    mine = within(Household, LVDU_GRID1).order_by("pk").first()
    theirs = within(Household, GUANLAN_GRID1).order_by("pk").first()
    person = within(Person, LVDU_GRID1).order_by("pk").first()
    client = as_user("gridworker_lvdu1")
    page = page_of(client.get("/registry/", {"q": mine.number}))
    assert f"/registry/households/{mine.pk}/" in page
    page = page_of(client.get("/registry/", {"q": theirs.number}))
    assert f"/registry/households/{theirs.pk}/" not in page
    assert "您的辖区内没有找到匹配的结果" in page
    page = page_of(client.get("/registry/", {"q": person.name}))
    assert f"/registry/persons/{person.pk}/" in page
    page = page_of(as_user("community_lvdu").get("/registry/", {"q": "第1网格"}))
    assert f"/registry/nodes/{LVDU_GRID1}/" in page
    assert f"/registry/nodes/{GUANLAN_GRID1}/" not in page


# --- A place ------------------------------------------------------------------------------------


def test_a_community_with_its_grids_staff_and_buildings(as_user):
    response = as_user("community_lvdu").get(f"/registry/nodes/{LVDU}/")
    assert response.status_code == 200
    page = page_of(response)
    assert "<h1>绿都社区</h1>" in page
    children = {child.code: child for child in response.context["children"]}
    assert LVDU_GRID1 in children and LVDU_GRID2 in children
    grid = children[LVDU_GRID1]
    assert grid.counts.households == within(Household, LVDU_GRID1).count()
    assert response.context["node"].counts.buildings == within(Building, LVDU).count()
    staff = {m.user.username for m in response.context["staff"]}
    assert "community_lvdu" in staff and "partymember_lvdu" not in staff
    buildings = response.context["buildings"]
    assert buildings["page"].paginator.count == within(Building, LVDU).count()
    # The breadcrumbs start at the caller's own place: not the street above it.
    assert f"/registry/nodes/{ZYXL}/" not in page
    assert "/export/buildings.csv?grid=" in page and "/export/buildings.xlsx?grid=" in page


def test_a_grid_its_staff_and_breadcrumbs(as_user, node):
    response = as_user("community_lvdu").get(f"/registry/nodes/{LVDU_GRID1}/")
    page = page_of(response)
    assert [crumb.code for crumb in response.context["crumbs"]] == [LVDU]
    staff = {m.user.username for m in response.context["staff"]}
    assert {"gridworker_lvdu1", "gridleader_lvdu"} <= staff
    buildings = {b.pk for b in response.context["buildings"]["page"]}
    assert buildings == set(within(Building, LVDU_GRID1).values_list("pk", flat=True))
    assert f'href="/registry/households/?grid={node(LVDU_GRID1).pk}"' in page
    # A grid worker's breadcrumbs hold nothing above their grid; they see no memberships.
    response = as_user("gridworker_lvdu1").get(f"/registry/nodes/{LVDU_GRID1}/")
    assert response.context["crumbs"] == [] and response.context["staff"] is None
    assert f"/registry/nodes/{LVDU}/" not in page_of(response)


def test_a_place_outside_my_scope_is_a_404(as_user):
    worker = as_user("gridworker_lvdu1")
    for code in (LVDU, LVDU_GRID2, GUANLAN, GUANLAN_GRID1, "nope"):
        assert worker.get(f"/registry/nodes/{code}/").status_code == 404, code
    community = as_user("community_lvdu")
    for code in (ZYXL, WANDA, GUANLAN, GUANLAN_GRID1):
        assert community.get(f"/registry/nodes/{code}/").status_code == 404, code


def test_the_buildings_of_a_place_filter_and_page(as_user):
    building = a_building(LVDU_GRID1)
    client = as_user("community_lvdu")
    response = client.get(f"/registry/nodes/{LVDU}/", {"q": building.name})
    found = list(response.context["buildings"]["page"])
    assert building in found and all(building.name in str(b) for b in found)
    assert response.context["buildings"]["query"].startswith("q=")


# --- The list of buildings ----------------------------------------------------------------------


def test_the_building_list_filters_and_rejects_bad_values(as_user, node):
    client = as_user("community_lvdu")
    response = client.get("/registry/buildings/", {"grid": node(LVDU_GRID1).pk})
    assert response.status_code == 200
    assert {b.pk for b in response.context["page"]} == set(
        within(Building, LVDU_GRID1).values_list("pk", flat=True)
    )
    assert f"/export/buildings.csv?grid={node(LVDU_GRID1).pk}" in page_of(response)
    response = client.get("/registry/buildings/", {"grid": "abc"})
    assert response.status_code == 400
    assert re.search(r'class="errorlist" role="alert"><li>[^<]+</li>', page_of(response))
    # A place outside the caller's scope gives nothing, not that place's buildings.
    response = client.get("/registry/buildings/", {"grid": node(GUANLAN_GRID1).pk})
    assert response.status_code == 200 and response.context["page"].paginator.count == 0


def test_a_filtered_export_holds_only_the_filtered_buildings(as_user, node):
    client = as_user("community_lvdu")
    response = client.get("/export/buildings.csv", {"grid": node(LVDU_GRID1).pk})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(body.splitlines()))
    expected = set(within(Building, LVDU_GRID1).values_list("pk", flat=True))
    assert {int(row[ID_HEADER]) for row in rows} == expected
    assert len(expected) < within(Building, LVDU).count()


# --- A building ---------------------------------------------------------------------------------


def test_a_building_with_its_dwellings_and_households(as_user):
    building = a_building(LVDU_GRID1)
    households = Household.objects.filter(dwelling__building=building)
    head = (
        Person.objects.filter(household__in=households, relation="head", phone_hash__gt="")
        .order_by("pk")
        .first()
    )
    response = as_user("gridworker_lvdu1").get(f"/registry/buildings/{building.pk}/")
    assert response.status_code == 200
    page = page_of(response)
    assert f"<h1>{building}</h1>" in page
    assert response.context["dwelling_count"] == building.dwellings.count()
    assert response.context["household_count"] == households.count() > 0
    for household in households:
        assert f'href="/registry/households/{household.pk}/"' in page
    assert head.name in page and head.phone not in page
    assert "单元" in page


def test_a_building_outside_my_scope_is_a_404(as_user):
    far = a_building(GUANLAN_GRID1)
    next_door = a_building(LVDU_GRID2)
    worker = as_user("gridworker_lvdu1")
    assert worker.get(f"/registry/buildings/{far.pk}/").status_code == 404
    assert worker.get(f"/registry/buildings/{next_door.pk}/").status_code == 404
    assert as_user("community_lvdu").get(f"/registry/buildings/{far.pk}/").status_code == 404
    assert worker.get("/registry/buildings/0/").status_code == 404


# --- Queries ------------------------------------------------------------------------------------


def test_queries_do_not_grow_with_the_rows(as_user, node):
    """The district holds a hundred times what a grid worker does; the pages cost the same."""
    building = a_building(LVDU_GRID1)
    pages = {
        "tree": "/registry/?q=1",
        "node": f"/registry/nodes/{LVDU_GRID1}/",
        "buildings": "/registry/buildings/",
        "building": f"/registry/buildings/{building.pk}/",
    }
    for name, url in pages.items():
        small = count_queries(as_user("gridworker_lvdu1"), url)
        large = count_queries(as_user("district"), url)
        assert small <= MAX_QUERIES[name] and large <= MAX_QUERIES[name], (name, small, large)
    # A bigger place, more children and more buildings: still the same bound.
    assert count_queries(as_user("district"), "/registry/nodes/410102/") <= MAX_QUERIES["node"]
    assert count_queries(as_user("district"), "/registry/") <= MAX_QUERIES["tree"]
