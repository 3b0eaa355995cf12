"""Friendly public errors: a wrong tracking code, grid code, notice or lost-and-found link gives
a Chinese page (404) saying what to do — with ``DEBUG`` on, as ``make run`` serves, as well as
off. Never Django's technical 404 with the site's URL patterns. (In Chromium against the demo
server: ``tests/browser/test_public_errors.py``.)"""

import pytest

from wangge.demo.district import LVDU_GRID1

pytestmark = pytest.mark.django_db

# Path → words the page must say (what went wrong, what to do).
PUBLIC = {
    "/t/NOSUCH99/": ["没有找到", "查询码", "短信", "网格员"],
    "/t/nosuch99/": ["没有找到", "查询码"],
    "/r/999999999999999/": ["网格", "重新扫描", "二维码", "网格员"],
    "/n/99999999/": ["通知", "二维码", "网格员"],
    "/n/99999999/files/1/": ["通知", "二维码"],
    "/found/NOSUCHCODE/": ["招领", "二维码"],
}
TECHNICAL = ["Page not found", "URLconf", "Using the URLconf", "Raised by", "Django"]


def assert_friendly(response, words):
    assert response.status_code == 404, response.status_code
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    for word in TECHNICAL:
        assert word not in html, word
    for word in words:
        assert word in html, (word, html)
    return html


@pytest.mark.parametrize("debug", [True, False], ids=["debug", "production"])
@pytest.mark.parametrize("path", list(PUBLIC))
def test_a_wrong_public_link_says_what_to_do(client, settings, debug, path):
    settings.DEBUG = debug
    assert_friendly(client.get(path), PUBLIC[path])


@pytest.mark.parametrize("debug", [True, False], ids=["debug", "production"])
def test_a_wrong_tracking_code_offers_to_type_it_again(client, settings, debug):
    settings.DEBUG = debug
    html = assert_friendly(client.get("/t/WRONG123/"), ["查询码"])
    assert 'action="/t/"' in html and 'name="code"' in html
    # And the form leads on: a right code from there opens the report.
    from wangge.cases.models import Case

    case = Case.objects.order_by("pk").first()
    response = client.get("/t/", {"code": case.tracking_code.lower()})
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize("debug", [True, False], ids=["debug", "production"])
def test_following_a_wrong_grid_or_code_says_what_to_do(client, settings, debug):
    settings.DEBUG = debug
    response = client.post("/r/999999999999999/follow/", {"phone": "13800000000"})
    assert_friendly(response, ["二维码"])
    response = client.post("/t/NOSUCH99/follow/", {"phone": "13800000000"})
    assert_friendly(response, ["查询码"])


def test_a_withdrawn_notice_says_it_is_not_shown_any_more(client, settings, as_user):
    from wangge.notices.choices import NoticeState
    from wangge.notices.models import Notice

    settings.DEBUG = True
    withdrawn = Notice.objects.exclude(state=NoticeState.PUBLISHED).order_by("pk").first()
    assert withdrawn is not None
    assert_friendly(client.get(f"/n/{withdrawn.pk}/"), ["不再显示", "二维码"])


@pytest.mark.parametrize("debug", [True, False], ids=["debug", "production"])
def test_a_page_that_does_not_exist_is_the_plain_page(client, settings, debug):
    settings.DEBUG = debug
    html = assert_friendly(client.get("/no-such-page/"), ["不存在"])
    assert 'href="/"' in html


@pytest.mark.parametrize("debug", [True, False], ids=["debug", "production"])
def test_the_api_answers_problem_json_for_a_path_it_does_not_have(api_as, settings, debug):
    settings.DEBUG = debug
    response = api_as("community_lvdu").get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_pages_that_exist_are_untouched(client, settings):
    settings.DEBUG = True
    assert client.get(f"/r/{LVDU_GRID1}/").status_code == 200
    assert client.get("/t/").status_code == 200


def test_a_staff_page_outside_scope_is_the_same_404_under_debug(as_user, settings):
    """Outside one's places is a 404, never a 403 — and under DEBUG not the technical page
    either (which would list every route to someone who is not meant to see it)."""
    from wangge.cases.models import Case
    from wangge.demo.district import GUANLAN

    settings.DEBUG = True
    far = Case.objects.filter(grid__path__startswith=_path(GUANLAN)).order_by("pk").first()
    response = as_user("gridworker_lvdu1").get(f"/cases/{far.pk}/")
    assert_friendly(response, ["不存在"])


def _path(code):
    from wangge.territory.models import Node

    return Node.objects.get(code=code).path
