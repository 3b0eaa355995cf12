"""Fitting text into a channel's size limit, counted in UTF-8 bytes (a Chinese character is
three): trimmed with an ellipsis, or split into numbered parts on paragraph, then sentence,
then character boundaries. A character is never cut in two."""

from __future__ import annotations

import re
from collections.abc import Callable

ELLIPSIS = "…"
# After these a sentence ends; the mark stays with its sentence.
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;…])|(?<=\.\s)")


def size(text: str) -> int:
    return len(text.encode("utf-8"))


def trim(text: str, limit: int, ellipsis: str = ELLIPSIS) -> str:
    """``text`` if it fits in ``limit`` bytes, else as much as fits with ``ellipsis``."""
    if size(text) <= limit:
        return text
    room = limit - size(ellipsis)
    if room <= 0:
        return _head(ellipsis, limit)
    return _head(text, room).rstrip() + ellipsis


def _head(text: str, limit: int) -> str:
    """The longest start of ``text`` within ``limit`` bytes, whole characters only."""
    data = text.encode("utf-8")[:limit]
    return data.decode("utf-8", errors="ignore")


def part_label(number: int, total: int) -> str:
    return f"({number}/{total})\n"


def split(text: str, limit: int, label: Callable[[int, int], str] = part_label) -> list[str]:
    """``text`` as one message if it fits in ``limit`` bytes; otherwise parts that each fit,
    labelled ``(1/3)`` … so readers can put them in order."""
    text = text.strip()
    if size(text) <= limit:
        return [text]
    guess = 9  # the widest label with one-digit numbers: (9/9)
    while True:
        room = limit - size(label(guess, guess))
        if room < 4:
            raise ValueError(f"a limit of {limit} bytes leaves no room for the text")
        pieces = _pack(text, room)
        if len(str(len(pieces))) <= len(str(guess)):
            break
        guess = 10 ** len(str(len(pieces))) - 1
    total = len(pieces)
    return [label(number, total) + piece for number, piece in enumerate(pieces, start=1)]


def _pack(text: str, room: int) -> list[str]:
    """Paragraphs packed greedily into pieces of at most ``room`` bytes; a paragraph too
    long for one piece is cut between sentences, a sentence too long between characters."""
    pieces: list[str] = []
    current = ""
    for unit, joiner in _units(text, room):
        candidate = f"{current}{joiner}{unit}" if current else unit
        if size(candidate) <= room:
            current = candidate
            continue
        if current:
            pieces.append(current)
        current = unit
    if current:
        pieces.append(current)
    return pieces


def _units(text: str, room: int):
    """(unit, what joins it to the one before): paragraphs that fit, else their sentences
    that fit, else slices of characters that fit."""
    for paragraph in (p.strip() for p in re.split(r"\n\s*\n|\n", text)):
        if not paragraph:
            continue
        if size(paragraph) <= room:
            yield paragraph, "\n"
            continue
        joiner = "\n"
        for sentence in (s for s in _SENTENCE_END.split(paragraph) if s):
            if size(sentence) <= room:
                yield sentence, joiner
            else:
                for piece in _slices(sentence, room):
                    yield piece, joiner
            joiner = ""


def _slices(text: str, room: int):
    while text:
        head = _head(text, room)
        yield head
        text = text[len(head) :]
