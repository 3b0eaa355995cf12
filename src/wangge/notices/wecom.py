"""WeCom group robots (企业微信群机器人): the messages a notice becomes, and sending one.

``POST {WANGGE_WECOM_WEBHOOK_URL}?key=KEY`` with ``{"msgtype": …}``; the answer is
``{"errcode": 0, "errmsg": "ok"}`` or an error code. Text is at most 2048 bytes, markdown
4096 (UTF-8); longer notices go as numbered parts. News cards carry a title (128 bytes) and a
description (512) trimmed, and a link to the notice.
"""

from __future__ import annotations

import urllib.parse

from django.conf import settings
from django.utils.translation import gettext_noop

from wangge.core.words import stored
from wangge.notices import fitting
from wangge.notices.choices import Outcome, WeComFormat
from wangge.notices.transport import Answer, parse_json, post_json

TEXT_LIMIT = 2048
MARKDOWN_LIMIT = 4096
NEWS_TITLE_LIMIT = 128
NEWS_DESCRIPTION_LIMIT = 512

RATE_LIMITED = 45009
INVALID_KEY = 93000


def messages_for(notice, *, url: str = "", picurl: str = "") -> list[dict]:
    """The robot messages of a notice in its format: one, or several numbered parts."""
    kind = notice.kind.name
    if notice.wecom_format == WeComFormat.NEWS:
        article = {
            "title": fitting.trim(f"【{kind}】{notice.title}", NEWS_TITLE_LIMIT),
            "description": fitting.trim(notice.body.strip(), NEWS_DESCRIPTION_LIMIT),
            "url": url or settings.WANGGE_SITE_URL or "about:blank",
        }
        if picurl:
            article["picurl"] = picurl
        return [{"msgtype": "news", "news": {"articles": [article]}}]
    if notice.wecom_format == WeComFormat.MARKDOWN:
        text = f"**【{kind}】{notice.title}**\n{notice.body.strip()}"
        if url:
            text += f"\n[{stored(gettext_noop('Details'))}]({url})"
        return [
            {"msgtype": "markdown", "markdown": {"content": part}}
            for part in fitting.split(text, MARKDOWN_LIMIT)
        ]
    text = f"【{kind}】{notice.title}\n{notice.body.strip()}"
    if url:
        text += f"\n{url}"
    messages = []
    for number, part in enumerate(fitting.split(text, TEXT_LIMIT), start=1):
        content = {"content": part}
        if notice.mention_all and number == 1:
            content["mentioned_list"] = ["@all"]
        messages.append({"msgtype": "text", "text": content})
    return messages


def webhook_url(key: str) -> str:
    return f"{settings.WANGGE_WECOM_WEBHOOK_URL}?{urllib.parse.urlencode({'key': key})}"


def send(key: str, message: dict, *, timeout: float) -> Answer:
    """Send one message with the robot's key, and judge the answer."""
    result = post_json(webhook_url(key), message, timeout=timeout)
    if isinstance(result, Answer):
        return result
    status, text = result
    return judge(status, text)


def judge(status: int, text: str) -> Answer:
    """0 is sent; 45009 (too many messages) waits; 93000 (no such key) and 40xxx (a bad
    key or message) are refused for good; any other code is tried again."""
    if status == 429:
        return Answer(Outcome.RATE_LIMITED, http_status=status, code="http 429", text=text)
    if status >= 400:
        return Answer(Outcome.DEAD, http_status=status, code=f"http {status}", text=text)
    body = parse_json(text)
    errcode = body.get("errcode")
    if not isinstance(errcode, int):
        return Answer(Outcome.RETRY, http_status=status, code="no errcode", text=text)
    message = str(body.get("errmsg", ""))
    if errcode == 0:
        return Answer(Outcome.SENT, http_status=status, code="0", text=message)
    if errcode == RATE_LIMITED:
        return Answer(Outcome.RATE_LIMITED, http_status=status, code=str(errcode), text=message)
    if errcode == INVALID_KEY or 40000 <= errcode < 41000:
        return Answer(Outcome.DEAD, http_status=status, code=str(errcode), text=message)
    return Answer(Outcome.RETRY, http_status=status, code=str(errcode), text=message)
