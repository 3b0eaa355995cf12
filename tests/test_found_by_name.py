"""Nobody types an id: every list's filters in the console pick by name (places from the
caller's places, kinds and actions by name, days from a date picker, yes/no as 全部/是/否),
and each still takes a code or an id in its URL — within the caller's places, a bad value
named."""

import re

import pytest

from wangge.core.models import AuditEvent
from wangge.demo.district import GUANLAN, GUANLAN_GRID1, LVDU, LVDU_GRID1
from wangge.lostfound.models import FoundItem
from wangge.people.models import Household

pytestmark = pytest.mark.django_db

LISTS = [
    "/cases/",
    "/found/",
    "/notices/",
    "/registry/buildings/",
    "/registry/households/",
    "/registry/persons/",
    "/audit/",
    "/dashboard/",
]
# What a field asking for a number or a code would say.
ASKING = re.compile(r"ID|编码|用户编号|\bid\b")


def filter_form(page: str) -> str:
    found = re.search(r'<form method="get"[^>]*>(.*?)</form>', page, re.S)
    assert found, "no filter form"
    return found.group(1)


@pytest.mark.parametrize("url", LISTS)
def test_no_filter_asks_for_an_id_or_a_code(as_user, url):
    response = as_user("district").get(url)
    assert response.status_code == 200
    form = filter_form(response.content.decode())
    labels = re.findall(r"<(?:label|legend)[^>]*>([^<]+)</(?:label|legend)>", form)
    assert labels and not [label for label in labels if ASKING.search(label)], labels
    # No box for typing ids: every visible text box is a search for words (or an age).
    for box in re.findall(r"<input[^>]*>", form):
        kind = re.search(r'type="([^"]+)"', box).group(1)
        if kind == "number":
            assert re.search(r'name="age_(min|max)"', box), box
            continue
        assert kind in {"search", "text", "date", "checkbox", "hidden"}, box
        assert 'inputmode="numeric"' not in box, box
    # A place is picked from the caller's places, by code, searchable by name.
    if "<select" in form and url not in ("/dashboard/",):
        assert re.search(rf'<select[^>]*data-picker[^>]*>.*?value="{LVDU}"', form, re.S), url


# --- Lost and found, notices, the register: a place by code or id ------------------------------


def test_lost_and_found_by_place_code(as_user, node):
    client = as_user("community_lvdu")
    by_code = client.get("/found/", {"grid": LVDU_GRID1})
    by_id = client.get("/found/", {"grid": node(LVDU_GRID1).pk})
    assert by_code.status_code == 200
    assert list(by_code.context["page"]) == list(by_id.context["page"])
    expected = FoundItem.objects.filter(grid__path__startswith=node(LVDU_GRID1).path)
    assert len(by_code.context["page"]) == min(expected.count(), 50)
    assert list(client.get("/found/", {"grid": GUANLAN_GRID1}).context["page"]) == []
    bad = client.get("/found/", {"grid": "绿都"})
    assert set(bad.context["filterset"].errors) == {"grid"}


def test_notices_by_place_code(as_user, node):
    client = as_user("community_lvdu")
    by_code = client.get("/notices/", {"node": LVDU})
    by_id = client.get("/notices/", {"node": node(LVDU).pk})
    assert by_code.status_code == 200 and len(by_code.context["page"]) > 0
    assert list(by_code.context["page"]) == list(by_id.context["page"])
    assert all(n.node.path.startswith(node(LVDU).path) for n in by_code.context["page"])
    assert list(client.get("/notices/", {"node": GUANLAN}).context["page"]) == []


def test_the_register_by_place_code(as_user, node):
    client = as_user("street_zyxl")
    response = client.get("/registry/households/", {"grid": LVDU_GRID1})
    assert response.status_code == 200
    expected = Household.objects.filter(grid__path__startswith=node(LVDU_GRID1).path)
    assert response.context["page"].paginator.count == expected.count() > 0
    page = response.content.decode()
    assert re.search(rf'<option value="{LVDU_GRID1}"[^>]*selected', page)
    far = client.get("/registry/households/", {"grid": GUANLAN_GRID1})
    assert far.context["page"].paginator.count == 0
    bad = client.get("/registry/households/", {"grid": "第1网格"})
    assert bad.status_code == 400 and "grid" in bad.context["filterset"].errors


# --- The audit log ------------------------------------------------------------------------------


def test_the_audit_log_by_place_kind_and_name(as_user, node, today):
    client = as_user("district")
    page = client.get("/audit/").content.decode()
    form = filter_form(page)
    person = re.search(r'<option value="people.person">([^<]+)</option>', form).group(1)
    assert person != "people.person" and not re.search(r"[a-z]", person)  # a name in words
    assert 'type="hidden" name="target_id"' in form and 'type="date" name="since"' in form
    response = client.get("/audit/", {"node": LVDU, "target_type": "people.person"})
    assert response.status_code == 200
    expected = AuditEvent.objects.filter(
        node__path__startswith=node(LVDU).path, target_type="people.person"
    )
    assert response.context["page"].paginator.count == expected.count() > 0
    some = expected.exclude(target_repr="").order_by("pk").first()
    named = client.get("/audit/", {"target": some.target_repr})
    assert some in named.context["page"].paginator.object_list
    day = client.get("/audit/", {"since": str(today), "until": str(today)})
    assert day.status_code == 200
    far = as_user("community_lvdu").get("/audit/", {"node": GUANLAN})
    assert far.context["page"].paginator.count == 0


@pytest.mark.parametrize(
    "query, field", [({"node": "绿都"}, "node"), ({"since": "2026-13-01"}, "since")]
)
def test_the_audit_log_names_a_bad_value(as_user, query, field):
    response = as_user("district").get("/audit/", query)
    assert response.status_code == 400
    assert set(response.context["filterset"].errors) == {field}
    assert response.context["page"].paginator.count == 0


def test_the_audit_api_takes_a_user_name(api_as, user_named):
    client = api_as("district")
    by_name = client.get("/api/v1/audit-events", {"actor": "community_lvdu", "limit": 1}).json()
    pk = user_named("community_lvdu").pk
    by_id = client.get("/api/v1/audit-events", {"actor": pk, "limit": 1}).json()
    assert by_name["count"] == by_id["count"] > 0
    bad = client.get("/api/v1/audit-events", {"actor": "a b"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "actor"


# --- The dashboard ------------------------------------------------------------------------------


def test_the_dashboard_by_place_code(as_user, node):
    client = as_user("street_zyxl")
    by_code = client.get("/dashboard/", {"node": LVDU})
    assert by_code.status_code == 200 and by_code.context["place"] == node(LVDU)
    page = by_code.content.decode()
    assert re.search(rf'<option value="{LVDU}"[^>]*selected', page)
    assert client.get("/dashboard/", {"node": node(LVDU).pk}).context["place"] == node(LVDU)
    assert client.get("/dashboard/", {"node": GUANLAN}).status_code == 404
    assert client.get("/dashboard/", {"node": "绿都"}).status_code == 400
