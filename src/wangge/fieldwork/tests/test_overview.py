"""网格工作: field work's one item in the main navigation, its overview of what waits in each
section (counted in my places only, each count a link to its list) and the sections' own row
on every field-work page, as the demo's people."""

from __future__ import annotations

import re

import pytest

from wangge.fieldwork import plans
from wangge.fieldwork.models import (
    CampaignState,
    CareRequest,
    DisputeState,
    ErrandState,
    PlanState,
    VisitPlan,
)

pytestmark = pytest.mark.django_db

SECTIONS = ("visits", "campaigns", "errands", "disputes", "patrols", "team")


def shown(page: str) -> dict[str, dict[str, int]]:
    """The overview's counts as the page shows them: ``{section: {count: n}}``."""
    found: dict[str, dict[str, int]] = {}
    for section, body in re.findall(r'data-section="(\w+)"(.*?)</section>', page, re.S):
        found[section] = {
            name: int(value) for name, value in re.findall(r'data-count="(\w+)">(\d+)<', body)
        }
    return found


def main_navigation(page: str) -> list[str]:
    nav = re.search(r'<nav class="mainnav".*?</nav>', page, re.S).group(0)
    return re.findall(r">([^<>]+)</a>", nav)


def test_field_work_is_one_item_in_the_navigation_with_its_sections_in_a_row(as_user):
    office = as_user("community_lvdu")
    home = office.get("/").content.decode()
    items = main_navigation(home)
    assert "网格工作" in items
    assert not {"走访", "排查", "巡查", "调解", "帮办代办", "网格团队"} & set(items)
    assert 'class="subnav"' not in home  # the row is field work's own

    page = office.get("/patrols/checkpoints/").content.decode()
    assert 'aria-current="page">网格工作</a>' in page
    row = re.search(r'<nav class="subnav".*?</nav>', page, re.S).group(0)
    assert re.findall(r">([^<>]+)</a>", row) == [
        "概览",
        "走访",
        "排查",
        "帮办代办",
        "网格团队",
        "调解",
        "巡查",
    ]
    assert 'aria-current="page">巡查</a>' in row  # checkpoints belong to patrols


def test_the_overview_counts_what_waits_in_my_places(as_user, user_named):
    office = as_user("community_lvdu")
    response = office.get("/fieldwork/")
    assert response.status_code == 200
    counts = shown(response.content.decode())
    assert set(counts) == set(SECTIONS)

    me = user_named("community_lvdu")
    day = plans.today()
    mine = VisitPlan.objects.restrict(me, "view")
    assert counts["visits"] == {
        "overdue": mine.filter(plans.state_q(PlanState.OVERDUE, day)).count(),
        "due": mine.filter(plans.state_q(PlanState.DUE, day)).count(),
    }
    assert counts["visits"]["overdue"] > 0  # the demo has some overdue
    errands = CareRequest.objects.restrict(me, "view")
    assert counts["errands"]["open"] == errands.filter(state=ErrandState.OPEN).count()
    assert counts["errands"]["assigned"] == errands.filter(state=ErrandState.ASSIGNED).count()
    assert sum(counts["errands"].values()) > 0  # 绿都's errands for the elderly (S2)

    # Each count opens its list, filtered as it says: the list agrees.
    listed = office.get("/visits/", {"state": PlanState.OVERDUE}).context["page"].paginator
    assert listed.count == counts["visits"]["overdue"]
    page = office.get("/fieldwork/").content.decode()
    assert f'href="/disputes/?state={DisputeState.MEDIATING}"' in page
    assert f'href="/campaigns/?state={CampaignState.OPEN}"' in page


def test_another_communitys_work_is_not_counted(as_user, user_named):
    lvdu = shown(as_user("community_lvdu").get("/fieldwork/").content.decode())
    guanlan = shown(as_user("gridworker_guanlan1").get("/fieldwork/").content.decode())
    worker = user_named("gridworker_guanlan1")
    day = plans.today()
    theirs = VisitPlan.objects.restrict(worker, "view")
    assert (
        guanlan["visits"]["overdue"] == theirs.filter(plans.state_q(PlanState.OVERDUE, day)).count()
    )
    assert guanlan["visits"] != lvdu["visits"]
    page = as_user("gridworker_guanlan1").get("/fieldwork/").content.decode()
    assert "一中社区" not in page  # 一中's blizzard campaign is not theirs


def test_a_helper_sees_only_the_sections_their_role_opens(as_user):
    page = as_user("partymember_lvdu").get("/fieldwork/").content.decode()
    assert set(shown(page)) == {"errands"}
    assert as_user("partymember_lvdu").get("/disputes/").status_code == 404


def test_nobody_without_field_work_is_shown_the_page(client, django_user_model):
    assert client.get("/fieldwork/").status_code == 302  # signed out: to the sign-in page
    client.force_login(django_user_model.objects.create_user("nobody", password="x" * 12))
    assert client.get("/fieldwork/").status_code == 404
    assert "网格工作" not in client.get("/").content.decode()
