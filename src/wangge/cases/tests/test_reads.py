"""Reading many cases: a long list's count stops at a cap and says so, work given outside
one's places is listed beside them, the queues count what their lists hold, and the roll-up
of channels is kept with the others."""

import math

import pytest
import shapely
from django.db.models import F, Q, Sum

from wangge.cases import metrics, services
from wangge.cases.models import Case, Category, ChannelRollup, GridRollup, Task
from wangge.core import paging
from wangge.demo.district import LVDU_GRID1, LVDU_GRID2
from wangge.territory.models import Node

pytestmark = pytest.mark.django_db

PERSONAS = ["district", "street_zyxl", "community_lvdu", "gridworker_lvdu1"]


def listed(response):
    return response.context["page"].paginator


def test_a_long_list_counts_to_the_cap_then_says_more(as_user, monkeypatch):
    monkeypatch.setattr(paging, "COUNT_CAP", 100)
    client = as_user("district")
    total = Case.objects.count()
    assert total > 100
    response = client.get("/cases/")
    page = response.content.decode()
    assert listed(response).capped and listed(response).count == 101
    assert "共 100+ 件" in page and "第 1 / 2+ 页" in page and "page=2" in page
    english = client.get("/cases/", headers={"accept-language": "en"}).content.decode()
    assert "100+ cases" in english and "Page 1 of 2+" in english
    # A page whose cases reach the cap counts them all: its last page and links are true.
    pages = math.ceil(total / 50)
    response = client.get("/cases/", {"page": 2})
    assert not listed(response).capped and listed(response).count == total
    assert f"第 2 / {pages} 页" in response.content.decode()
    last = client.get("/cases/", {"page": pages}).context["page"]
    assert not last.has_next() and last.paginator.count == total
    # Bad page numbers: the first page, or the last.
    assert client.get("/cases/", {"page": "first"}).context["page"].number == 1
    assert client.get("/cases/", {"page": 10**6}).context["page"].number == pages
    # A short list is counted exactly.
    response = client.get("/cases/", {"state": "reported"})
    assert not listed(response).capped
    assert listed(response).count == Case.objects.filter(state="reported").count()
    assert "+ 件" not in response.content.decode()


def test_the_cap_reads_in_english_with_thousands(as_user, monkeypatch):
    monkeypatch.setattr(paging, "COUNT_CAP", 1000)
    response = as_user("district").get("/cases/", headers={"accept-language": "en"})
    assert listed(response).capped and "1,000+ cases" in response.content.decode()


def _dispatched_in_grid1(staff):
    grid = Node.objects.get(code=LVDU_GRID1)
    point = shapely.geometry.shape(grid.geometry).representative_point()
    return services.report(
        actor=staff,
        channel="phone",
        category=Category.objects.get(tree__is_current=True, code="MD05"),
        description="楼道里堆放杂物，邻里有争执",
        lng=point.x,
        lat=point.y,
    )


def _visible_by_definition(user, grid_code):
    """The cases of a grid worker's grid and those given to them, straight from the tables."""
    path = Node.objects.get(code=grid_code).path
    return Case.objects.filter(Q(grid__path__startswith=path) | Q(tasks__assignee=user)).distinct()


@pytest.mark.parametrize("by_id", [True, False])
def test_work_given_outside_my_grid_is_listed_with_my_grid(as_user, user_named, monkeypatch, by_id):
    if not by_id:  # as when someone was given more than can be named: a subquery
        monkeypatch.setattr(Case.objects._queryset_class, "GIVEN_BY_ID", 0)
    staff, worker, helper = (
        user_named(name) for name in ("community_lvdu", "gridworker_lvdu1", "gridworker_lvdu2")
    )
    case = _dispatched_in_grid1(staff)
    case = services.act(actor=worker, case=case, action="send_back", note="请二网格协助")
    case = services.act(
        actor=staff, case=case, action="dispatch", assignees=[helper], note="请协助"
    )
    client = as_user("gridworker_lvdu2")
    expected = _visible_by_definition(helper, LVDU_GRID2)
    assert case in expected
    assert listed(client.get("/cases/")).count == expected.count()
    found = client.get("/cases/", {"q": case.number}).content.decode()
    assert f">{case.number}</a>" in found
    assert client.get(f"/cases/{case.pk}/").status_code == 200
    on_map = client.get("/map/cases.geojson").json()["features"]
    assert case.pk in {feature["properties"]["id"] for feature in on_map}
    # Its own grid's cases are all there too, and nobody else's.
    own = Case.objects.filter(grid__path__startswith=Node.objects.get(code=LVDU_GRID2).path)
    states = {"state": ["reported", "dispatched", "signed", "handling", "closed"]}
    shown = listed(client.get("/cases/", states)).count
    assert shown == expected.filter(state__in=states["state"]).count()
    assert own.filter(state__in=states["state"]).count() <= shown
    # Someone far away still cannot open it.
    assert as_user("gridworker_guanlan1").get(f"/cases/{case.pk}/").status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_queues_count_what_their_lists_hold(as_user, persona):
    client = as_user(persona)
    for queue in client.get("/cases/").context["queues"]:
        response = client.get(f"/cases/?{queue['query']}")
        assert queue["count"] == listed(response).count, queue["key"]


def test_every_task_knows_its_cases_grid():
    assert Task.objects.exists()
    assert not Task.objects.filter(grid__isnull=True).exists()
    assert not Task.objects.exclude(grid_id=F("case__grid_id")).exists()


def _channels():
    rows = ChannelRollup.objects.filter(received__gt=0)
    return sorted(rows.values_list("month", "grid_id", "channel", "received"))


def test_the_channel_roll_up_is_kept_with_the_others():
    kept = _channels()
    assert kept and {channel for *_key, channel, _n in kept} >= {"hotline", "patrol"}
    received = GridRollup.objects.aggregate(n=Sum("received"))["n"]
    assert sum(n for *_key, n in kept) == received
    metrics.rebuild()
    assert _channels() == kept
