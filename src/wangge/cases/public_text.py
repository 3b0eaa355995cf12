"""What the public may read of a case's timeline: the replies written for the resident, and
the plain words of the steps they follow. A step's note is internal, always.

A step (``CaseEvent``) carries two texts: ``note``, the handling note staff write for each
other (who was met, which flat, what was agreed, the instruction to the worker), and
``reply``, the words written on purpose for the resident (居民可见的答复). A step is public
(``CaseEvent.public``) when it has a reply, or when it is a change the resident follows
(``machine.MOVES[...].public`` for moves, ``SHOWN_STEPS`` for the other steps), shown then
in the plain words of ``STEP_WORDS``. The tracking page, Open311 and the messages to the
people who follow a case read only those words and the replies.
"""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from wangge.cases import machine
from wangge.core.errors import ValidationError

MAX_REPLY = 500

# Steps that are not moves of the machine and that the resident sees (in plain words).
SHOWN_STEPS = frozenset(
    {
        "reported",
        "accepted",
        "duplicate_merged",
        "claim_received",
        "claim_verified",
        "handed_over",
        "thanked",
    }
)

# What the resident reads for each step they see.
STEP_WORDS = {
    "reported": _("You reported it"),
    "accepted": _("Taken up"),
    "accept": _("Taken up"),
    "dispatch": _("Given to the person who will handle it"),
    "reopen": _("Given to the person who will handle it"),
    "sign": _("Being handled"),
    "start": _("Being handled"),
    "rework": _("Being handled again"),
    "finish": _("Handled"),
    "receipt": _("Handled"),
    "solve_now": _("Handled"),
    "verify": _("Checked"),
    "close": _("Finished"),
    "rate": _("Rating received"),
    "park": _("Waiting: it cannot be solved yet"),
    "transfer": _("Passed to the agency responsible"),
    "escalate": _("Passed to the community or street office"),
    "decide": _("It was decided how to handle it"),
    "merge": _("Joined to an earlier report of the same problem"),
    "recategorize": _("Its category was changed"),
    "send_back": _("Being passed to the right person"),
    "void": _("Closed without action"),
    "photo_added": _("Photo added"),
    "duplicate_merged": _("Another report of the same problem was joined to it"),
    "claim_received": _("Someone came to claim it; being checked"),
    "claim_verified": _("The claimant was checked"),
    "handed_over": _("The item was handed to its owner"),
    "thanked": _("Thanked"),
}


def shown(action: str, reply: str = "") -> bool:
    """Whether a step is public: it carries a reply, or the resident follows it in plain
    words. Its note has no say."""
    if reply:
        return True
    move = machine.MOVES.get(action)
    return move.public if move is not None else action in SHOWN_STEPS


def words(action: str) -> str:
    """The plain words of a step for the resident."""
    return str(STEP_WORDS.get(action) or _("Update"))


def clean_reply(reply, *, field: str = "reply") -> str:
    """A reply as it is kept, or a ``ValidationError`` on ``field`` naming the limit."""
    reply = str(reply or "").strip()
    if "\x00" in reply:
        raise ValidationError({field: gettext("Null characters are not allowed.")})
    if len(reply) > MAX_REPLY:
        raise ValidationError(
            {
                field: gettext(
                    "The reply to the resident may have at most %(limit)s characters (this one"
                    " has %(n)s)"
                )
                % {"limit": MAX_REPLY, "n": len(reply)}
            }
        )
    return reply


def reply_from_form(data) -> str:
    """The reply of a page's form: its text only when the form's "reply to the resident"
    switch is on (words left in a closed box are not sent to anyone)."""
    if not data.get("reply_on"):
        return ""
    return str(data.get("reply") or "").strip()


def public_steps(case) -> list[dict]:
    """The steps of ``case`` the resident sees, oldest first: when, the plain words, the
    reply."""
    return [
        {"at": event.at, "action": event.action, "words": words(event.action), "reply": event.reply}
        for event in case.events.filter(public=True).order_by("at", "id")
    ]
