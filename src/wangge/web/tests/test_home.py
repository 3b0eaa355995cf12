"""The home page, for each of the demo's people: in Chinese, naming where they work, and
nothing of the places they do not."""

import pytest
from django.test import Client

from wangge.demo.district import ACCOUNTS

pytestmark = pytest.mark.django_db

LVDU_CHAIN = "中原区 / 中原西路街道 / 绿都社区"

PLACES = {
    "district": ("区管理员", ["中原区"]),
    "district_review": ("区管理员", ["中原区"]),
    "street_zyxl": ("街道工作人员", ["中原区 / 中原西路街道"]),
    "community_lvdu": ("社区工作人员", [LVDU_CHAIN]),
    "gridleader_lvdu": ("网格长", [f"{LVDU_CHAIN} / 第{n}网格" for n in range(1, 7)]),
    "gridworker_lvdu1": ("网格员", [f"{LVDU_CHAIN} / 第1网格"]),
    "gridworker_lvdu2": ("网格员", [f"{LVDU_CHAIN} / 第2网格"]),
    "gridworker_guanlan1": ("网格员", ["中原区 / 航海西路街道 / 观澜社区 / 第1网格"]),
    "partymember_lvdu": ("双报到党员", [LVDU_CHAIN]),
    "gridworker_yz1": ("网格员", ["中原区 / 建设路街道 / 一中社区 / 第1网格"]),
}


def test_every_demo_account_is_covered():
    assert set(PLACES) == {username for username, *_rest in ACCOUNTS}


@pytest.mark.parametrize("persona", PLACES)
def test_home_greets_in_chinese_and_names_my_places(as_user, user_named, persona):
    response = as_user(persona).get("/")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="zh-hans">' in page
    assert f'<span translate="no">{user_named(persona).display_name}</span>，您好' in page
    assert "我的工作范围" in page and "辖区概况" in page
    role, places = PLACES[persona]
    for place in places:
        assert f'<span class="role">{role}</span> <span class="place">{place}</span>' in page


def test_grid_worker_page_names_nothing_outside_their_grid(as_user):
    page = as_user("gridworker_lvdu1").get("/").content.decode()
    assert "第1网格" in page
    for elsewhere in ("观澜社区", "航海西路街道", "万达社区", "第2网格"):
        assert elsewhere not in page


def test_community_page_lists_its_grids_coverage(as_user):
    page = as_user("community_lvdu").get("/").content.decode()
    assert "提户知人" in page
    for n in range(1, 7):
        assert f"410102010003{n:03d}" in page
    assert "观澜社区" not in page


def test_care_and_audit_only_for_roles_that_have_them(as_user):
    community = as_user("community_lvdu").get("/").content.decode()
    assert "关爱对象" in community and 'href="/audit/"' in community.split("<main", 1)[1]
    worker = as_user("gridworker_lvdu1").get("/").content.decode()
    assert "关爱对象" in worker and 'href="/audit/"' not in worker.split("<main", 1)[1]
    member = as_user("partymember_lvdu").get("/").content.decode()
    assert "关爱对象" not in member and "提户知人" not in member


def test_anonymous_is_sent_to_sign_in():
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_healthz_says_ok():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_only_answers_get():
    assert Client().post("/healthz").status_code == 405
