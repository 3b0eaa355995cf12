"""The category tree 2026.2 as staff and residents meet it: homes for lifts, public order, the
environment, objects falling from height, wasp nests and missing people, each with time limits,
questions and the outside agency it usually goes to; a lift with someone trapped runs on the
urgent limits; praise is thanked and closed and counts nowhere; the migration that publishes
the version leaves earlier cases on theirs; Open311 offers the public ones."""

import datetime
import importlib
import json
from decimal import Decimal

import pytest
import shapely
from django.apps import apps
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from wangge.cases import services
from wangge.cases.choices import Mark, Stage, State
from wangge.cases.limits import limit_for
from wangge.cases.machine import Refused
from wangge.cases.models import Case, Category, CategoryTree
from wangge.core.models import Notification
from wangge.demo.district import LVDU_GRID1, OPEN311_DEMO_KEY
from wangge.territory.models import Node

pytestmark = pytest.mark.django_db

NEW = {
    "DT01": "电梯故障",
    "DT02": "电梯安全隐患",
    "DT03": "老旧小区加装电梯",
    "ZA01": "电动车被盗",
    "ZA02": "聚众赌博",
    "ZA03": "家庭暴力",
    "HJ01": "餐饮油烟",
    "HJ02": "河道水面垃圾",
    "HJ03": "焚烧垃圾",
    "HJ04": "扬尘污染",
    "AQ06": "高空抛物坠物",
    "AQ07": "店招牌匾松动",
    "AQ08": "马蜂窝",
    "XR01": "老人走失",
    "XR02": "儿童走失",
    "XR03": "其他人员走失",
    "BY01": "表扬工作人员",
    "BY02": "表扬好人好事",
}
POLICE = "郑州市公安局中原分局（辖区派出所）"
FIRE = "中原区消防救援大队"


def current(code) -> Category:
    return Category.objects.get(tree__is_current=True, code=code)


def spot(code=LVDU_GRID1):
    point = shapely.geometry.shape(Node.objects.get(code=code).geometry).representative_point()
    return point.x, point.y


def report(client, code, attributes, **fields):
    lng, lat = spot()
    body = {
        "category": code,
        "description": fields.pop("description", "3号楼2单元电梯停在5楼不动了"),
        "lng": lng,
        "lat": lat,
        "reporter_name": "王女士",
        "reporter_phone": "13700000002",
        "attributes": attributes,
        **fields,
    }
    return client.post("/api/v1/cases", body, content_type="application/json")


# --- The tree --------------------------------------------------------------------------------


def test_the_current_tree_has_a_home_for_what_residents_raise_every_day(api_as):
    assert CategoryTree.objects.get(is_current=True).version == "2026.2"
    client = api_as("gridworker_lvdu1")
    listed = {c["code"]: c for c in client.get("/api/v1/categories").json()}
    for code, name in NEW.items():
        assert listed[code]["name"] == name and listed[code]["leaf"], code
    for code in NEW:
        category = current(code)
        if category.counts_as_problem:
            handle = limit_for(category, Stage.HANDLE)
            assert handle is not None and handle.category_id is not None, code
        if code != "DT02":  # a hazard of a lift asks nothing beyond the words
            assert category.form is not None and category.form.questions.exists(), code
    # Each with its questions, its limits and where the work usually goes, through the API.
    lift = client.get("/api/v1/categories/DT01").json()
    trapped = next(q for q in lift["questions"] if q["code"] == "trapped")
    assert (
        trapped["kind"] == "boolean" and trapped["required"] and trapped["label"] == "是否有人被困"
    )
    assert lift["urgent_when"] == {"trapped": True} and lift["urgent_agency"] == FIRE
    assert lift["agency"] == "中原区市场监督管理局（特种设备）"
    limits = {(limit["stage"], limit["urgent"]): limit for limit in lift["limits"]}
    assert limits["handle", True]["amount"] == "1.00" and limits["handle", True]["unit"] == "hours"
    assert limits["handle", False]["unit"] == "working_days"
    missing = client.get("/api/v1/categories/XR01").json()
    assert {q["code"] for q in missing["questions"]} >= {"last_seen_at", "looks", "dementia"}
    assert missing["agency"] == POLICE
    wasp = client.get("/api/v1/categories/AQ08").json()
    assert [q["code"] for q in wasp["questions"]][:2] == ["where", "size"]
    assert wasp["agency"] == FIRE
    assert listed["ZA01"]["agency"] == POLICE and listed["ZA03"]["public"] is False
    assert listed["BY01"]["counts_as_problem"] is False
    assert listed["MD01"]["counts_as_problem"] is True
    # Routing defaults of the kinds that were there before: the heating company for heating.
    assert listed["MS01"]["agency"] == "郑州热力公司中原分公司"


def test_the_migration_publishes_a_version_and_earlier_cases_keep_theirs(api_as):
    """Cases filed before keep their categories; new ones take the new version's."""
    migration = importlib.import_module("wangge.cases.migrations.0009_category_tree_2026_2")
    # The migrations of the test database published 2026.1 (0002) and then 2026.2 (0007).
    assert set(CategoryTree.objects.values_list("version", flat=True)) >= {"2026.1", "2026.2"}
    assert not Category.objects.filter(tree__version="2026.1", code="DT01").exists()
    # As before the migration: the current tree is another version, with cases filed under it.
    before = CategoryTree.objects.get(is_current=True)
    before.version = "2026.1b"
    before.save()
    filed = Case.objects.filter(category__tree=before)
    count, one = filed.count(), filed.order_by("pk").first()
    assert count > 100
    migration.publish(apps, None)
    published = CategoryTree.objects.get(is_current=True)
    assert published.version == "2026.2" and published.pk != before.pk
    one.refresh_from_db()
    assert one.category.tree_id == before.pk
    assert Case.objects.filter(category__tree=before).count() == count
    assert published.categories.filter(code="DT01").exists()
    # Run again, it publishes nothing more.
    migration.publish(apps, None)
    assert CategoryTree.objects.filter(version="2026.2").count() == 1
    # New cases are filed under the new version.
    made = report(api_as("community_lvdu"), "DT01", {"trapped": False}).json()
    assert Case.objects.get(pk=made["id"]).category.tree_id == published.pk


# --- Urgent cases ----------------------------------------------------------------------------


def test_a_lift_with_someone_trapped_runs_on_the_short_limit(api_as, as_user):
    client = api_as("community_lvdu")
    trapped = report(client, "DT01", {"trapped": True, "where": "3号楼2单元"})
    assert trapped.status_code == 201, trapped.content
    stopped = report(client, "DT01", {"trapped": False}, description="电梯停运了")
    trapped, stopped = trapped.json(), stopped.json()
    assert trapped["urgent"] is True and stopped["urgent"] is False
    urgent = Case.objects.get(pk=trapped["id"])
    usual = Case.objects.get(pk=stopped["id"])
    # Accepted on entry: promised within the hour, whatever the time of day.
    assert urgent.due_at - urgent.accepted_at == datetime.timedelta(hours=1)
    assert urgent.respond_by - urgent.created_at == datetime.timedelta(minutes=15)
    assert usual.due_at - usual.accepted_at > datetime.timedelta(hours=1)
    assert urgent.stage_deadline - urgent.stage_started_at == datetime.timedelta(minutes=15)
    # The case page says so, names who to call, and offers 119 first for the hand-over.
    page = as_user("community_lvdu").get(f"/cases/{urgent.pk}/").content.decode()
    assert "data-urgent" in page and "紧急" in page and FIRE in page
    agency = current("DT01").urgent_agency
    assert f'<option value="{agency.pk}" selected>' in page
    # The question is required: a lift report without it is refused, nothing written.
    before = Case.objects.count()
    missing = report(client, "DT01", {})
    assert missing.status_code == 400
    assert any(e["field"] == "attributes.trapped" for e in missing.json()["errors"])
    assert Case.objects.count() == before


def test_public_order_offers_the_police_station_first(api_as, as_user):
    made = report(
        api_as("community_lvdu"),
        "ZA01",
        {"ongoing": False, "police_called": True},
        description="车棚里的电动车昨晚被偷了",
    ).json()
    case = Case.objects.get(pk=made["id"])
    assert not case.urgent
    page = as_user("community_lvdu").get(f"/cases/{case.pk}/").content.decode()
    police = current("ZA01").agency
    assert police.name == POLICE and "通常转办" in page
    assert f'<option value="{police.pk}" selected>' in page


# --- Praise ----------------------------------------------------------------------------------


def test_praise_is_recorded_thanked_and_closed(as_user, user_named):
    resident = Client()
    praise = current("BY01")
    response = resident.post(
        f"/r/{LVDU_GRID1}/",
        {
            "category": praise.pk,
            "description": "网格员孙丽帮我家老人代办了医保卡，特别耐心，谢谢她！",
            "name": "赵大爷",
            "phone": "13812340001",
            f"q-{praise.form.code}-who": "孙丽",
            "key": "praise-1",
        },
        follow=True,
    )
    case = Case.objects.get(description__startswith="网格员孙丽帮我家老人代办")
    assert case.state == State.CLOSED and case.closed_at is not None
    assert case.mark == Mark.ON_TIME and case.stage_deadline is None and case.respond_by is None
    assert [e.action for e in case.events.order_by("pk")] == ["reported", "thanked"]
    assert not case.tasks.exists()
    # The resident reads the thanks and is not asked to rate it.
    page = resident.get(f"/t/{case.tracking_code}/").content.decode()
    assert "感谢" in page and 'name="rating"' not in page
    assert response.status_code == 200
    # The grid's worker hears of it; nothing else can be done to it but a note.
    assert Notification.objects.filter(
        user=user_named("gridworker_lvdu1"), url=f"/cases/{case.pk}/"
    ).exists()
    staff = user_named("community_lvdu")
    with pytest.raises(Refused):
        services.act(actor=staff, case=case, action="reopen", note="重新处理")
    services.act(actor=staff, case=case, action="comment", note="已在例会上表扬")
    staff_page = as_user("community_lvdu").get(f"/cases/{case.pk}/").content.decode()
    assert "不是待解决的问题" in staff_page


def test_a_problem_cannot_be_moved_into_praise(api_as):
    client = api_as("community_lvdu")
    made = report(client, "DT01", {"trapped": False}, description="电梯异响").json()
    answer = client.post(
        f"/api/v1/cases/{made['id']}/actions/recategorize",
        {"category": "BY01"},
        content_type="application/json",
    )
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["field"] == "category"
    assert Case.objects.get(pk=made["id"]).category.code == "DT01"


def test_praise_is_never_marked_late_even_a_week_on():
    lng, lat = spot()
    case = services.report(
        actor=None,
        channel="web",
        category=current("BY02"),
        description="邻居帮我把摔倒的老人送到医院",
        lng=lng,
        lat=lat,
        received_at=timezone.now() - datetime.timedelta(days=7),
    )
    services.sweep(now=timezone.now())
    case.refresh_from_db()
    assert case.mark == Mark.ON_TIME and case.escalations == 0 and case.level is None


# --- Open311 ---------------------------------------------------------------------------------


def test_open311_offers_the_public_new_kinds_with_their_questions():
    web = Client()
    services_ = {s["service_code"]: s for s in web.get("/open311/v2/services.json").json()}
    offered = {code for code in NEW if current(code).public}
    assert offered <= set(services_) and "ZA03" not in services_
    assert services_["DT01"]["group"] == "电梯" and services_["DT01"]["metadata"] is True
    assert "119" in services_["DT01"]["description"]
    definition = web.get("/open311/v2/services/DT01.json").json()
    assert definition["attributes"][0]["code"] == "trapped"
    assert web.get("/open311/v2/services/ZA03.json").status_code == 404
    # A lift with someone trapped, filed through Open311, is urgent.
    lng, lat = spot()
    answer = web.post(
        "/open311/v2/requests.json",
        {
            "api_key": OPEN311_DEMO_KEY,
            "service_code": "DT01",
            "lat": str(lat),
            "long": str(lng),
            "attribute[trapped]": "true",
            "description": "电梯里关了人",
        },
    )
    assert answer.status_code == 201, answer.content
    case = Case.objects.get(number=answer.json()[0]["service_request_id"])
    assert case.urgent and case.respond_by - case.created_at == datetime.timedelta(minutes=15)


def test_the_published_file_is_a_valid_import(tmp_path, capsys):
    """The version's file passes the checks of ``wangge import-categories`` (under another
    version number: 2026.2 is published already)."""
    from wangge.fixtures import load

    data = load("categories-2026.2.json") | {"version": "2027.1"}
    path = tmp_path / "tree.json"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    trees = CategoryTree.objects.count()
    call_command("import-categories", str(path), "--dry-run")
    assert "检查通过（未写入）" in capsys.readouterr().out
    assert CategoryTree.objects.count() == trees
    lift = load("categories-2026.2.json")
    assert lift["version"] == "2026.2"
    assert Decimal("0.25") == current("DT01").limits.get(stage="accept", urgent=True).amount
