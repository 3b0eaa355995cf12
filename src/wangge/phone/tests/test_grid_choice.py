"""The phone's grid page at district scale: whoever works on more than one grid picks the
grid first from a light page (communities, grids, a search by name), the choice stays in the
URL (``?grid=<code>``) and the page then shows that one grid — within their places."""

import re

import pytest

from wangge.cases.models import Case, Category
from wangge.demo.district import GUANLAN, GUANLAN_GRID1, LVDU, LVDU_GRID1, LVDU_GRID2
from wangge.people.models import Household
from wangge.territory.models import Node

pytestmark = pytest.mark.django_db

LIGHT = 20_000  # bytes: the place to pick is a light page, whatever the scope


def links(page: str) -> list[str]:
    return re.findall(r'href="\?grid=(\d+)"', page)


def households_of(code: str) -> Household:
    return Household.objects.filter(
        grid__path__startswith=Node.objects.get(code=code).path
    ).order_by("number")


@pytest.mark.parametrize("persona", ["district", "street_zyxl"])
def test_a_district_or_street_is_asked_for_the_place_first(as_user, persona):
    response = as_user(persona).get("/m/grid/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "选择网格" in page and len(response.content) < LIGHT
    assert 'name="q"' in page  # searchable by name
    assert "未走访" not in page  # no household is listed yet
    assert LVDU in links(page) or LVDU_GRID1 in links(page)
    if persona == "street_zyxl":
        assert GUANLAN not in links(page) and GUANLAN_GRID1 not in links(page)


def test_picking_a_community_then_a_grid_shows_that_grid_only(as_user):
    client = as_user("district")
    community = client.get("/m/grid/", {"grid": LVDU}).content.decode()
    grids = links(community)
    assert LVDU_GRID1 in grids and LVDU_GRID2 in grids
    assert all(code.startswith(LVDU) for code in grids)
    response = client.get("/m/grid/", {"grid": LVDU_GRID1})
    assert response.status_code == 200
    page = response.content.decode()
    assert "绿都社区 第1网格" in page and "选择其他网格" in page
    shown = response.context["due"] + [household for household, _tags in response.context["cared"]]
    assert shown and all(h.grid.code.startswith(LVDU_GRID1) for h in shown)
    assert response.context["due_count"] <= households_of(LVDU_GRID1).count()


def test_the_grid_search_finds_by_name(as_user):
    page = as_user("district").get("/m/grid/", {"q": "绿都"}).content.decode()
    assert set(links(page)) == {
        node.code
        for node in Node.objects.filter(parent__code=LVDU, kind__in=["grid", "dedicated_grid"])
    }
    nothing = as_user("district").get("/m/grid/", {"q": "没有这个地方"}).content.decode()
    assert links(nothing) == [] and "没有找到" in nothing


def test_a_grid_worker_sees_their_grid_at_once(as_user):
    response = as_user("gridworker_lvdu1").get("/m/grid/")
    assert response.status_code == 200
    assert response.context["grid"].code == LVDU_GRID1
    assert "选择其他网格" not in response.content.decode()


def test_a_grid_leader_picks_among_their_grids(as_user):
    page = as_user("gridleader_lvdu").get("/m/grid/").content.decode()
    assert LVDU_GRID1 in links(page) and LVDU_GRID2 in links(page)
    assert GUANLAN_GRID1 not in links(page)


@pytest.mark.parametrize(
    "persona, code",
    [
        ("street_zyxl", GUANLAN),
        ("street_zyxl", GUANLAN_GRID1),
        ("gridworker_lvdu1", LVDU_GRID2),
        ("gridleader_lvdu", LVDU),
        ("district", "999999999999999"),
    ],
)
def test_a_place_outside_my_places_is_not_there(as_user, persona, code):
    assert as_user(persona).get("/m/grid/", {"grid": code}).status_code == 404


@pytest.mark.parametrize(
    "query, field",
    [({"grid": "绿都社区"}, "grid"), ({"grid": "1" * 40}, "grid"), ({"q": "绿" * 51}, "q")],
)
def test_a_bad_place_or_search_is_named(as_user, query, field):
    response = as_user("district").get("/m/grid/", query)
    assert response.status_code == 400
    assert set(response.context["errors"]) == {field}
    page = response.content.decode()
    assert 'role="alert"' in page and ("网格：" in page or "查找：" in page)
    assert links(page)  # the places to pick from are still there


# --- The report form at district scale --------------------------------------------------------


def place_links(page: str) -> list[str]:
    return re.findall(r'href="\?place=(\d+)"', page)


def test_the_report_form_asks_the_district_for_the_place_first(as_user):
    response = as_user("district").get("/m/report/")
    assert response.status_code == 200 and len(response.content) < LIGHT
    page = response.content.decode()
    assert 'name="description"' not in page  # no form to fill in before the place is known
    assert LVDU in place_links(page) and GUANLAN in place_links(page)


def test_a_street_gets_its_own_grids_named_by_community(as_user):
    response = as_user("street_zyxl").get("/m/report/")
    assert response.status_code == 200 and len(response.content) < LIGHT
    offered = [grid.code for grid in response.context["grids"]]
    assert LVDU_GRID1 in offered and not any(code.startswith(GUANLAN) for code in offered)
    assert "绿都社区 第1网格" in response.content.decode()


def test_after_the_place_the_report_form_offers_its_grids_by_community_and_grid(as_user):
    client = as_user("district")
    response = client.get("/m/report/", {"place": LVDU})
    assert response.status_code == 200
    page = response.content.decode()
    offered = [grid.code for grid in response.context["grids"]]
    assert LVDU_GRID1 in offered and all(code.startswith(LVDU) for code in offered)
    assert "绿都社区 第1网格" in page and f'name="place" value="{LVDU}"' in page
    # A grid of the place is reported against, and the form goes back to the tasks.
    grid = Node.objects.get(code=LVDU_GRID1)
    category = Category.objects.filter(tree__is_current=True, code="SJ01").get()
    data = {
        "category": category.pk,
        "description": "区里巡查发现路灯不亮",
        "grid": grid.pk,
        "place": LVDU,
        "key": "district-report-1",
    }
    assert client.post("/m/report/", data).status_code == 302
    assert Case.objects.get(description="区里巡查发现路灯不亮").grid == grid


def test_a_report_from_the_outbox_needs_no_place(as_user):
    """A report kept on the phone carries its grid; it goes in whatever the place page said."""
    grid = Node.objects.get(code=GUANLAN_GRID1)
    category = Category.objects.filter(tree__is_current=True, code="SJ01").get()
    response = as_user("district").post(
        "/m/report/",
        {"category": category.pk, "description": "观澜路边垃圾", "grid": grid.pk, "key": "o-1"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 201
    assert Case.objects.get(description="观澜路边垃圾").grid == grid


def test_the_report_forms_place_outside_ones_places_is_404_and_bad_is_400(as_user):
    client = as_user("community_lvdu")
    assert client.get("/m/report/", {"place": GUANLAN}).status_code == 404
    response = client.get("/m/report/", {"place": "12ab"})
    assert response.status_code == 400
    # Nor can a grid outside be reported against from the form.
    outside = Node.objects.get(code=GUANLAN_GRID1)
    category = Category.objects.filter(tree__is_current=True, code="SJ01").get()
    response = client.post(
        "/m/report/",
        {"category": category.pk, "description": "不该进来", "grid": outside.pk, "key": "x-1"},
    )
    assert response.status_code == 400
    assert not Case.objects.filter(description="不该进来").exists()


def test_a_grid_worker_goes_straight_to_the_report_form(as_user):
    response = as_user("gridworker_lvdu1").get("/m/report/")
    assert response.status_code == 200 and 'name="description"' in response.content.decode()
    offered = [grid.code for grid in response.context["grids"]]
    assert LVDU_GRID1 in offered and all(code.startswith(LVDU_GRID1) for code in offered)
