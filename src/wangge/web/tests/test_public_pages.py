"""A resident's pages: report from a grid's QR code, follow by tracking code, rate."""

import pytest
from django.test import Client

from wangge.accounts.models import User
from wangge.cases import services
from wangge.cases.models import Case, Category
from wangge.demo.district import LVDU_GRID1
from wangge.web import residents

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


# --- Forms that forgive, limits that count what was sent -----------------------------------


def test_two_typing_mistakes_keep_what_was_typed_and_do_not_block_the_report():
    """Seven attempts in ten minutes, five of them refused (a phone number mistyped): the
    refused ones come back with everything typed and chosen, and the good ones go in."""
    client = Client()
    noise = Category.objects.get(tree__is_current=True, code="MD01")
    before = Case.objects.filter(channel="web").count()
    typed = form(
        category=noise.pk,
        description="楼上每晚跳绳到十二点",
        address="5号楼3单元",
        name="李阿姨",
        phone="1381234",  # a digit short
        key="k-typo",
        **{f"q-{noise.form.code}-period": "night"},
    )
    for _ in range(5):
        response = client.post(f"/r/{LVDU_GRID1}/", typed)
        assert response.status_code == 400
        page = response.content.decode()
        assert "电话号码格式不正确" in page
        assert "楼上每晚跳绳到十二点</textarea>" in page
        assert 'value="5号楼3单元"' in page and 'value="李阿姨"' in page
        assert 'value="1381234"' in page
        assert f'<option value="{noise.pk}" selected>' in page
        assert '<option value="night" selected>' in page
        assert "您填写的内容都已保留" in page
    response = client.post(f"/r/{LVDU_GRID1}/", {**typed, "phone": "13812345678"})
    assert response.status_code == 302
    response = client.post(f"/r/{LVDU_GRID1}/", form(key="k-second", description="路灯不亮"))
    assert response.status_code == 302
    assert Case.objects.filter(channel="web").count() == before + 2


def test_only_accepted_reports_count_and_each_device_has_its_own():
    """Neighbours behind one network (one address) each have their own count; a double tap
    is not counted twice."""
    first, second = Client(), Client()
    first.get(f"/r/{LVDU_GRID1}/")  # the page gives the browser its device cookie
    assert residents.DEVICE_COOKIE in first.cookies
    for n in range(residents.REPORTS_PER_DEVICE):
        data = form(key=f"dev-{n}", description=f"一号楼问题{n}")
        assert first.post(f"/r/{LVDU_GRID1}/", data).status_code == 302
        assert first.post(f"/r/{LVDU_GRID1}/", data).status_code == 302  # a double tap
    response = first.post(f"/r/{LVDU_GRID1}/", form(key="dev-x", description="还有一个问题"))
    assert response.status_code == 429
    page = response.content.decode()
    assert "请过几分钟再提交" in page and "还有一个问题</textarea>" in page
    # The neighbour, from the same address, is not blocked.
    assert (
        second.post(f"/r/{LVDU_GRID1}/", form(key="dev-n", description="邻居")).status_code == 302
    )


def test_a_flood_from_one_device_still_meets_a_429(monkeypatch):
    """Refused attempts count against a ceiling of their own: a script that keeps posting
    bad forms is stopped with a Chinese page."""
    monkeypatch.setattr(residents, "ATTEMPTS_PER_DEVICE", 6)
    client = Client()
    before = Case.objects.count()
    statuses = [
        client.post(f"/r/{LVDU_GRID1}/", form(key=f"f-{n}", description="")).status_code
        for n in range(6)
    ]
    assert statuses == [400] * 6
    response = client.post(f"/r/{LVDU_GRID1}/", form(key="f-good"))
    assert response.status_code == 429
    assert "提交过于频繁，请稍后再试。" in response.content.decode()
    assert Case.objects.count() == before


def test_an_address_has_higher_limits_of_its_own(monkeypatch):
    """A script that drops its cookie gets a new device each time: the address's limits
    (higher, for an office behind one network) still hold, for attempts and for reports."""
    monkeypatch.setattr(residents, "REPORTS_PER_ADDRESS", 2)
    for n in range(2):
        assert Client().post(f"/r/{LVDU_GRID1}/", form(key=f"a-{n}")).status_code == 302
    assert Client().post(f"/r/{LVDU_GRID1}/", form(key="a-3")).status_code == 429
    monkeypatch.setattr(residents, "REPORTS_PER_ADDRESS", 100)
    monkeypatch.setattr(residents, "ATTEMPTS_PER_ADDRESS", 4)
    # Two attempts above were counted already, and the refused one.
    assert Client().post(f"/r/{LVDU_GRID1}/", form(key="a-4", phone="x")).status_code == 400
    assert Client().post(f"/r/{LVDU_GRID1}/", form(key="a-5")).status_code == 429


def test_a_forged_device_cookie_is_a_new_device():
    client = Client()
    client.cookies[residents.DEVICE_COOKIE] = "0" * 32  # unsigned: not ours
    response = client.get(f"/r/{LVDU_GRID1}/")
    cookie = response.cookies[residents.DEVICE_COOKIE]
    assert cookie.value != "0" * 32 and cookie["httponly"] and cookie["max-age"]
    again = client.get(f"/r/{LVDU_GRID1}/")
    assert residents.DEVICE_COOKIE not in again.cookies  # kept, not given anew
