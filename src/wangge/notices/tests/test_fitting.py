"""Fitting Chinese text into byte limits: trimmed or split, never a character cut in two."""

import re

import pytest

from wangge.notices import fitting, wecom

SENTENCE = "请勿将电动车推入楼道充电，发现隐患请告诉网格员。"  # 24 characters, 72 bytes


def test_short_text_is_one_message_unchanged():
    assert fitting.split("停水通知\n明天停水。", 2048) == ["停水通知\n明天停水。"]


def test_trim_counts_bytes_and_keeps_whole_characters():
    text = "供暖" * 300  # 1,800 bytes
    for limit in range(1, 40):
        trimmed = fitting.trim(text, limit)
        assert fitting.size(trimmed) <= limit
        assert trimmed.encode("utf-8").decode("utf-8") == trimmed
    assert fitting.trim(text, 10) == "供暖…"  # 6 bytes of text and 3 of the ellipsis
    assert fitting.trim("短", 10) == "短"


@pytest.mark.parametrize("limit", [2048, 4096, 200, 61])
def test_split_parts_fit_are_numbered_and_lose_nothing(limit):
    paragraphs = [SENTENCE * n for n in (1, 3, 40, 2, 90, 1)]  # some longer than any limit
    text = "\n".join(paragraphs)
    parts = fitting.split(text, limit)
    assert len(parts) > 1
    total = len(parts)
    for number, part in enumerate(parts, start=1):
        assert fitting.size(part) <= limit
        assert part.startswith(f"({number}/{total})\n")
    rejoined = "".join(re.sub(r"^\(\d+/\d+\)\n", "", part) for part in parts)
    assert rejoined.replace("\n", "") == text.replace("\n", "")


def test_split_prefers_paragraph_then_sentence_boundaries():
    first, second = SENTENCE * 20, SENTENCE * 20  # 1,440 bytes each: two do not fit in 2048
    parts = fitting.split(f"{first}\n{second}", 2048)
    assert parts == [f"(1/2)\n{first}", f"(2/2)\n{second}"]
    long = SENTENCE * 40  # one paragraph of 2,880 bytes: cut after a full stop
    parts = fitting.split(long, 2048)
    assert len(parts) == 2
    assert parts[0].endswith("。")


def test_split_cuts_between_characters_when_a_sentence_has_no_end():
    text = "网格" * 2000  # 12,000 bytes without punctuation
    parts = fitting.split(text, 2048)
    assert all(fitting.size(part) <= 2048 for part in parts)
    assert "".join(part.split("\n", 1)[1] for part in parts) == text


def test_labels_widen_with_ten_or_more_parts():
    parts = fitting.split("网" * 20000, 2048)  # 60,000 bytes
    assert len(parts) >= 10
    assert parts[0].startswith(f"(1/{len(parts)})")
    assert all(fitting.size(part) <= 2048 for part in parts)


class _Notice:
    def __init__(self, body, fmt="text", mention_all=False):
        self.title = "停水通知"
        self.body = body
        self.wecom_format = fmt
        self.mention_all = mention_all

        class Kind:
            name = "停水停电"

        self.kind = Kind()


def test_robot_messages_keep_to_wecom_limits():
    body = "\n".join([SENTENCE * 30] * 4)  # 8,640 bytes
    texts = wecom.messages_for(_Notice(body, mention_all=True), url="https://x.cn/r/1/")
    assert len(texts) >= 5
    assert all(fitting.size(m["text"]["content"]) <= wecom.TEXT_LIMIT for m in texts)
    assert texts[0]["text"]["mentioned_list"] == ["@all"]
    assert "mentioned_list" not in texts[1]["text"]
    assert texts[-1]["text"]["content"].endswith("https://x.cn/r/1/")
    marks = wecom.messages_for(_Notice(body, "markdown"), url="https://x.cn/r/1/")
    assert len(marks) < len(texts)
    assert all(fitting.size(m["markdown"]["content"]) <= wecom.MARKDOWN_LIMIT for m in marks)
    (news,) = wecom.messages_for(_Notice(body, "news"), url="https://x.cn/r/1/")
    article = news["news"]["articles"][0]
    assert fitting.size(article["title"]) <= wecom.NEWS_TITLE_LIMIT
    assert fitting.size(article["description"]) <= wecom.NEWS_DESCRIPTION_LIMIT
    assert article["description"].endswith("…") and article["url"] == "https://x.cn/r/1/"
