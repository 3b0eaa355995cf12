"""Following by SMS starts with a code: six digits sent to the number, kept only as a keyed hash
(the message's words encrypted in the outbox and wiped once the code has expired), good for a
few minutes and a few tries; nothing but the code ever goes to a number before it is typed on
the page; limits per number, per device (a cookie) and per network address, said in Chinese;
follows made before codes existed stay active. Sent through the fake SMS gateway on
loopback (no network)."""

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from wangge.cases import services as cases
from wangge.cases.models import Category
from wangge.core import crypto
from wangge.core.errors import ValidationError
from wangge.core.models import AuditEvent
from wangge.demo.district import LVDU_GRID1
from wangge.notices import jobs, outbox, services
from wangge.notices.choices import Channel, DeliveryState
from wangge.notices.models import Delivery, Follow, FollowCode, NoticeKind
from wangge.notices.tests.follows import code_message, code_sent_to, confirmed_follow

pytestmark = pytest.mark.django_db

PHONE = "13903712468"


def drain():
    while outbox.drain(owner="test", limit=50):
        pass


def a_case(user_named, node, **options):
    return cases.report(
        actor=user_named("community_lvdu"),
        channel="phone",
        category=Category.objects.get(tree__is_current=True, code="MD05"),
        description="楼道灯坏了，晚上看不见。",
        grid=node(LVDU_GRID1),
        **options,
    )


def a_notice(user_named, node):
    lvdu = user_named("community_lvdu")
    notice = services.create_notice(
        actor=lvdu,
        kind=NoticeKind.objects.get(code="convenience"),
        title="明日停水",
        body="明天上午9点到12点停水，请提前储水。",
        nodes=[node(LVDU_GRID1)],
        to_wecom=False,
    )
    return services.publish_notice(actor=lvdu, notice=notice)


def to_phone(gateway, phone=PHONE) -> list[str]:
    return [request.body["text"] for request in gateway.for_key(phone)]


def test_the_code_goes_first_and_nothing_else_until_it_is_typed(gateway, user_named, node):
    case = a_case(user_named, node)
    waiting = services.follow(actor=None, case=case, phone=PHONE, device="d" * 24, client="1.2.3.4")
    assert not waiting.is_active and waiting.confirmed_at is None
    # The case moves on and the grid gets a notice: nothing for the waiting number.
    cases.act(actor=user_named("gridworker_lvdu1"), case=case, action="sign")
    cases.act(actor=user_named("gridworker_lvdu1"), case=case, action="finish", note="已更换灯泡")
    a_notice(user_named, node)
    queued = Delivery.objects.filter(follow=waiting)
    assert list(queued.values_list("dedupe_key", flat=True)) == [code_message(waiting).dedupe_key]
    drain()
    (text,) = to_phone(gateway)
    code = re.search(r"\d{6}", text).group()
    assert text.startswith("【网格】您的验证码是") and "10分钟内有效" in text
    # Typed: the follow is active, and the next change reaches the number.
    services.confirm_follow(actor=None, follow=waiting, code=code)
    waiting.refresh_from_db()
    assert waiting.is_active and waiting.confirmed_at is not None
    case = cases.act(actor=user_named("community_lvdu"), case=case, action="verify")
    cases.act(actor=user_named("community_lvdu"), case=case, action="close")
    drain()
    assert len(to_phone(gateway)) == 2 and case.number in to_phone(gateway)[1]
    assert AuditEvent.objects.filter(action="notices.follow.confirmed", target_id=str(waiting.pk))


def test_the_code_is_hashed_at_rest_and_its_words_are_forgotten(gateway, node):
    waiting = services.follow(actor=None, grid=node(LVDU_GRID1), phone=PHONE)
    code = code_sent_to(waiting)
    stored = FollowCode.objects.get(follow=waiting)
    assert code not in stored.code_hash and len(stored.code_hash) == 40
    message = code_message(waiting)
    assert code not in str(message.payload) and "sealed" in message.payload
    with connection.cursor() as cursor:
        cursor.execute("SELECT payload, subject FROM notices_delivery WHERE id = %s", [message.pk])
        assert code not in str(cursor.fetchone())
    assert code not in str(list(AuditEvent.objects.values_list("after", "reason")))
    drain()
    message.refresh_from_db()
    assert message.state == DeliveryState.SENT
    later = timezone.now() + datetime.timedelta(minutes=16)
    jobs.forget_codes(now=later)
    message.refresh_from_db()
    assert message.payload == {"purpose": "follow-code"} and outbox.text_of(message) == ""


def test_a_code_unsent_until_it_expired_is_never_sent(node):
    waiting = services.follow(actor=None, grid=node(LVDU_GRID1), phone=PHONE)
    message = code_message(waiting)
    jobs.forget_codes(now=timezone.now() + datetime.timedelta(minutes=16))
    message.refresh_from_db()
    assert message.state == DeliveryState.DEAD and message.answer_code == "expired"
    # Two days on, the follow never confirmed and its codes are gone too.
    jobs.forget_codes(now=timezone.now() + datetime.timedelta(days=3))
    assert not Follow.objects.filter(pk=waiting.pk).exists()
    assert not FollowCode.objects.filter(follow_id=waiting.pk).exists()


def test_wrong_expired_and_overtried_codes_do_not_confirm(node):
    grid = node(LVDU_GRID1)
    waiting = services.follow(actor=None, grid=grid, phone=PHONE)
    code = code_sent_to(waiting)
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(ValidationError) as refused:
        services.confirm_follow(actor=None, follow=waiting, code="12")
    assert refused.value.message_dict == {"code": ["验证码是短信中的6位数字"]}
    for left in (4, 3, 2, 1):
        with pytest.raises(ValidationError) as refused:
            services.confirm_follow(actor=None, follow=waiting, code=wrong)
        assert refused.value.message_dict["code"] == [f"验证码不对（还可以试{left}次）"]
    with pytest.raises(ValidationError):
        services.confirm_follow(actor=None, follow=waiting, code=wrong)
    # Five wrong tries: even the right code no longer works.
    with pytest.raises(ValidationError) as refused:
        services.confirm_follow(actor=None, follow=waiting, code=code)
    assert "输错次数过多" in refused.value.message_dict["code"][0]
    # A new code works; the old one stopped working when it came.
    again = services.follow(actor=None, grid=grid, phone=PHONE)
    assert again == waiting
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=11), tick=False):
        with pytest.raises(ValidationError) as refused:
            services.confirm_follow(actor=None, follow=waiting, code=code_sent_to(waiting))
        assert refused.value.message_dict == {"code": ["验证码已过期，请重新获取"]}
    services.confirm_follow(actor=None, follow=waiting, code=code_sent_to(waiting))
    assert Follow.objects.get(pk=waiting.pk).is_active


def test_only_a_mobile_number_gets_codes(node):
    before = Follow.objects.count(), FollowCode.objects.count(), Delivery.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.follow(actor=None, grid=node(LVDU_GRID1), phone="0371-67180000")
    assert refused.value.message_dict == {"phone": ["短信只能发到手机号（11位）"]}
    assert (Follow.objects.count(), FollowCode.objects.count(), Delivery.objects.count()) == before


def test_codes_are_limited_per_number(node, settings):
    grid = node(LVDU_GRID1)
    for n in range(3):
        services.follow(actor=None, grid=grid, phone=PHONE, device=f"device-{n:020d}")
    with pytest.raises(services.TooMany) as limited:
        services.follow(actor=None, grid=grid, phone=PHONE, device="another-device-000000")
    assert str(limited.value) == "这个号码收到的验证码已达上限（每小时3条，每天10条），请稍后再试。"
    assert FollowCode.objects.count() == 3
    # An hour later three more; after ten in a day, none until the next.
    for hours in (1, 2, 3):
        with time_machine.travel(timezone.now() + datetime.timedelta(hours=hours, minutes=1)):
            for _ in range(3):
                if FollowCode.objects.count() < 10:
                    services.follow(actor=None, grid=grid, phone=PHONE)
    assert FollowCode.objects.count() == 10
    five_hours_on = time_machine.travel(timezone.now() + datetime.timedelta(hours=5))
    with five_hours_on, pytest.raises(services.TooMany):
        services.follow(actor=None, grid=grid, phone=PHONE)
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=25)):
        services.follow(actor=None, grid=grid, phone=PHONE)


def test_codes_are_limited_per_device_and_per_network(node, settings):
    grid = node(LVDU_GRID1)
    for n in range(5):
        services.follow(actor=None, grid=grid, phone=f"1390371{n:04d}", device="one-device-0000000")
    with pytest.raises(services.TooMany) as limited:
        services.follow(actor=None, grid=grid, phone="13903719999", device="one-device-0000000")
    assert "这台手机或电脑" in str(limited.value)
    settings.WANGGE_FOLLOW_CODES_PER_ADDRESS = (2, 5)
    for n in range(2):
        services.follow(actor=None, grid=grid, phone=f"1380371{n:04d}", client="10.0.0.9")
    with pytest.raises(services.TooMany) as limited:
        services.follow(actor=None, grid=grid, phone="13803719999", client="10.0.0.9")
    assert "这个网络" in str(limited.value)
    # Nothing kept the device's or the address's value in the clear.
    assert not FollowCode.objects.filter(client_hash__contains="10.0.0.9").exists()


def test_follows_made_before_codes_existed_still_hear(user_named, node, gateway):
    """The migration leaves active follows active (no ``confirmed_at``): their residents asked
    for the messages and have been getting them."""
    case = a_case(user_named, node)
    before = Follow.objects.create(
        grid=case.grid,
        case=case,
        channel="sms",
        phone=PHONE,
        address_hash=crypto.keyed_hash(f"phone:{PHONE}"),
        is_active=True,
    )
    assert before.confirmed_at is None
    cases.act(actor=user_named("gridworker_lvdu1"), case=case, action="sign")
    cases.act(actor=user_named("gridworker_lvdu1"), case=case, action="finish", note="已修好")
    assert Delivery.objects.filter(follow=before, channel=Channel.SMS).exists()


def test_a_number_typed_on_the_public_report_form_hears_only_once_confirmed(
    client, node, gateway, user_named
):
    """A resident's page takes any number: it is called back by staff, and hears by SMS only
    after following the case with a code."""
    grid = node(LVDU_GRID1)
    case = cases.report(
        actor=None,
        channel="web",
        category=Category.objects.get(tree__is_current=True, code="MD05"),
        description="楼道灯坏了",
        grid=grid,
        reporter_phone=PHONE,
    )
    lvdu = user_named("community_lvdu")
    case = cases.act(actor=lvdu, case=case, action="accept")  # "accepted" goes out: not to it
    assert not Delivery.objects.filter(case=case, channel=Channel.SMS).exists()
    followed = confirmed_follow(case=case, phone=PHONE)
    if case.state == "accepted":
        case = cases.act(actor=lvdu, case=case, action="dispatch", assignees=[lvdu])
    cases.act(actor=lvdu, case=case, action="finish", note="已修好")
    (done,) = Delivery.objects.filter(case=case, channel=Channel.SMS)
    assert done.follow == followed and done.case_follower is None


# --- The pages ----------------------------------------------------------------------------------


def test_the_case_page_sends_a_code_and_the_follow_starts_when_it_is_typed(
    client, user_named, node
):
    case = a_case(user_named, node)
    response = client.post(f"/t/{case.tracking_code}/follow/", {"phone": PHONE})
    assert response.status_code == 302 and response["Location"].startswith("/follow/")
    assert "wangge_device" in response.cookies  # the device, for the limits
    page = client.get(response["Location"])
    text = page.content.decode()
    assert "139****2468" in text and 'autocomplete="one-time-code"' in text and PHONE not in text
    waiting = Follow.objects.get(case=case)
    resend = client.post(response["Location"], {"resend": "1"})
    assert resend.status_code == 302 and FollowCode.objects.filter(follow=waiting).count() == 2
    done = client.post(response["Location"], {"code": code_sent_to(waiting)})
    assert done.status_code == 302 and done["Location"] == f"/t/{case.tracking_code}/#follow"
    assert Follow.objects.get(pk=waiting.pk).is_active
    again = client.get(response["Location"]).content.decode()
    assert "手机号已确认" in again


def test_the_limit_is_said_in_chinese_on_the_page_and_sends_nothing(client, node):
    grid = node(LVDU_GRID1)
    for _ in range(3):
        client.post(f"/r/{grid.code}/follow/", {"phone": PHONE})
    sent = Delivery.objects.count()
    response = client.post(f"/r/{grid.code}/follow/", {"phone": PHONE}, follow=True)
    assert "这个号码收到的验证码已达上限" in response.content.decode()
    assert Delivery.objects.count() == sent


def test_a_device_keeps_its_cookie_between_requests(client, node):
    grid = node(LVDU_GRID1)
    first = client.post(f"/r/{grid.code}/follow/", {"phone": "13903710001"})
    device = first.cookies["wangge_device"].value
    second = client.post(f"/r/{grid.code}/follow/", {"phone": "13903710002"})
    assert "wangge_device" not in second.cookies  # kept, not replaced
    hashes = set(FollowCode.objects.values_list("device_hash", flat=True))
    assert len(hashes) == 1 and device not in hashes.pop()


def test_bad_input_on_the_confirm_page_is_named_and_changes_nothing(client, node):
    grid = node(LVDU_GRID1)
    response = client.post(f"/r/{grid.code}/follow/", {"phone": PHONE})
    url = response["Location"]
    for code, words in (("", "请输入6位数字验证码"), ("12ab56", "验证码是短信中的6位数字")):
        refused = client.post(url, {"code": code})
        assert refused.status_code == 400 and words in refused.content.decode()
    assert not Follow.objects.get(grid=grid).is_active
    assert client.get(url[:-3] + "xx/").status_code == 404
