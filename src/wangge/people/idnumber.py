"""The 18-character resident identity number (GB 11643-1999)."""

import datetime
import operator
import re

from django.utils.translation import gettext

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


class InvalidIdNumber(ValueError):
    pass


def normalize(value: str) -> str:
    return (value or "").strip().replace(" ", "").upper()


_ZERO = ord("0") * sum(_WEIGHTS)


def check_digit(first17: str) -> str:
    """The mod-11 check character of the first seventeen digits (bytes, less '0' × weights)."""
    return _CHECK[(sum(map(operator.mul, first17.encode(), _WEIGHTS)) - _ZERO) % 11]


def validate(value: str) -> str:
    """Return the normalized number, or raise ``InvalidIdNumber`` with a reason in Chinese."""
    number = normalize(value)
    if len(number) != 18:
        raise InvalidIdNumber(
            gettext("An ID number has 18 characters, not %(n)s") % {"n": len(number)}
        )
    if not _SHAPE.match(number):
        raise InvalidIdNumber(gettext("An ID number is 17 digits and then a digit or X"))
    try:
        birth_date(number)
    except ValueError as exc:
        raise InvalidIdNumber(gettext("The date of birth in the ID number is not valid")) from exc
    expected = check_digit(number[:17])
    if number[17] != expected:
        raise InvalidIdNumber(
            gettext("The ID number's check character is wrong (it should be %(c)s)")
            % {"c": expected}
        )
    return number


def birth_date(number: str) -> datetime.date:
    return datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def is_male(number: str) -> bool:
    return int(number[16]) % 2 == 1


def make(region: str, born: datetime.date, sequence: int, male: bool) -> str:
    """Build a valid number (for generated, plainly fictional demo people)."""
    sequence = sequence % 500 * 2 + (1 if male else 0)
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17)
