"""The grid worker's phone pages, as 绿都社区's grid worker of grid 1 meets them."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from wangge.cases.models import Case, Category, Task
from wangge.demo.district import GUANLAN_GRID1, LVDU_GRID1
from wangge.territory.models import Node

pytestmark = pytest.mark.django_db


def jpeg(name="p.jpg"):
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "#884422").save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def open_task(username):
    return (
        Task.objects.filter(assignee__username=username, state__in=["dispatched", "signed"])
        .order_by("pk")
        .first()
    )


def test_my_tasks_lists_mine_only(as_user):
    client = as_user("gridworker_lvdu1")
    page = client.get("/m/").content.decode()
    task = open_task("gridworker_lvdu1")
    assert "我的待办" in page and task.case.title in page
    other = open_task("gridworker_guanlan1")
    if other is not None:
        assert f"/m/tasks/{other.pk}/" not in page
        assert client.get(f"/m/tasks/{other.pk}/").status_code == 404


def test_anonymous_goes_to_the_login_page(client):
    for path in ("/m/", "/m/report/", "/m/grid/", "/m/tasks/1/"):
        assert client.get(path).status_code == 302


def test_sign_then_finish_with_a_photo(as_user):
    client = as_user("gridworker_lvdu1")
    task = (
        Task.objects.filter(assignee__username="gridworker_lvdu1", state="dispatched")
        .order_by("pk")
        .first()
    )
    page = client.get(f"/m/tasks/{task.pk}/").content.decode()
    assert "签收" in page
    assert client.post(f"/m/tasks/{task.pk}/sign/", {}).status_code == 302
    task.refresh_from_db()
    assert task.state == "signed"
    # Finishing needs a word of what was done.
    client.post(f"/m/tasks/{task.pk}/finish/", {"note": ""})
    task.refresh_from_db()
    assert task.state == "signed"
    response = client.post(
        f"/m/tasks/{task.pk}/finish/", {"note": "已清理完毕", "photo": jpeg(), "key": "fin-1"}
    )
    assert response.status_code == 302 and response.url == "/m/"
    task.refresh_from_db()
    assert task.state == "done"
    photo = task.case.photos.get()
    assert photo.public and photo.event.action == "finish"
    assert client.post(f"/m/tasks/{task.pk}/fly/", {}).status_code == 404


def test_report_from_the_field_once_per_key(as_user):
    client = as_user("gridworker_lvdu1")
    page = client.get("/m/report/").content.decode()
    assert "使用我的位置" in page and 'rel="manifest"' in page
    category = Category.objects.get(tree__is_current=True, code="SJ01")
    grid = Node.objects.get(code=LVDU_GRID1)
    spot = grid.geometry and __import__("shapely").geometry.shape(grid.geometry)
    point = spot.representative_point()
    data = {
        "category": category.pk,
        "description": "巡查发现路边垃圾堆放",
        "lng": point.x,
        "lat": point.y,
        "grid": grid.pk,
        "key": "offline-1",
    }
    first = client.post(
        "/m/report/", {**data, "photo": jpeg()}, headers={"Accept": "application/json"}
    )
    assert first.status_code == 201
    again = client.post(
        "/m/report/", {**data, "photo": jpeg()}, headers={"Accept": "application/json"}
    )
    assert again.status_code == 201 and again.json() == first.json()
    case = Case.objects.get(pk=first.json()["id"])
    assert case.channel == "patrol" and case.photos.count() == 1
    assert Case.objects.filter(description=data["description"]).count() == 1


def test_a_bad_report_says_why(as_user):
    client = as_user("gridworker_lvdu1")
    response = client.post(
        "/m/report/", {"description": "x", "key": "bad-1"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 400 and "category" in response.json()["errors"]
    response = client.post("/m/report/", {"description": "x", "key": "bad-2"})
    assert response.status_code == 400 and "请选择问题类别" in response.content.decode()
    far = Node.objects.get(code=GUANLAN_GRID1)
    response = client.post(
        "/m/report/",
        {"category": Category.objects.get(tree__is_current=True, code="SJ01").pk, "grid": far.pk},
    )
    assert response.status_code == 400  # not one of my grids
    assert as_user("partymember_lvdu").get("/m/grid/").status_code == 404


def test_my_grid_shows_care_and_visits_due(as_user):
    page = as_user("gridworker_lvdu1").get("/m/grid/").content.decode()
    assert "有关爱对象的家庭" in page and "未走访" in page
    assert "观澜" not in page


def test_the_app_installs(client):
    manifest = client.get("/m/manifest.webmanifest")
    assert manifest.status_code == 200 and manifest.json()["start_url"] == "/m/"
    worker = client.get("/m/sw.js")
    body = worker.content.decode()
    assert worker["Content-Type"].startswith("application/javascript")
    assert '"/m/report/"' in body and "__SHELL__" not in body
