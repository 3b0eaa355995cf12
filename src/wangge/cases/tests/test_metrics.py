"""The rates against a hand-computed example, with a reopened and a merged case."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import shapely

from wangge.accounts import services as accounts
from wangge.cases import metrics, services
from wangge.cases.models import Case, CaseRollup, Category, GridRollup
from wangge.territory import services as territory

pytestmark = pytest.mark.django_db
CN = ZoneInfo("Asia/Shanghai")


def at(text):
    return datetime.datetime.fromisoformat(text).replace(tzinfo=CN)


def box(w, s, e, n):
    return shapely.geometry.mapping(shapely.box(w, s, e, n))


@pytest.fixture
def place():
    """A small district of its own, away from the demo's, so nothing else counts."""
    district = territory.create_node(
        actor=None,
        kind="district",
        code="410199",
        name="示例区",
        geometry_json=box(113.80, 34.70, 113.82, 34.72),
    )
    street = territory.create_node(
        actor=None, kind="street", code="410199001", name="示例街道", parent=district
    )
    community = territory.create_node(
        actor=None, kind="community", code="410199001001", name="示例社区", parent=street
    )
    grid = territory.create_node(
        actor=None,
        kind="grid",
        code="410199001001001",
        name="第1网格",
        parent=community,
        geometry_json=box(113.80, 34.70, 113.82, 34.72),
    )
    staff = accounts.create_user(actor=None, username="sample_staff", display_name="社区干部")
    worker = accounts.create_user(actor=None, username="sample_worker", display_name="网格员")
    accounts.add_membership(actor=None, user=staff, node=community, role="community_staff")
    accounts.add_membership(actor=None, user=worker, node=grid, role="grid_worker")
    return {"community": community, "grid": grid, "staff": staff, "worker": worker}


def test_rates_match_the_hand_computed_example(place, api_as):
    staff, worker = place["staff"], place["worker"]
    category = Category.objects.get(
        tree__is_current=True, code="MD05"
    )  # 5 working days to handle; accept in 2 h

    def received(when, text):
        return services.report(
            actor=None,
            channel="web",
            category=category,
            description=text,
            lng=113.81,
            lat=34.71,
            received_at=at(when),
        )

    def move(case, action, when, who=staff, **kwargs):
        return services.act(actor=who, case=case, action=action, at=at(when), **kwargs)

    # A: on time all the way, rated 满意.
    a = received("2026-03-02 09:00", "楼道杂物堆放")
    a = move(a, "accept", "2026-03-02 09:30")
    a = move(a, "dispatch", "2026-03-02 09:40", assignees=[worker])
    a = move(a, "finish", "2026-03-03 10:00", who=worker, note="已清理")
    # C: a duplicate of A, merged while A was open: it counts nowhere.
    c = received("2026-03-02 10:00", "楼道杂物")
    move(c, "merge", "2026-03-02 10:30", target=a)
    a = move(a, "verify", "2026-03-03 15:00")
    a = move(a, "rate", "2026-03-04 10:00", rating="satisfied", who=None)
    # B: accepted late, finished late, rated 不满意 (reopened), then 基本满意.
    b = received("2026-03-02 09:00", "邻居装修噪音")
    b = move(b, "accept", "2026-03-03 15:00")  # the limit was 11:00 on the 2nd
    b = move(b, "dispatch", "2026-03-03 15:10", assignees=[worker])
    b = move(b, "finish", "2026-03-12 10:00", who=worker, note="已协调")  # due 10 March
    b = move(b, "verify", "2026-03-12 11:00")
    b = move(b, "rate", "2026-03-12 16:00", rating="dissatisfied", note="还在吵", who=None)
    b = move(b, "finish", "2026-03-13 10:00", who=worker, note="再次协调，约定施工时间")
    b = move(b, "verify", "2026-03-13 11:00")
    b = move(b, "rate", "2026-03-13 16:00", rating="fairly", who=None)
    # D: sent back for rework once, closed after a callback nobody answered (no rating).
    d = received("2026-03-05 09:00", "单元门禁坏了")
    d = move(d, "accept", "2026-03-05 09:10")
    d = move(d, "dispatch", "2026-03-05 09:20", assignees=[worker])
    d = move(d, "finish", "2026-03-05 16:00", who=worker, note="已修")
    d = move(d, "rework", "2026-03-06 09:00", note="仍打不开")
    d = move(d, "finish", "2026-03-06 16:00", who=worker, note="更换门禁电源")
    d = move(d, "verify", "2026-03-09 09:00")
    d = move(d, "close", "2026-03-10 10:00", note="回访电话无人接听")
    # E: still being handled.
    e = received("2026-03-20 09:00", "路灯不亮")
    move(move(e, "accept", "2026-03-20 09:05"), "dispatch", "2026-03-20 09:06", assignees=[worker])
    # F: void.
    move(received("2026-03-21 09:00", "测试"), "void", "2026-03-21 09:30", note="误报")

    # By hand: received A B D E = 4; responded in time A D E = 3 (B late).
    # Finished A B D = 3, on time A D = 2 (B after its promise).
    # Closed A B D = 3, solved 3 (B's last rating is 基本满意, D has none).
    # Rated A B = 2, satisfied 2. Reworked B (reopened) and D (rework) = 2 of 3 finished.
    a_hours = (at("2026-03-03 10:00") - at("2026-03-02 09:30")).total_seconds() / 3600
    b_hours = (at("2026-03-13 10:00") - at("2026-03-03 15:00")).total_seconds() / 3600
    d_hours = (at("2026-03-06 16:00") - at("2026-03-05 09:10")).total_seconds() / 3600
    expected = {
        "received": 4,
        "responded": 4,
        "responded_in_time": 3,
        "done": 3,
        "done_in_time": 2,
        "closed": 3,
        "solved": 3,
        "rated": 2,
        "satisfied": 2,
        "reworked": 2,
        "response_rate": 0.75,
        "on_time_rate": round(2 / 3, 4),
        "solve_rate": 1.0,
        "satisfaction_rate": 1.0,
        "rework_rate": round(2 / 3, 4),
        "average_handling_hours": round((a_hours + b_hours + d_hours) / 3, 2),
    }
    client = api_as("sample_staff")
    row = client.get("/api/v1/metrics", {"since": "2026-03", "until": "2026-03"}).json()[0]
    assert {key: row[key] for key in expected} == expected
    # The roll-ups the services kept equal a rebuild from the cases.
    kept = metrics.totals(CaseRollup.objects.filter(grid_id=place["grid"].pk))
    assert metrics.totals(GridRollup.objects.filter(grid_id=place["grid"].pk)) == kept
    metrics.rebuild()
    assert metrics.totals(CaseRollup.objects.filter(grid_id=place["grid"].pk)) == kept
    assert metrics.totals(GridRollup.objects.filter(grid_id=place["grid"].pk)) == kept
    # Grouped by month, by handler, by category.
    assert client.get("/api/v1/metrics", {"group_by": "month"}).json()[0]["key"] == "2026-03"
    by_handler = client.get("/api/v1/metrics", {"group_by": "handler"}).json()
    assert [r["label"] for r in by_handler] == ["网格员"]
    assert Case.objects.filter(grid=place["grid"]).count() == 6


def test_metrics_outside_scope_are_404_and_bad_input_400(place, api_as):
    client = api_as("gridworker_lvdu1")
    assert client.get("/api/v1/metrics", {"node": place["community"].pk}).status_code == 404
    assert client.get("/api/v1/metrics", {"since": "March"}).status_code == 400
    assert client.get("/api/v1/metrics", {"group_by": "weather"}).status_code == 400
    assert api_as("partymember_lvdu").get("/api/v1/metrics").status_code == 404
    # A grid worker's metrics cover their grid only.
    row = client.get("/api/v1/metrics").json()[0]
    assert row["key"] == "all"


def test_every_grouping_adds_up_to_the_same_year(api_as):
    """The per-grid roll-up (totals, months, places) and the detailed one (categories,
    handlers) tell the same story of the demo district's year."""
    from django.utils import timezone

    client = api_as("street_zyxl")
    today = timezone.localdate()
    year = {"since": f"{today.year - 1}-{today.month:02d}", "until": f"{today:%Y-%m}"}
    total = client.get("/api/v1/metrics", year).json()[0]
    assert total["received"] > 100
    for group_by in ("month", "node", "category", "handler"):
        rows = client.get("/api/v1/metrics", {**year, "group_by": group_by}).json()
        for name in ("received", "responded", "done", "closed", "rated", "satisfied"):
            assert sum(row[name] for row in rows) == total[name], (group_by, name)


def test_praise_counts_in_no_rate(place, api_as):
    """Praise is recorded, thanked and closed: it is in no count of the rates (received,
    responded, closed, rated …), kept or rebuilt, and never in a channel's receipts."""
    from wangge.cases.models import ChannelRollup

    staff, worker = place["staff"], place["worker"]
    problem = Category.objects.get(tree__is_current=True, code="MD05")
    praise = Category.objects.get(tree__is_current=True, code="BY01")

    def received(category, when, text, channel="web"):
        return services.report(
            actor=None,
            channel=channel,
            category=category,
            description=text,
            lng=113.81,
            lat=34.71,
            received_at=at(when),
        )

    case = received(problem, "2026-04-01 09:00", "楼道杂物堆放")
    case = services.act(actor=staff, case=case, action="accept", at=at("2026-04-01 09:10"))
    for day in ("02", "03", "06"):
        thanked = received(praise, f"2026-04-{day} 10:00", "感谢网格员帮忙", channel="phone")
        assert thanked.state == "closed"
    client = api_as("sample_staff")
    row = client.get("/api/v1/metrics", {"since": "2026-04", "until": "2026-04"}).json()[0]
    assert (row["received"], row["responded"], row["closed"], row["rated"]) == (1, 1, 0, 0)
    assert row["response_rate"] == 1.0 and row["solve_rate"] is None
    grid = place["grid"].pk
    channels = dict(ChannelRollup.objects.filter(grid_id=grid).values_list("channel", "received"))
    assert channels == {"web": 1}
    kept = metrics.totals(GridRollup.objects.filter(grid_id=grid))
    metrics.rebuild()
    assert metrics.totals(GridRollup.objects.filter(grid_id=grid)) == kept
    by_category = client.get("/api/v1/metrics", {"group_by": "category"}).json()
    assert [r["label"] for r in by_category] == ["邻里纠纷"]
    # The grid's worker hears of each praise instead.
    from wangge.core.models import Notification

    assert Notification.objects.filter(user=worker, text__startswith="居民表扬").count() == 3
