"""Found by name, never by number: the case list's filters as staff pick them (a category from
the tree, a place from their places, a handler by name, days from a date picker, states as
boxes, yes/no as 全部/是/否), and the API taking codes as well as ids and group states —
each within the caller's places, a bad value a 400 naming the field."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from wangge.accounts.models import User
from wangge.cases.choices import FINAL_STATES, OPEN_STATES
from wangge.cases.filters import category_subtree
from wangge.cases.models import Case, Category
from wangge.demo.district import GUANLAN, GUANLAN_GRID1, LVDU, LVDU_GRID1, LVDU_GRID2
from wangge.territory.models import Node

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def listed(response) -> list[Case]:
    return list(response.context["page"].object_list)


def total(response) -> int:
    return response.context["page"].paginator.count


def visible(username):
    return Case.objects.restrict(User.objects.get(username=username), "view")


def option(page: str, value: str) -> str:
    """The ``<option>`` tag of ``value`` in a page (the first one)."""
    found = re.search(rf'<option value="{re.escape(value)}"[^>]*>[^<]*</option>', page)
    assert found, f"no option {value}"
    return found.group(0)


def problem_fields(response) -> set[str]:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM
    return {error["field"] for error in response.json()["errors"]}


# --- The page: what it offers to pick ----------------------------------------------------------


def test_the_filters_offer_names_not_numbers(as_user):
    page = as_user("community_lvdu").get("/cases/").content.decode()
    # No field asks for a code, an id or a number.
    for asked in ("编码或ID", "用户ID", "（ID）"):
        assert asked not in page
    # Categories: the current tree, by code, 供暖 one level under 民生服务, found by both names.
    heating = option(page, "MS01")
    assert 'data-level="1"' in heating and "民生服务" in heating and "供暖" in heating
    assert 'data-level="0"' in option(page, "MS")
    # Places: 绿都社区 and its grids, by code, nothing of 观澜社区.
    assert "绿都社区" in option(page, LVDU) and "第1网格" in option(page, LVDU_GRID1)
    assert f'value="{GUANLAN}"' not in page and f'value="{GUANLAN_GRID1}"' not in page
    # States as boxes to tick, the groups first.
    assert 'type="checkbox" name="state" value="open"' in page
    assert 'type="checkbox" name="state" value="closed"' in page
    assert 'type="checkbox" name="state" value="reported"' in page
    # Yes/no reads 全部/是/否, 全部 chosen.
    late = re.search(r'<select name="overdue"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert re.findall(r">([^<]+)</option>", late) == ["全部", "是", "否"]
    assert '<option value="" selected>全部</option>' in late
    # Days from the date picker; the picker's script is on the page.
    assert 'type="date" name="since"' in page and 'type="date" name="until"' in page
    assert "js/picker.js" in page


def test_handlers_are_the_people_of_my_places_by_name(as_user):
    page = as_user("community_lvdu").get("/cases/").content.decode()
    handlers = re.search(r'<select name="handler"[^>]*>(.*?)</select>', page, re.S).group(1)
    worker = User.objects.get(username="gridworker_lvdu1")
    far = User.objects.get(username="gridworker_guanlan1")
    assert worker.display_name and worker.display_name in option(handlers, str(worker.pk))
    assert f'value="{far.pk}"' not in handlers
    # Names, never login names; people grouped under their place.
    assert "gridworker_lvdu1" not in handlers and "community_lvdu" not in handlers
    assert '<optgroup label="绿都社区 第1网格">' in handlers


# --- The page: filtering by what was picked ----------------------------------------------------


def test_picking_heating_lists_the_heating_cases(as_user):
    client = as_user("community_lvdu")
    heating = category_subtree("MS01")
    response = client.get("/cases/", {"category": "MS01"})
    assert response.status_code == 200
    expected = visible("community_lvdu").filter(category_id__in=heating)
    assert total(response) == expected.count() > 0
    assert {case.category.name for case in listed(response)} == {"供暖"}
    # The whole of 民生服务 holds more, and an id still works as the code does.
    assert total(client.get("/cases/", {"category": "MS"})) > total(response)
    current = Category.objects.get(tree__is_current=True, code="MS01")
    assert total(client.get("/cases/", {"category": current.pk})) == total(response)


def test_a_place_picked_lists_its_cases_and_nothing_beyond_my_places(as_user, node):
    client = as_user("community_lvdu")
    response = client.get("/cases/", {"grid": LVDU_GRID2})
    grid2 = visible("community_lvdu").filter(grid__path__startswith=node(LVDU_GRID2).path)
    assert total(response) == grid2.count() > 0
    assert all(case.grid.path.startswith(node(LVDU_GRID2).path) for case in listed(response))
    # The id works as the code does; a place outside my places gives nothing.
    assert total(client.get("/cases/", {"grid": node(LVDU_GRID2).pk})) == total(response)
    far = client.get("/cases/", {"grid": GUANLAN_GRID1})
    assert far.status_code == 200 and total(far) == 0


def test_a_handler_picked_lists_what_they_handle(as_user):
    client = as_user("community_lvdu")
    worker = User.objects.get(username="gridworker_lvdu1")
    response = client.get("/cases/", {"handler": worker.pk})
    assert total(response) == visible("community_lvdu").filter(handler=worker).count() > 0
    assert {case.handler_id for case in listed(response)} == {worker.pk}


def test_days_from_the_date_picker_include_the_last_day(as_user, today):
    client = as_user("community_lvdu")
    first = today - datetime.timedelta(days=30)
    response = client.get("/cases/", {"since": first.isoformat(), "until": today.isoformat()})
    assert response.status_code == 200
    start = timezone.make_aware(datetime.datetime.combine(first, datetime.time()))
    end = timezone.make_aware(datetime.datetime.combine(today, datetime.time()))
    end += datetime.timedelta(days=1)
    expected = visible("community_lvdu").filter(created_at__gte=start, created_at__lt=end)
    assert total(response) == expected.count() > 0
    page = response.content.decode()
    assert f'value="{today.isoformat()}"' in page  # the picked days stay in the form


def test_states_ticked_and_the_groups(as_user):
    client = as_user("community_lvdu")
    mine = visible("community_lvdu")
    ticked = client.get("/cases/", {"state": ["reported", "dispatched"]})
    assert total(ticked) == mine.filter(state__in=["reported", "dispatched"]).count() > 0
    assert 'value="reported" id="id_state_' in ticked.content.decode()
    assert re.search(r'value="reported"[^>]*checked', ticked.content.decode())
    opened = client.get("/cases/", {"state": "open"})
    assert total(opened) == mine.filter(state__in=OPEN_STATES).count() > 0
    finished = client.get("/cases/", {"state": "closed"})
    assert total(finished) == mine.filter(state__in=FINAL_STATES).count() > 0
    assert total(opened) + total(finished) == mine.count()


def test_yes_no_filters(as_user):
    client = as_user("community_lvdu")
    everything = total(client.get("/cases/"))
    assert total(client.get("/cases/", {"overdue": ""})) == everything
    late = total(client.get("/cases/", {"overdue": "true"}))
    on_time = total(client.get("/cases/", {"overdue": "false"}))
    assert late > 0 and late + on_time == everything


@pytest.mark.parametrize(
    "query, field",
    [
        ({"category": "NOPE"}, "category"),
        ({"category": "供暖"}, "category"),
        ({"grid": "绿都社区"}, "grid"),
        ({"grid": "1" * 40}, "grid"),
        ({"handler": "<script>"}, "handler"),
        ({"since": "2026-02-30"}, "since"),
        ({"until": "soon"}, "until"),
        ({"state": "sleeping"}, "state"),
    ],
)
def test_a_bad_value_is_named_on_its_field_and_lists_nothing(as_user, query, field):
    response = as_user("community_lvdu").get("/cases/", query)
    assert response.status_code == 400
    assert set(response.context["filterset"].errors) == {field}
    assert total(response) == 0
    assert 'role="alert"' in response.content.decode()


def test_the_list_costs_the_same_queries_however_many_rows(as_user, node, today):
    client = as_user("district")
    client.get("/cases/")  # warm the per-process standards
    one = (
        visible("district")
        .filter(category_id__in=category_subtree("MS"), grid__path__startswith=node(LVDU).path)
        .latest("created_at")
    )
    since = str(min(timezone.localdate(one.created_at), today - datetime.timedelta(days=300)))
    shared = {"category": "MS", "grid": LVDU, "state": ["open", "closed"], "since": since}
    counts = []
    for words in (one.number, "20"):  # one case; every case (their numbers start with the year)
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/cases/", {**shared, "q": words})
        counts.append((len(queries), len(listed(response))))
    (few_queries, few), (many_queries, many) = counts
    assert few == 1 and many > few
    assert few_queries == many_queries


# --- The API -----------------------------------------------------------------------------------


def test_the_api_takes_codes_as_well_as_ids(api_as, node):
    client = api_as("community_lvdu")
    by_code = client.get("/api/v1/cases", {"category": "AQ02", "limit": 1}).json()["count"]
    aq02 = Category.objects.get(tree__is_current=True, code="AQ02")
    by_id = client.get("/api/v1/cases", {"category": aq02.pk, "limit": 1}).json()["count"]
    assert (
        by_code
        == by_id
        == visible("community_lvdu").filter(category_id__in=category_subtree("AQ02")).count()
    )
    grid = client.get("/api/v1/cases", {"grid": LVDU_GRID1, "limit": 500}).json()
    assert grid["count"] > 0
    assert (
        grid["count"]
        == client.get("/api/v1/cases", {"grid": node(LVDU_GRID1).pk, "limit": 1}).json()["count"]
    )
    worker = User.objects.get(username="gridworker_lvdu1")
    by_name = client.get("/api/v1/cases", {"handler": "gridworker_lvdu1", "limit": 1}).json()
    by_number = client.get("/api/v1/cases", {"handler": worker.pk, "limit": 1}).json()
    assert by_name["count"] == by_number["count"] > 0


def test_the_api_takes_group_states_and_iso_moments(api_as, today):
    client = api_as("community_lvdu")
    mine = visible("community_lvdu")
    opened = client.get("/api/v1/cases", {"state": "open", "limit": 1}).json()["count"]
    closed = client.get("/api/v1/cases", {"state": "closed", "limit": 1}).json()["count"]
    assert opened == mine.filter(state__in=OPEN_STATES).count()
    assert closed == mine.filter(state__in=FINAL_STATES).count()
    both = client.get("/api/v1/cases", {"state": ["open", "closed"], "limit": 1}).json()
    assert both["count"] == mine.count()
    moment = f"{today - datetime.timedelta(days=10)}T08:30:00+08:00"
    since = client.get("/api/v1/cases", {"since": moment, "limit": 1}).json()["count"]
    start = datetime.datetime.fromisoformat(moment)
    assert since == mine.filter(created_at__gte=start).count() > 0
    day = client.get("/api/v1/cases", {"until": str(today), "limit": 1}).json()["count"]
    assert day == mine.count()  # the whole of today is in


def test_the_api_gives_nothing_outside_my_places(api_as):
    client = api_as("community_lvdu")
    for query in ({"grid": GUANLAN}, {"grid": GUANLAN_GRID1}, {"grid": "999999999999"}):
        response = client.get("/api/v1/cases", query)
        assert response.status_code == 200 and response.json()["count"] == 0, query


@pytest.mark.parametrize(
    "query, field",
    [
        ({"category": "NOPE"}, "category"),
        ({"category": "AQ 02"}, "category"),
        ({"grid": "绿都"}, "grid"),
        ({"handler": "a b"}, "handler"),
        ({"state": "sleeping"}, "state"),
        ({"since": "yesterday"}, "since"),
    ],
)
def test_the_api_names_a_bad_value(api_as, query, field):
    response = api_as("community_lvdu").get("/api/v1/cases", query)
    assert field in problem_fields(response)


def test_metrics_take_codes_and_name_bad_values(api_as, node):
    client = api_as("street_zyxl")
    by_code = client.get("/api/v1/metrics", {"node": LVDU, "category": "MS"}).json()
    services = Category.objects.get(tree__is_current=True, code="MS")
    by_id = client.get("/api/v1/metrics", {"node": node(LVDU).pk, "category": services.pk}).json()
    assert by_code == by_id and by_code[0]["received"] > 0
    worker = User.objects.get(username="gridworker_lvdu1")
    named = client.get("/api/v1/metrics", {"handler": "gridworker_lvdu1"}).json()
    numbered = client.get("/api/v1/metrics", {"handler": worker.pk}).json()
    assert named == numbered and named[0]["received"] > 0
    assert client.get("/api/v1/metrics", {"node": GUANLAN}).status_code == 404
    assert problem_fields(client.get("/api/v1/metrics", {"node": "绿都"})) == {"node"}
    assert problem_fields(client.get("/api/v1/metrics", {"category": "NOPE"})) == {"category"}


def test_places_lists_and_memberships_take_codes_and_user_names(api_as, node):
    client = api_as("street_zyxl")
    grids = client.get("/api/v1/grids", {"parent": LVDU, "limit": 100}).json()
    assert grids["count"] == Node.objects.filter(parent=node(LVDU)).count() > 0
    by_id = client.get("/api/v1/grids", {"parent": node(LVDU).pk, "limit": 1}).json()
    assert by_id["count"] == grids["count"]
    assert client.get("/api/v1/grids", {"parent": GUANLAN}).json()["count"] == 0
    memberships = client.get("/api/v1/memberships", {"user": "gridworker_lvdu1"}).json()
    assert memberships["count"] > 0
    assert problem_fields(client.get("/api/v1/grids", {"parent": "绿都"})) == {"parent"}


def test_the_new_case_form_names_grids_by_their_community(as_user, node):
    page = as_user("community_lvdu").get("/cases/new/").content.decode()
    grids = re.search(r'<select name="grid"[^>]*data-picker[^>]*>(.*?)</select>', page, re.S)
    assert grids, "the grid is picked from a searchable list"
    assert option(grids.group(1), str(node(LVDU_GRID1).pk)).endswith(">绿都社区 第1网格</option>")
    assert LVDU_GRID1 not in grids.group(1)  # a name, not a code
