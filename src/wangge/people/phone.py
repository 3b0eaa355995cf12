"""Phone numbers: Chinese mobile numbers and landlines."""

import re

from django.utils.translation import gettext

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


class InvalidPhone(ValueError):
    pass


def normalize(value: str) -> str:
    """Digits (and a landline's dash) only, without a leading +86."""
    text = re.sub(r"[\s()（）]", "", str(value or ""))
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    elif len(text) == 13 and text.startswith("86"):
        text = text[2:]
    return text


def validate(value: str) -> str:
    number = normalize(value)
    if _MOBILE.match(number) or _LANDLINE.match(number):
        return number
    raise InvalidPhone(
        gettext("Not a phone number (a mobile has 11 digits, a landline is like 0371-12345678)")
    )
