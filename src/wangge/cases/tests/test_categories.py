"""Publishing a new version of the category tree from a file."""

import json

import pytest
from django.core.management import call_command

from wangge.cases.models import Case, Category, CategoryTree
from wangge.fixtures import load

pytestmark = pytest.mark.django_db
CURRENT = "categories-2026.2.json"  # the version the migrations publish last


def find(items, code):
    """A category of a tree file by its code."""
    for item in items:
        if item["code"] == code:
            return item
        found = find(item.get("children", []), code)
        if found:
            return found
    return None


def write(tmp_path, data):
    path = tmp_path / "tree.json"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    return path


def test_a_new_version_becomes_current_and_old_cases_keep_theirs(tmp_path, capsys):
    old = Category.objects.get(tree__is_current=True, code="MD02")
    data = load(CURRENT) | {"version": "2027.1"}
    find(data["categories"], "MD02")["name"] = "宠物扰民（含犬只）"
    call_command("import-categories", str(write(tmp_path, data)))
    assert "已发布分类体系 2027.1" in capsys.readouterr().out
    new = Category.objects.get(tree__is_current=True, code="MD02")
    assert new.name == "宠物扰民（含犬只）" and new.pk != old.pk
    assert CategoryTree.objects.filter(is_current=True).count() == 1
    old.refresh_from_db()
    assert old.tree.version == "2026.2"
    assert not Case.objects.filter(category=new).exists()


def test_filters_by_category_find_the_cases_of_every_version(tmp_path, api_as):
    """A category's code names the same class of problem from one version to the next: the
    case list and the rates still find the cases filed under the old version."""
    filed = Case.objects.filter(category__code="MD01").count()
    assert filed > 0
    call_command("import-categories", str(write(tmp_path, load(CURRENT) | {"version": "2027.1"})))
    client = api_as("district")
    assert client.get("/api/v1/cases", {"category": "MD01"}).json()["count"] == filed
    assert client.get("/api/v1/cases", {"category": "MD"}).json()["count"] >= filed
    old_id = Category.objects.get(tree__version="2026.2", code="MD01").pk
    assert client.get("/api/v1/cases", {"category": old_id}).json()["count"] == filed
    received = client.get("/api/v1/metrics", {"category": "MD01"}).json()[0]["received"]
    merged_or_void = Case.objects.filter(category__code="MD01", state__in=["merged", "void"])
    assert received == filed - merged_or_void.count()


def test_a_bad_file_is_refused_whole(tmp_path, capsys):
    data = load(CURRENT) | {"version": "2026.1"}
    data["categories"][0]["children"][0]["kind"] = "someday"
    data["categories"][0]["children"][1]["limits"] = {"handle": [3, "fortnights"]}
    find(data["categories"], "DT01")["urgent_limits"] = {"handle": [1, "moons"]}
    find(data["categories"], "DT01")["urgent_when"] = {"people_stuck": True}
    find(data["categories"], "ZA01")["agency"] = "某某派出所"
    find(data["categories"], "BY01")["counts_as_problem"] = "no"
    trees = CategoryTree.objects.count()
    with pytest.raises(SystemExit):
        call_command("import-categories", str(write(tmp_path, data)))
    err = capsys.readouterr().err
    assert "版本 2026.1 已存在" in err and "办理类型 someday 无效" in err and "fortnights" in err
    assert "moons" in err and "people_stuck" in err and "某某派出所" in err
    assert "BY/BY01" in err
    assert CategoryTree.objects.count() == trees


def test_routing_rules_survive_a_new_version(tmp_path):
    """Rules name a category by its code: the next version of the tree keeps them working."""
    import shapely

    from wangge.accounts.models import User
    from wangge.cases import services
    from wangge.cases.models import RoutingRule
    from wangge.territory.models import Node

    other = User.objects.get(username="gridworker_lvdu2")
    RoutingRule.objects.create(
        position=1,
        category=Category.objects.get(tree__is_current=True, code="MD02"),
        target_kind="user",
        user=other,
    )
    call_command("import-categories", str(write(tmp_path, load(CURRENT) | {"version": "2027.1"})))
    spot = shapely.geometry.shape(
        Node.objects.get(code="410102010003001").geometry
    ).representative_point()
    case = services.report(
        actor=User.objects.get(username="community_lvdu"),
        channel="phone",
        category=Category.objects.get(tree__is_current=True, code="MD02"),
        description="楼上的狗整夜叫",
        attributes={"period": "night"},
        lng=spot.x,
        lat=spot.y,
    )
    assert case.category.tree.version == "2027.1"
    assert case.handler == other
    assert case.tasks.get().assignee == other
