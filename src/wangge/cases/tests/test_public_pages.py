"""A resident's pages: report from a grid's QR code, follow by tracking code, rate."""

import pytest
from django.test import Client

from wangge.accounts.models import User
from wangge.cases import services
from wangge.cases.models import Case, Category
from wangge.demo.district import LVDU_GRID1

pytestmark = pytest.mark.django_db


def form(**overrides):
    category = Category.objects.get(tree__is_current=True, code="SJ01")
    data = {
        "category": category.pk,
        "description": "3号楼门口垃圾两天没人清",
        "address": "3号楼",
        "name": "王大爷",
        "phone": "13812345678",
        "key": "k-1",
    }
    data.update(overrides)
    return data


def test_report_follow_and_rate():
    client = Client()
    page = client.get(f"/r/{LVDU_GRID1}/")
    assert page.status_code == 200 and "第1网格" in page.content.decode()
    response = client.post(f"/r/{LVDU_GRID1}/", form(), follow=True)
    case = Case.objects.get(description__startswith="3号楼门口垃圾")
    assert (
        case.channel == "web" and case.state == "reported" and case.grid.code.startswith(LVDU_GRID1)
    )
    text = response.content.decode()
    assert case.tracking_code in text and "等待受理" in text
    assert "13812345678" not in text and "王大爷" not in text
    # The same form sent twice (a double tap, a retry) makes one case.
    client.post(f"/r/{LVDU_GRID1}/", form())
    assert Case.objects.filter(description__startswith="3号楼门口垃圾").count() == 1
    # Staff handle it; the resident rates it from the tracking page.
    staff = User.objects.get(username="community_lvdu")
    worker = User.objects.get(username="gridworker_lvdu1")
    case = services.act(actor=staff, case=case, action="accept")
    case = services.act(actor=staff, case=case, action="dispatch", assignees=[worker])
    case = services.act(
        actor=worker, case=case, action="finish", note="环卫车清运", reply="垃圾已清运干净。"
    )
    case = services.act(actor=staff, case=case, action="verify")
    page = client.get(f"/t/{case.tracking_code.lower()}/").content.decode()
    assert "垃圾已清运干净。" in page and "满意" in page
    assert "环卫车清运" not in page  # the handler's note is internal
    client.post(f"/t/{case.tracking_code}/", {"rating": "satisfied", "comment": "很及时"})
    case.refresh_from_db()
    assert case.state == "closed" and case.rating == "satisfied"


def test_bad_input_unknown_grid_and_unknown_code():
    client = Client()
    before = Case.objects.filter(channel="web").count()
    response = client.post(f"/r/{LVDU_GRID1}/", form(description="", key="k-2"))
    assert response.status_code == 400
    assert Case.objects.filter(channel="web").count() == before
    assert client.get("/r/999999999999999/").status_code == 404
    assert client.get("/t/NOSUCHCODE/").status_code == 404
    assert client.get("/t/", {"code": "abcd"}).status_code == 302


def test_reports_are_rate_limited():
    client = Client()
    before = Case.objects.filter(channel="web").count()
    for n in range(5):
        assert (
            client.post(
                f"/r/{LVDU_GRID1}/", form(key=f"k-{n}", description=f"问题{n}号")
            ).status_code
            == 302
        )
    response = client.post(f"/r/{LVDU_GRID1}/", form(key="k-9", description="问题9号"))
    assert response.status_code == 429
    assert Case.objects.filter(channel="web").count() == before + 5


def test_a_category_with_questions_asks_them():
    """噪音扰民 asks when the noise happens: the page shows the question with the category's
    name, refuses a report without the answer (naming it), and files one with it."""
    client = Client()
    noise = Category.objects.get(tree__is_current=True, code="MD01")
    assert noise.form and noise.form.questions.filter(required=True).exists()
    page = client.get(f"/r/{LVDU_GRID1}/").content.decode()
    assert "发生时段" in page and "深夜凌晨" in page and noise.name in page
    before = Case.objects.filter(channel="web").count()
    data = form(category=noise.pk, description="楼上装修到半夜", key="k-noise")
    response = client.post(f"/r/{LVDU_GRID1}/", data)
    assert response.status_code == 400
    assert "“发生时段”必填" in response.content.decode()
    assert Case.objects.filter(channel="web").count() == before
    # Answers to another category's questions are not taken.
    data[f"q-{noise.form.code}-period"] = "night"
    data["q-found_item-item"] = "钥匙"
    response = client.post(f"/r/{LVDU_GRID1}/", data)
    assert response.status_code == 302
    case = Case.objects.get(tracking_code=response.url.rstrip("/").rsplit("/", 1)[-1])
    assert case.category == noise and case.attributes == {"period": "night"}
    # A category without questions still needs none.
    assert client.post(f"/r/{LVDU_GRID1}/", form(key="k-plain")).status_code == 302


def test_a_grid_poster_for_staff_of_the_grid_only():
    from wangge.demo.district import GUANLAN_GRID1

    client = Client()
    assert client.get(f"/r/{LVDU_GRID1}/poster/").status_code == 302  # to the login page
    client.force_login(User.objects.get(username="gridworker_lvdu1"))
    page = client.get(f"/r/{LVDU_GRID1}/poster/").content.decode()
    assert f"http://testserver/r/{LVDU_GRID1}/" in page and "<svg" in page
    # Residents read the worker's name, not an account name.
    worker = User.objects.get(username="gridworker_lvdu1")
    assert f"：{worker.display_name}</p>" in page and "gridworker_lvdu1" not in page
    assert client.get(f"/r/{GUANLAN_GRID1}/poster/").status_code == 404
    assert client.get("/r/999999999999999/poster/").status_code == 404
