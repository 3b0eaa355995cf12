"""The register by hand (人房台账): community staff register a household in a dwelling picked
from its building, add a person to it and change them; a visit is recorded from the household
page and from the phone, with the phone's position and a case of the household picked by its
number; everything through the services (scope, audit), within the caller's places (a 404
elsewhere, and for party members), a refused form keeping what was typed (a 400 naming the
field, nothing written); and the visits count where coverage is judged."""

import datetime
import re

import pytest
from django.db import connection
from django.utils import timezone

from wangge.cases.households import household_cases
from wangge.cases.models import Case
from wangge.core.models import AuditEvent
from wangge.demo.district import GUANLAN_GRID1, LVDU_GRID1, LVDU_GRID2
from wangge.people import idnumber
from wangge.people.coverage import coverage
from wangge.people.models import CareTag, Household, Person, PersonTag, Visit
from wangge.territory.models import Building, Dwelling, Node

pytestmark = pytest.mark.django_db

COMMUNITY = "community_lvdu"
WORKER = "gridworker_lvdu1"


def page_of(response) -> str:
    return response.content.decode()


def building_in(code) -> Building:
    """A building of the grid with a vacant dwelling."""
    path = Node.objects.get(code=code).path
    return (
        Building.objects.filter(grid__path__startswith=path, dwellings__households__isnull=True)
        .order_by("pk")
        .first()
    )


def vacant_dwelling(building) -> Dwelling:
    return building.dwellings.filter(households__isnull=True).order_by("pk").first()


def household_in(code) -> Household:
    path = Node.objects.get(code=code).path
    return (
        Household.objects.filter(grid__path__startswith=path, dwelling__isnull=False)
        .order_by("pk")
        .first()
    )


def a_new_id(n: int, male=True) -> str:
    return idnumber.make("410102", datetime.date(1988, 3, 1) + datetime.timedelta(days=n), n, male)


def events(action, target) -> int:
    return AuditEvent.objects.filter(action=action, target_id=str(target.pk)).count()


# --- Households ---------------------------------------------------------------------------------


def test_staff_register_a_household_in_a_dwelling_picked_from_its_building(as_user):
    client = as_user(COMMUNITY)
    building = building_in(LVDU_GRID1)
    dwelling = vacant_dwelling(building)
    # The building's page offers it, for the whole building and on each vacant dwelling.
    shown = page_of(client.get(f"/registry/buildings/{building.pk}/"))
    assert f"/registry/buildings/{building.pk}/households/new/?dwelling={dwelling.pk}" in shown
    form = client.get(f"/registry/buildings/{building.pk}/households/new/?dwelling={dwelling.pk}")
    text = page_of(form)
    # The dwellings are named by unit and room, grouped by unit; the one asked for is chosen.
    assert f'<optgroup label="{dwelling.unit.number}单元">' in text
    assert re.search(rf'<option value="{dwelling.pk}" selected>{dwelling.number}</option>', text)
    key = re.search(r'name="key" value="([0-9a-f]+)"', text).group(1)
    data = {
        "dwelling": dwelling.pk,
        "residence_type": "renting",
        "note": "租户，一家三口",
        "key": key,
    }
    response = client.post(f"/registry/buildings/{building.pk}/households/new/", data)
    household = Household.objects.get(dwelling=dwelling)
    assert response.status_code == 302
    assert response["Location"] == f"/registry/households/{household.pk}/"
    assert household.grid == building.grid and household.residence_type == "renting"
    assert household.number.startswith(f"{building.grid.code}-")
    assert events("people.household.created", household) == 1
    # Sent twice (a double tap): one household.
    client.post(f"/registry/buildings/{building.pk}/households/new/", data)
    assert Household.objects.filter(dwelling=dwelling).count() == 1
    # Changed: how it lives here and its note.
    edit = f"/registry/households/{household.pk}/edit/"
    assert "租户，一家三口" in page_of(client.get(edit))
    changed = client.post(
        edit, {"dwelling": dwelling.pk, "residence_type": "registered", "note": "已落户"}
    )
    assert changed.status_code == 302
    household.refresh_from_db()
    assert household.residence_type == "registered" and household.note == "已落户"
    assert events("people.household.updated", household) == 1


def test_a_refused_household_form_keeps_what_was_typed(as_user):
    client = as_user(COMMUNITY)
    building = building_in(LVDU_GRID1)
    before = Household.objects.count()
    response = client.post(
        f"/registry/buildings/{building.pk}/households/new/",
        {"dwelling": "", "residence_type": "floating", "note": "刚搬来"},
    )
    text = page_of(response)
    assert response.status_code == 400 and "请选择住房" in text
    assert '<option value="floating" selected>' in text and "刚搬来" in text
    too_long = client.post(
        f"/registry/buildings/{building.pk}/households/new/",
        {
            "dwelling": vacant_dwelling(building).pk,
            "residence_type": "floating",
            "note": "长" * 2001,
        },
    )
    assert too_long.status_code == 400 and "2000" in page_of(too_long)
    assert Household.objects.count() == before


def test_households_are_registered_only_within_ones_places(as_user):
    building = building_in(LVDU_GRID1)
    url = f"/registry/buildings/{building.pk}/households/new/"
    data = {"dwelling": vacant_dwelling(building).pk, "residence_type": "registered"}
    before = Household.objects.count()
    for outsider in ("gridworker_lvdu2", "gridworker_guanlan1", "partymember_lvdu"):
        client = as_user(outsider)
        assert client.get(url).status_code == 404, outsider
        assert client.post(url, data).status_code == 404, outsider
    household = household_in(LVDU_GRID1)
    for outsider in ("gridworker_lvdu2", "partymember_lvdu"):
        client = as_user(outsider)
        assert client.get(f"/registry/households/{household.pk}/edit/").status_code == 404
        assert client.get(f"/registry/households/{household.pk}/persons/new/").status_code == 404
        assert client.get(f"/registry/households/{household.pk}/visits/new/").status_code == 404
    assert Household.objects.count() == before
    # The grid's own worker may.
    assert as_user(WORKER).get(url).status_code == 200


# --- Persons ------------------------------------------------------------------------------------


def test_a_member_is_added_with_id_and_phone_encrypted_and_care_tags(as_user):
    client = as_user(COMMUNITY)
    household = household_in(LVDU_GRID1)
    alone = CareTag.objects.get(code="living_alone")
    number = a_new_id(11, male=False)
    url = f"/registry/households/{household.pk}/persons/new/"
    form = page_of(client.get(url))
    assert 'name="care_tags"' in form and alone.name in form
    response = client.post(
        url,
        {
            "relation": "parent",
            "name": "赵桂兰",
            "id_number": number.lower(),
            "phone": "139 0371 2233",
            "care_tags": [alone.code],
            "note": "腿脚不便",
        },
    )
    assert response.status_code == 302
    person = Person.objects.get(name="赵桂兰", household=household)
    # Sex and birth date come from the ID; the numbers are stored encrypted, shown masked.
    assert person.sex == "female" and person.birth_date == idnumber.birth_date(number)
    assert person.id_number == number and person.phone == "13903712233"
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM people_person WHERE id = %s", [person.pk])
        raw = cursor.fetchone()
    assert number not in str(raw) and "13903712233" not in str(raw)
    assert PersonTag.objects.filter(person=person, tag=alone).exists()
    text = page_of(client.get(f"/registry/households/{household.pk}/"))
    assert "139****2233" in text and number not in text and "13903712233" not in text
    event = AuditEvent.objects.get(action="people.person.created", target_id=str(person.pk))
    assert number not in str(event.after) and "13903712233" not in str(event.after)


def test_a_bad_id_or_phone_is_named_on_its_field_and_the_form_keeps_what_was_typed(as_user):
    client = as_user(WORKER)
    household = household_in(LVDU_GRID1)
    good = a_new_id(12)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    before = Person.objects.count()
    response = client.post(
        f"/registry/households/{household.pk}/persons/new/",
        {"relation": "child", "name": "钱小明", "id_number": bad, "phone": "12345", "note": "上学"},
    )
    text = page_of(response)
    assert response.status_code == 400
    assert re.search(r'id="id_id_number-error"><li>身份证号校验位错误（应为.）', text)
    assert re.search(r'id="id_phone-error"><li>电话号码格式不正确', text)
    assert f'value="{bad}"' in text and 'value="钱小明"' in text and 'value="12345"' in text
    assert '<option value="child" selected>' in text and "上学" in text
    assert Person.objects.count() == before


def test_a_person_is_changed_with_the_numbers_kept_masked(as_user):
    client = as_user(COMMUNITY)
    person = (
        Person.objects.filter(grid__path__startswith=Node.objects.get(code=LVDU_GRID1).path)
        .exclude(phone_hash="")
        .filter(id_number_hash__isnull=False)
        .order_by("pk")
        .first()
    )
    url = f"/registry/persons/{person.pk}/edit/"
    form = page_of(client.get(url))
    # The numbers are not on the form, only their masked values beside empty fields.
    assert person.id_number not in form and person.phone not in form
    assert person.id_number_masked in form and person.phone_masked in form
    assert re.search(r'<input type="text" name="id_number"[^>]*>', form)
    assert not re.search(r'name="id_number"[^>]*value=', form)
    data = {
        "relation": person.relation,
        "name": person.name,
        "sex": person.sex,
        "birth_date": person.birth_date.isoformat() if person.birth_date else "",
        "status": "moved_out",
        "note": "搬去女儿家",
        "id_number": "",
        "phone": "",
    }
    response = client.post(url, data)
    assert response.status_code == 302, page_of(response)
    changed = Person.objects.get(pk=person.pk)
    assert changed.status == "moved_out" and changed.note == "搬去女儿家"
    assert changed.id_number == person.id_number and changed.phone == person.phone  # kept
    assert events("people.person.updated", person) == 1
    # A new phone replaces the old one; "remove" clears it.
    client.post(url, {**data, "phone": "13803710099"})
    assert Person.objects.get(pk=person.pk).phone == "13803710099"
    client.post(url, {**data, "clear_phone": "on"})
    assert Person.objects.get(pk=person.pk).phone == ""
    # A date of birth that does not match the ID is named there.
    if person.id_number:
        wrong = client.post(url, {**data, "birth_date": "1901-01-01"})
        assert wrong.status_code == 400 and "出生日期与身份证号不一致" in page_of(wrong)


def test_care_tags_are_set_only_by_roles_that_see_them(as_user, user_named):
    household = household_in(LVDU_GRID1)
    person = Person.objects.filter(household=household).order_by("pk").first()
    # A building head on a micro-grid of grid 1 sees persons but neither changes them nor sees
    # care tags.
    head = as_user("buildinghead_001001")
    assert head.get(f"/registry/persons/{person.pk}/edit/").status_code == 404
    worker = as_user(WORKER)
    form = page_of(worker.get(f"/registry/persons/{person.pk}/edit/"))
    assert 'name="care_tags"' in form
    disabled = CareTag.objects.get(has_disability_detail=True)
    data = {
        "relation": person.relation,
        "name": person.name,
        "sex": person.sex,
        "birth_date": person.birth_date.isoformat() if person.birth_date else "",
        "status": person.status,
        "care_tags": [disabled.code],
    }
    missing = worker.post(f"/registry/persons/{person.pk}/edit/", data)
    assert missing.status_code == 400 and "残疾类别和等级" in page_of(missing)
    assert not PersonTag.objects.filter(person=person, tag=disabled).exists()
    done = worker.post(
        f"/registry/persons/{person.pk}/edit/",
        {**data, "disability_category": "physical", "disability_grade": "2"},
    )
    assert done.status_code == 302
    link = PersonTag.objects.get(person=person, tag=disabled)
    assert (link.disability_category, link.disability_grade) == ("physical", 2)
    assert events("people.person.care_tags_set", person) == 1


# --- Visits -------------------------------------------------------------------------------------


def a_case_of(household, user) -> Case:
    """One of the household's cases (a case of its building, made so if none is)."""
    cases = household_cases(user, household)
    if cases:
        return cases[0]
    from wangge.cases import services
    from wangge.cases.models import Category

    return services.report(
        actor=user,
        channel="patrol",
        category=Category.objects.get(tree__is_current=True, code="MD05"),
        description="楼道灯坏了",
        building=household.dwelling.building,
    )


def test_a_visit_from_the_household_page_with_its_case(as_user, user_named, today):
    client = as_user(COMMUNITY)
    household = household_in(LVDU_GRID1)
    case = a_case_of(household, user_named(COMMUNITY))
    page = page_of(client.get(f"/registry/households/{household.pk}/"))
    assert f"/registry/households/{household.pk}/visits/new/" in page
    form = page_of(client.get(f"/registry/households/{household.pk}/visits/new/"))
    # Today by default; the household's cases by number and title, never an id to type.
    assert f'value="{today.isoformat()}"' in form
    assert f"{case.number} · {case.title}" in form
    response = client.post(
        f"/registry/households/{household.pk}/visits/new/",
        {
            "date": today.isoformat(),
            "time": "09:30",
            "kind": "home",
            "notes": "老人身体尚可，暖气已修好。",
            "case": case.pk,
        },
    )
    assert response.status_code == 302
    visit = Visit.objects.filter(household=household).latest("created_at")
    assert visit.case == case and visit.visitor == user_named(COMMUNITY)
    assert timezone.localtime(visit.visited_at).strftime("%Y-%m-%d %H:%M") == f"{today} 09:30"
    assert events("people.visit.created", visit) == 1
    shown = page_of(client.get(f"/registry/households/{household.pk}/"))
    assert "暖气已修好" in shown and case.number in shown


def test_a_refused_visit_keeps_what_was_typed(as_user, user_named, today):
    client = as_user(WORKER)
    household = household_in(LVDU_GRID1)
    other = (
        Case.objects.filter(grid__path__startswith=Node.objects.get(code=LVDU_GRID2).path)
        .order_by("pk")
        .first()
    )
    before = Visit.objects.count()
    url = f"/m/households/{household.pk}/visit/"
    tomorrow = today + datetime.timedelta(days=1)
    late = client.post(url, {"date": tomorrow.isoformat(), "kind": "home", "notes": "明天再来"})
    text = page_of(late)
    assert late.status_code == 400 and "走访时间不能晚于现在" in text and "明天再来" in text
    # A case not among the household's is refused on its field (nobody types an id).
    stranger = client.post(url, {"date": today.isoformat(), "kind": "phone", "case": other.pk})
    assert stranger.status_code == 400 and 'id="id_case-error"' in page_of(stranger)
    too_long = client.post(url, {"date": today.isoformat(), "kind": "home", "notes": "长" * 2001})
    assert too_long.status_code == 400 and 'id="id_notes-error"' in page_of(too_long)
    half_place = client.post(url, {"date": today.isoformat(), "kind": "home", "lng": "113.6"})
    assert half_place.status_code == 400 and "经度和纬度" in page_of(half_place)
    assert Visit.objects.count() == before


def test_the_phone_visit_moves_the_visits_due_and_the_home_page_coverage(
    as_user, user_named, today
):
    worker = user_named(WORKER)
    client = as_user(WORKER)
    grid = Node.objects.get(code=LVDU_GRID1)
    due_page = page_of(client.get("/m/grid/"))
    due_before = int(re.search(r"(\d+) 户 \d+ 天内未走访", due_page).group(1))
    since = timezone.now() - datetime.timedelta(days=90)
    visited = Visit.objects.filter(visited_at__gte=since).values("household")
    household = (
        Household.objects.restrict(worker, "view")
        .filter(grid__path__startswith=grid.path)
        .exclude(pk__in=visited)
        .order_by("pk")
        .first()
    )
    assert f"/m/households/{household.pk}/visit/" in due_page
    (row_before,) = coverage(worker, [grid], days=90)
    home_before = page_of(client.get("/"))
    response = client.post(
        f"/m/households/{household.pk}/visit/",
        {
            "date": today.isoformat(),
            "kind": "home",
            "notes": "认门识人，留了联系电话。",
            "lng": "113.6012345",
            "lat": "34.7554321",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/m/grid/"
    visit = Visit.objects.get(household=household)
    assert (visit.lng, visit.lat) == (113.6012345, 34.7554321)
    assert visit.visited_at <= timezone.now()
    due_after = int(re.search(r"(\d+) 户 \d+ 天内未走访", page_of(client.get("/m/grid/"))).group(1))
    assert due_after == due_before - 1
    (row_after,) = coverage(worker, [grid], days=90)
    assert row_after.households_visited == row_before.households_visited + 1
    meter_before = f"{row_before.households_visited}/{row_before.households}"
    meter_after = f"{row_after.households_visited}/{row_after.households}"
    assert meter_before in home_before and meter_after in page_of(client.get("/"))


def test_phone_visits_only_in_ones_own_grid(as_user):
    household = household_in(LVDU_GRID1)
    url = f"/m/households/{household.pk}/visit/"
    before = Visit.objects.count()
    for outsider in ("gridworker_lvdu2", "gridworker_guanlan1", "partymember_lvdu"):
        client = as_user(outsider)
        assert client.get(url).status_code == 404, outsider
        assert client.post(url, {"date": "2026-12-09", "kind": "home"}).status_code == 404
    assert Visit.objects.count() == before
    guanlan = household_in(GUANLAN_GRID1)
    assert as_user(WORKER).get(f"/m/households/{guanlan.pk}/visit/").status_code == 404


def test_the_households_cases_are_only_its_own_and_in_scope(user_named):
    household = household_in(LVDU_GRID1)
    worker = user_named(WORKER)
    case = a_case_of(household, worker)
    found = household_cases(worker, household)
    assert case in found
    building = household.dwelling.building
    members = Person.objects.filter(household=household)
    phones = set(members.exclude(phone_hash="").values_list("phone_hash", flat=True))
    for each in found:
        assert (
            each.building_id == building.pk
            or each.reporter_phone_hash in phones
            or each.reporter_person_id in set(members.values_list("pk", flat=True))
            or Visit.objects.filter(household=household, case=each).exists()
        )
    assert household_cases(user_named("gridworker_lvdu2"), household) == []


# --- The API ------------------------------------------------------------------------------------


def test_the_api_records_a_visit_with_its_case_number_and_position(api_as, user_named):
    household = household_in(LVDU_GRID1)
    case = a_case_of(household, user_named(WORKER))
    client = api_as(WORKER)
    body = {
        "household_id": household.pk,
        "kind": "phone",
        "notes": "电话回访",
        "lng": 113.61,
        "lat": 34.75,
        "case": case.number,
    }
    response = client.post("/api/v1/visits", body, content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["case_id"] == case.pk and (data["lng"], data["lat"]) == (113.61, 34.75)
    before = Visit.objects.count()
    for bad, field in (
        ({"case": "C-NO-SUCH"}, "case"),
        ({"lng": 200, "lat": 34.75}, "lng"),
        ({"lng": 113.6, "lat": None}, "lat"),
        ({"notes": "长" * 2001}, "notes"),
    ):
        refused = client.post("/api/v1/visits", {**body, **bad}, content_type="application/json")
        assert refused.status_code == 400, bad
        assert refused["Content-Type"] == "application/problem+json"
        assert field in [error["field"] for error in refused.json()["errors"]], refused.json()
    assert Visit.objects.count() == before
