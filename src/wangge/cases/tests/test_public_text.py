"""What the public sees is only what was meant for them.

Every step of a case has an internal note (for staff) and, when written on purpose, a reply
for the resident (居民可见的答复). Notes naming people and flats are typed through every form
and API path that records a step — the console's case page and new-case form, the phone's
task page, the API's actions and create — and must never reach a public surface: the tracking
page, Open311 (JSON and XML, a list and one request, with and without ``extensions=true``),
and the messages queued for the case's followers (SMS, e-mail, WeCom). The replies do.
"""

import importlib
import json
import re
from urllib.parse import urlencode

import pytest
import xmltodict
from django.apps import apps
from django.test import Client
from django.utils import timezone
from shapely.geometry import shape

from wangge.cases import public_text, services
from wangge.cases.models import Case, CaseEvent, Category, Task
from wangge.demo import casebook
from wangge.demo.district import LVDU_GRID1, OPEN311_DEMO_KEY
from wangge.demo.history import story_case
from wangge.notices.models import Delivery
from wangge.notices.tests.follows import confirmed_follow
from wangge.territory.models import Node

pytestmark = pytest.mark.django_db

STAFF = "community_lvdu"
WORKER = "gridworker_lvdu1"
FAR = "gridworker_guanlan1"
RESIDENT_PHONE = "13903711234"

# Handling notes, each naming people and a flat, each typed through its own path.
NOTES = {
    "console accept": "来电人刘女士（3号楼2单元201）情绪激动，注意沟通方式",
    "console dispatch": "请与养犬人王先生（3号楼2单元301）当面谈，电话13700001111",
    "phone finish": "调解：投诉人刘女士（3号楼2单元201）、养犬人王先生（3号楼2单元301）已和解",
    "console verify": "回访刘女士（201室），王先生（301室）狗已移到室内",
    "console comment": "王先生（3号楼2单元301）上夜班，白天勿打扰",
    "api comment": "物业经理赵强（13811112222）表示会加强巡查",
    "api dispatch": "转交前先和业主委员会主任孙梅（5号楼1单元101）通气",
    "phone escalate": "涉及5号楼1单元101和102两户，网格内协调不了",
    "console decide": "两委会研究：由孙梅（5号楼1单元101）牵头协调",
    "console transfer": "热力公司联系人钱师傅，手机13622223333",
    "console receipt": "热力公司回执编号RL-2026-88，经办人钱师傅",
    "api create": "反映人吴先生（9号楼1单元102）要求匿名",
}
# What the resident is told, written on purpose.
REPLIES = {
    "console accept": "已受理，网格员会尽快上门了解情况。",
    "phone sign": "网格员已接单，今天下午上门。",
    "phone finish": "已上门和邻居沟通，狗已移到室内，如仍有扰民请再联系我们。",
    "api comment": "物业已答应加强夜间巡查。",
    "phone escalate": "问题涉及多户，已提交社区研究解决。",
    "console transfer": "已转交热力公司处理，请留意上门维修电话。",
    "new case": "已受理，已联系物业，明天上午派人维修。",
    "api create": "已受理，网格员今天会到现场查看。",
}
RATING_COMMENT = "邻居王先生（301）已道歉，谢谢"
TYPED_WITH_THE_SWITCH_OFF = "这段答复没有勾选，不应发出"


# --- Helpers ------------------------------------------------------------------------------------


def file_by_open311(**changes) -> Case:
    """A resident's report through Open311 (a public case), with a phone to hear back."""
    point = shape(Node.objects.get(code=LVDU_GRID1).geometry).representative_point()
    form = {
        "api_key": OPEN311_DEMO_KEY,
        "service_code": "MD02",
        "lat": str(point.y),
        "long": str(point.x),
        "attribute[period]": "night",
        "description": "楼上的狗每晚叫到凌晨",
        "phone": RESIDENT_PHONE,
        **changes,
    }
    response = Client().post(
        "/open311/v2/requests.json",
        urlencode({key: value for key, value in form.items() if value is not None}),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 201, response.content.decode()
    return Case.objects.get(number=response.json()[0]["service_request_id"])


def console_act(client, case, action, **data):
    response = client.post(f"/cases/{case.pk}/act/{action}/", data, follow=True)
    assert response.status_code == 200
    refused = [str(m) for m in response.context["messages"] if m.level_tag == "error"]
    assert not refused, (action, refused)
    return response


def phone_act(client, task, action, **data):
    response = client.post(f"/m/tasks/{task.pk}/{action}/", data, follow=True)
    assert response.status_code == 200
    return response


def api_post(client, url, payload):
    return client.post(url, json.dumps(payload), content_type="application/json")


def open_task(case, username):
    return Task.objects.get(
        case=case, assignee__username=username, state__in=["dispatched", "signed", "handling"]
    )


def open311_texts(case) -> list[str]:
    """Every Open311 answer about ``case``: JSON and XML, in a list and on its own, with and
    without ``extensions=true``; each as the raw text sent."""
    web, texts = Client(), []
    for fmt in ("json", "xml"):
        for url, query in (
            (f"/open311/v2/requests.{fmt}", {"service_request_id": case.number}),
            (f"/open311/v2/requests/{case.number}.{fmt}", {}),
        ):
            for extensions in (None, "true"):
                params = {**query, **({"extensions": extensions} if extensions else {})}
                response = web.get(url, params)
                assert response.status_code == 200, response.content
                text = response.content.decode()
                assert case.number in text
                texts.append(text)
    return texts


def open311_row(case, fmt: str) -> dict:
    response = Client().get(f"/open311/v2/requests/{case.number}.{fmt}", {"extensions": "true"})
    if fmt == "json":
        return response.json()[0]
    data = xmltodict.parse(response.content, force_list=("request",))
    row = data["service_requests"]["request"][0]
    notes = row["extended_attributes"]["notes"]["note"]  # <notes><note>…<note>reply</note>
    row["extended_attributes"]["notes"] = notes if isinstance(notes, list) else [notes]
    return row


def deliveries_of(case) -> list[str]:
    return [
        f"{d.channel} {d.subject} {json.dumps(d.payload, ensure_ascii=False)}"
        # The progress messages, not the confirmation codes sent before a follow starts.
        for d in Delivery.objects.filter(case=case).exclude(dedupe_key__startswith="follow-code:")
    ]


def assert_only_public_text(case, *, notes, replies):
    """No note on any public surface of ``case``; every reply on the tracking page and in
    Open311's notes."""
    tracking = Client().get(f"/t/{case.tracking_code}/")
    assert tracking.status_code == 200
    page = tracking.content.decode()
    surfaces = {"tracking page": [page], "Open311": open311_texts(case)}
    surfaces["messages"] = deliveries_of(case)
    for where, texts in surfaces.items():
        for text in texts:
            for path, note in notes.items():
                assert note not in text, f"the note typed at {path} reached the {where}"
                for piece in ("2单元201", "2单元301", "1单元101", "13700001111", "13622223333"):
                    if piece in note:
                        assert piece not in text, f"{piece} ({path}) reached the {where}"
    for reply in replies:
        assert reply in page
    for fmt in ("json", "xml"):
        row = open311_row(case, fmt)
        told = [note["note"] for note in row["extended_attributes"]["notes"]]
        for reply in replies:
            assert reply in told, (fmt, reply, told)
        assert row["status_notes"] == [t for t in told if t][-1]


# --- Through every path -------------------------------------------------------------------------


def test_notes_typed_on_the_console_the_phone_and_the_api_stay_internal(
    as_user, api_as, user_named, client
):
    case = file_by_open311()
    # A number given through Open311 hears back once it is confirmed as a follow.
    confirmed_follow(case=case, phone=RESIDENT_PHONE)
    confirmed_follow(case=case, email="neighbour@example.cn")
    worker = user_named(WORKER)
    staff = as_user(STAFF)

    console_act(
        staff,
        case,
        "accept",
        note=NOTES["console accept"],
        reply_on="on",
        reply=REPLIES["console accept"],
    )
    # A reply typed with the switch off is not sent: the box was closed.
    console_act(
        staff,
        case,
        "dispatch",
        assignees=[worker.pk],
        note=NOTES["console dispatch"],
        reply=TYPED_WITH_THE_SWITCH_OFF,
    )
    dispatch = case.events.get(action="dispatch")
    assert dispatch.note == NOTES["console dispatch"] and dispatch.reply == ""

    phone = Client()
    phone.force_login(worker)
    task = open_task(case, WORKER)
    phone_act(phone, task, "sign", reply_on="on", reply=REPLIES["phone sign"])
    phone_act(
        phone,
        task,
        "finish",
        note=NOTES["phone finish"],
        reply_on="on",
        reply=REPLIES["phone finish"],
        key="finish-1",
    )
    case.refresh_from_db()
    assert case.state == "done"
    staff = as_user(STAFF)
    console_act(staff, case, "verify", note=NOTES["console verify"])

    # The resident rates it from the tracking page; the comment is their own words.
    rated = Client().post(
        f"/t/{case.tracking_code}/", {"rating": "satisfied", "comment": RATING_COMMENT}
    )
    assert rated.status_code == 302
    case.refresh_from_db()
    assert case.state == "closed" and case.rating_comment == RATING_COMMENT
    console_act(as_user(STAFF), case, "comment", note=NOTES["console comment"])
    response = api_post(
        api_as(STAFF),
        f"/api/v1/cases/{case.pk}/actions/comment",
        {"note": NOTES["api comment"], "reply": REPLIES["api comment"]},
    )
    assert response.status_code == 200, response.content
    events = {e["action"]: e for e in response.json()["events"]}
    assert events["comment"]["reply"] == REPLIES["api comment"] and events["comment"]["public"]

    # The steps as kept: each note where it was typed, public only with a reply or plain words.
    comments = list(case.events.filter(action="comment").order_by("pk"))
    assert [c.public for c in comments] == [False, True]
    assert case.events.get(action="finish").reply == REPLIES["phone finish"]
    assert case.events.get(action="sign").reply == REPLIES["phone sign"]

    notes = {k: NOTES[k] for k in ("console accept", "console dispatch", "phone finish")}
    notes.update({k: NOTES[k] for k in ("console verify", "console comment", "api comment")})
    notes["rating"] = RATING_COMMENT
    notes["switch off"] = TYPED_WITH_THE_SWITCH_OFF
    replies = [REPLIES[k] for k in ("console accept", "phone sign", "phone finish", "api comment")]
    assert_only_public_text(case, notes=notes, replies=replies)

    # The messages carry the replies: SMS to the reporter and e-mail to the neighbour.
    sent = deliveries_of(case)
    assert {text.split()[0] for text in sent} == {"sms", "email"}
    done = [text for text in sent if "已办理，正在核查" in text]
    assert len(done) == 2 and all(f"答复：{REPLIES['phone finish'][:-1]}。" in t for t in done)
    accepted = [text for text in sent if "已受理（" in text]
    assert accepted and all(REPLIES["console accept"] in text for text in accepted)

    # Staff read both texts, each named.
    page = as_user(STAFF).get(f"/cases/{case.pk}/").content.decode()
    for text in (NOTES["phone finish"], REPLIES["phone finish"], "内部记录", "居民可见的答复"):
        assert text in page
    assert RATING_COMMENT in page  # the rating comment, for staff


def test_notes_on_an_escalated_case_handed_to_an_agency_stay_internal(as_user, api_as, user_named):
    case = file_by_open311(service_code="MS01", **{"attribute[period]": None})
    confirmed_follow(case=case, phone=RESIDENT_PHONE)
    worker = user_named(WORKER)
    console_act(as_user(STAFF), case, "accept")
    response = api_post(
        api_as(STAFF),
        f"/api/v1/cases/{case.pk}/actions/dispatch",
        {"assignees": [worker.pk], "note": NOTES["api dispatch"]},
    )
    assert response.status_code == 200, response.content
    phone = Client()
    phone.force_login(worker)
    phone_act(
        phone,
        open_task(case, WORKER),
        "escalate",
        note=NOTES["phone escalate"],
        reply_on="on",
        reply=REPLIES["phone escalate"],
    )
    case.refresh_from_db()
    assert case.state == "escalated"
    staff = as_user(STAFF)
    console_act(staff, case, "decide", note=NOTES["console decide"])
    agency = apps.get_model("cases", "Agency").objects.filter(is_active=True).first()
    console_act(
        staff,
        case,
        "transfer",
        agency=agency.pk,
        note=NOTES["console transfer"],
        reply_on="on",
        reply=REPLIES["console transfer"],
    )
    console_act(staff, case, "receipt", note=NOTES["console receipt"])
    case.refresh_from_db()
    assert case.state == "done"
    notes = {
        k: NOTES[k]
        for k in (
            "api dispatch",
            "phone escalate",
            "console decide",
            "console transfer",
            "console receipt",
        )
    }
    assert_only_public_text(
        case, notes=notes, replies=[REPLIES["phone escalate"], REPLIES["console transfer"]]
    )
    transferred = [text for text in deliveries_of(case) if "已转交负责的单位" in text]
    assert transferred and REPLIES["console transfer"][:-1] in transferred[0]


def test_a_first_reply_from_the_new_case_forms(as_user, api_as, node):
    grid = node(LVDU_GRID1)
    response = as_user(STAFF).post(
        "/cases/new/",
        {
            "channel": "phone",
            "category": Category.objects.get(tree__is_current=True, code="MS05").pk,
            "description": "电梯停运两天，8楼的老人下不了楼。",
            "grid": grid.pk,
            "crs": "wgs84",
            "reporter_name": "周阿姨",
            "reporter_phone": "13903719999",
            "reply_on": "on",
            "reply": REPLIES["new case"],
            "key": "new-case-reply",
        },
    )
    assert response.status_code == 302, response.content.decode()
    by_form = Case.objects.get(reporter_phone_hash=services.phone_hash("13903719999"))
    accepted = by_form.events.get(action="accepted")
    assert accepted.public and accepted.reply == REPLIES["new case"]
    assert by_form.events.get(action="reported").reply == ""
    response = api_post(
        api_as(STAFF),
        "/api/v1/cases",
        {
            "category": "MD05",
            "description": "楼道里堆满杂物",
            "grid": grid.pk,
            "reporter_name": "吴先生",
            "reporter_phone": "13903718888",
            "public": True,
            "reply": REPLIES["api create"],
        },
    )
    assert response.status_code == 201, response.content
    by_api = Case.objects.get(pk=response.json()["id"])
    api_as(STAFF).post(
        f"/api/v1/cases/{by_api.pk}/actions/comment",
        json.dumps({"note": NOTES["api create"]}),
        content_type="application/json",
    )
    for case, reply in ((by_form, REPLIES["new case"]), (by_api, REPLIES["api create"])):
        page = Client().get(f"/t/{case.tracking_code}/").content.decode()
        assert reply in page
        sms = deliveries_of(case)
        assert any(reply in text for text in sms), sms
    # The API's case is public: Open311 shows the reply, never the note.
    assert_only_public_text(
        by_api, notes={"api create": NOTES["api create"]}, replies=[REPLIES["api create"]]
    )


def test_the_lists_bulk_accept_sends_one_reply_to_each_resident_and_keeps_the_note(as_user):
    cases = [file_by_open311(description=f"楼上的狗每晚叫到凌晨，第{n}次反映") for n in (1, 2)]
    note = "批量受理：涉及3号楼2单元301王先生家的狗"
    reply = "已受理，网格员会尽快上门了解情况。"
    response = as_user(STAFF).post(
        "/cases/bulk/",
        {
            "action": "accept",
            "ids": [case.pk for case in cases],
            "note": note,
            "reply_on": "on",
            "reply": reply,
        },
    )
    assert response.status_code == 302
    for case in cases:
        accept = case.events.get(action="accept")
        assert (accept.note, accept.reply, accept.public) == (note, reply, True)
        assert_only_public_text(case, notes={"bulk": note}, replies=[reply])


# --- Bad input and scope ------------------------------------------------------------------------


LONG = "答" * (public_text.MAX_REPLY + 1)


def test_an_over_long_reply_is_refused_naming_the_field_and_nothing_is_written(
    as_user, api_as, user_named, node
):
    case = file_by_open311()
    before = CaseEvent.objects.count(), case.state
    response = api_post(
        api_as(STAFF), f"/api/v1/cases/{case.pk}/actions/accept", {"note": "x", "reply": LONG}
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == ["reply"] and "500" in errors[0]["message"]
    case.refresh_from_db()
    assert (CaseEvent.objects.count(), case.state) == before

    beside = re.compile(r'class="errorlist" role="alert"><li>[^<]*500[^<]*</li>')
    # The page comes back with the move open, the reply kept and its problem beside it.
    page = as_user(STAFF).post(f"/cases/{case.pk}/act/accept/", {"reply_on": "on", "reply": LONG})
    assert page.status_code == 400
    said = page.content.decode()
    assert beside.search(said) and LONG in said
    case.refresh_from_db()
    assert (CaseEvent.objects.count(), case.state) == before

    console_act(as_user(STAFF), case, "accept")
    console_act(as_user(STAFF), case, "dispatch", assignees=[user_named(WORKER).pk])
    phone = Client()
    phone.force_login(user_named(WORKER))
    task = open_task(case, WORKER)
    before = CaseEvent.objects.count()
    page = phone.post(f"/m/tasks/{task.pk}/sign/", {"reply_on": "on", "reply": LONG})
    assert page.status_code == 400
    said = page.content.decode()
    assert beside.search(said) and LONG in said
    task.refresh_from_db()
    assert task.state == "dispatched" and CaseEvent.objects.count() == before

    cases_before = Case.objects.count()
    response = as_user(STAFF).post(
        "/cases/new/",
        {
            "channel": "phone",
            "category": Category.objects.get(tree__is_current=True, code="MS05").pk,
            "description": "电梯停运",
            "grid": node(LVDU_GRID1).pk,
            "crs": "wgs84",
            "reply_on": "on",
            "reply": LONG,
            "key": "long-reply",
        },
    )
    assert response.status_code == 400
    assert "500" in " ".join(response.context["form"].errors["reply"])
    assert "居民可见的答复" in response.content.decode()
    response = api_post(
        api_as(STAFF),
        "/api/v1/cases",
        {"category": "MS05", "description": "电梯停运", "grid": node(LVDU_GRID1).pk, "reply": LONG},
    )
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["reply"]
    assert Case.objects.count() == cases_before


def test_a_reply_outside_ones_places_is_a_404_and_writes_nothing(as_user, api_as, user_named):
    case = file_by_open311()
    before = CaseEvent.objects.count()
    response = api_post(
        api_as(FAR), f"/api/v1/cases/{case.pk}/actions/comment", {"note": "x", "reply": "好"}
    )
    assert response.status_code == 404
    assert as_user(FAR).post(f"/cases/{case.pk}/act/comment/", {"reply": "好"}).status_code == 404
    console_act(as_user(STAFF), case, "accept")
    console_act(as_user(STAFF), case, "dispatch", assignees=[user_named(WORKER).pk])
    task = open_task(case, WORKER)
    far = Client()
    far.force_login(user_named(FAR))
    assert (
        far.post(f"/m/tasks/{task.pk}/sign/", {"reply_on": "on", "reply": "好"}).status_code == 404
    )
    assert not CaseEvent.objects.filter(pk__gt=before, reply="好").exists()


# --- Staff pages, the demo, the records before replies ------------------------------------------


def test_the_phone_task_page_offers_the_switch_and_shows_both_texts(as_user, user_named):
    case = file_by_open311()
    console_act(
        as_user(STAFF),
        case,
        "accept",
        note=NOTES["console accept"],
        reply_on="on",
        reply=REPLIES["console accept"],
    )
    console_act(as_user(STAFF), case, "dispatch", assignees=[user_named(WORKER).pk])
    page = as_user(WORKER).get(f"/m/tasks/{open_task(case, WORKER).pk}/").content.decode()
    assert page.count('name="reply_on"') >= 3  # sign, finish, send back, escalate …
    assert "答复居民" in page and "内部记录" in page and "居民可见的答复" in page
    assert NOTES["console accept"] in page and REPLIES["console accept"] in page


def test_the_demo_tells_residents_in_replies_and_keeps_the_story_notes_internal():
    notes = {note for _titles, finished in casebook.TEXTS.values() for note in finished}
    assert set(casebook.FINISH_REPLIES) <= notes  # every reply answers a handler's note
    replies = CaseEvent.objects.exclude(reply="")
    assert replies.filter(action="finish").exists() and replies.filter(action="accepted").exists()
    assert not replies.filter(public=False).exists()
    # S8: the mediation note names both parties and their flats; the resident reads a reply.
    case = story_case("S8")
    page = Client().get(f"/t/{case.tracking_code}/").content.decode()
    finish = case.events.get(action="finish")
    assert finish.reply in page and finish.note not in page
    for piece in ("2单元201", "2单元301", "张先生", "调解台账"):
        assert piece not in page
    # Were it in the public feed, Open311 would show no note either.
    Case.objects.filter(pk=case.pk).update(public=True)
    assert all("2单元301" not in text for text in open311_texts(case))


def test_the_migration_keeps_existing_notes_internal():
    migration = importlib.import_module(
        "wangge.cases.migrations.0007_case_event_reply_notes_internal"
    )
    case = Case.objects.filter(state="closed").first()
    now = timezone.now()
    made = [
        CaseEvent.objects.create(
            case=case, action=action, at=now, note=f"刘女士（3号楼2单元201）{action}", public=True
        )
        for action in (
            "comment",
            "send_back",
            "void",
            "finish",
            "claim_verified",
            "overdue_escalated",
        )
    ]
    migration.keep_notes_internal(apps, None)
    kept = {e.action: e for e in CaseEvent.objects.filter(pk__in=[e.pk for e in made])}
    assert {a for a, e in kept.items() if e.public} == {"finish", "claim_verified"}
    assert all(e.reply == "" and e.note.startswith("刘女士") for e in kept.values())
    page = Client().get(f"/t/{case.tracking_code}/").content.decode()
    assert "3号楼2单元201" not in page
