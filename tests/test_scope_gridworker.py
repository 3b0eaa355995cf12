"""As gridworker_lvdu1: grid 1 of 绿都社区 is everything; the grid next door and another
street's community are not there — by id, in lists, exports and counts — and no full ID or
phone number leaves the server unless revealed with a purpose."""

import csv
import io
import re

import pytest

from wangge.demo.district import GUANLAN, LVDU_GRID1, LVDU_GRID2
from wangge.people.models import Household, Person

pytestmark = pytest.mark.django_db

ME = "gridworker_lvdu1"


def codes_under(prefix):
    return {"grid__code__startswith": prefix}


@pytest.fixture
def outsiders():
    """A household and a person from grid 2 and from 观澜社区."""
    return {
        "households": [
            Household.objects.filter(**codes_under(LVDU_GRID2)).first(),
            Household.objects.filter(**codes_under(GUANLAN)).first(),
        ],
        "persons": [
            Person.objects.filter(**codes_under(LVDU_GRID2)).first(),
            Person.objects.filter(**codes_under(GUANLAN)).first(),
        ],
    }


def secrets_of(*prefixes):
    """Every full ID and phone number of the persons under these codes (decrypted here)."""
    values = set()
    for prefix in prefixes:
        for person in Person.objects.filter(**codes_under(prefix)):
            values.update(v for v in (person.id_number, person.phone) if v)
    return values


def assert_no_secrets(body: str, secrets: set[str]):
    leaked = [value for value in secrets if value in body]
    assert not leaked, f"full numbers in a response: {leaked[:3]}"


def test_lists_hold_grid1_and_nothing_else(api_as, outsiders):
    client = api_as(ME)
    mine = Person.objects.filter(**codes_under(LVDU_GRID1))
    assert mine.count() > 50
    body = client.get("/api/v1/persons", {"limit": 500}).json()
    assert body["count"] == mine.count()
    assert {item["id"] for item in body["items"]} == set(mine.values_list("pk", flat=True))
    households = client.get("/api/v1/households", {"limit": 500}).json()
    assert households["count"] == Household.objects.filter(**codes_under(LVDU_GRID1)).count()
    for kind in ("households", "persons"):
        ids = {item["id"] for item in client.get(f"/api/v1/{kind}", {"limit": 500}).json()["items"]}
        assert not ids & {obj.pk for obj in outsiders[kind]}


def test_outsiders_are_404_by_id_on_api_and_never_a_403(api_as, outsiders):
    client = api_as(ME)
    for kind, objects in outsiders.items():
        for obj in objects:
            response = client.get(f"/api/v1/{kind}/{obj.pk}")
            assert response.status_code == 404, (kind, obj.pk)
            assert response["Content-Type"] == "application/problem+json"
    person = outsiders["persons"][0]
    response = client.post(
        f"/api/v1/persons/{person.pk}/reveal",
        {"field": "phone", "purpose": "联系居民处理诉求"},
        content_type="application/json",
    )
    assert response.status_code == 404
    # Filtering by another grid gives nothing, not an error.
    grid2 = outsiders["households"][0].grid
    assert client.get("/api/v1/persons", {"grid": grid2.pk}).json()["count"] == 0


def test_exports_hold_grid1_only(as_user, api_as):
    page_export = as_user(ME).get("/export/persons.csv")
    api_export = api_as(ME).get("/api/v1/exports/persons", {"format": "csv"})
    for response in (page_export, api_export):
        assert response.status_code == 200
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert len(rows) == Person.objects.filter(**codes_under(LVDU_GRID1)).count()
        assert all(row["网格编码"].startswith(LVDU_GRID1) for row in rows)
        assert_no_secrets(text, secrets_of(LVDU_GRID1, LVDU_GRID2))


def test_counts_cover_grid1_only(as_user, api_as):
    home = as_user(ME).get("/").content.decode()
    persons = Person.objects.filter(**codes_under(LVDU_GRID1), status="active").count()
    households = Household.objects.filter(**codes_under(LVDU_GRID1)).count()
    numbers = [int(n) for n in re.findall(r'class="value">(\d+)<', home)]
    assert persons in numbers and households in numbers
    assert Person.objects.filter(**codes_under("410102010003")).count() not in numbers
    coverage = api_as(ME).get("/api/v1/coverage").json()
    assert [row["node"]["code"] for row in coverage] == [LVDU_GRID1]
    assert coverage[0]["households"] == households


def test_no_full_numbers_in_any_response_unless_revealed(api_as, as_user):
    client = api_as(ME)
    secrets = secrets_of(LVDU_GRID1)
    person = Person.objects.filter(**codes_under(LVDU_GRID1)).exclude(phone_hash="").first()
    household = person.household
    bodies = [
        client.get("/api/v1/persons", {"limit": 500}).content.decode(),
        client.get(f"/api/v1/persons/{person.pk}").content.decode(),
        client.get(f"/api/v1/households/{household.pk}").content.decode(),
        client.get("/api/v1/households", {"limit": 500}).content.decode(),
        as_user(ME).get("/").content.decode(),
    ]
    for body in bodies:
        assert_no_secrets(body, secrets)
    shown = client.get(f"/api/v1/persons/{person.pk}").json()
    assert shown["phone"] == person.phone[:3] + "****" + person.phone[-4:]
    assert shown["id_number"] == person.id_number[:6] + "*" * 8 + person.id_number[-4:]
    revealed = client.post(
        f"/api/v1/persons/{person.pk}/reveal",
        {"field": "phone", "purpose": "电话回访独居老人"},
        content_type="application/json",
    )
    assert revealed.status_code == 200
    assert revealed.json()["value"] == person.phone
