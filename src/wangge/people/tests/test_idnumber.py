import datetime

import pytest

from wangge.people import idnumber, phone


def test_valid_numbers_and_what_they_say():
    number = idnumber.make("410102", datetime.date(1990, 3, 7), 451, True)
    assert idnumber.validate(number) == number
    assert idnumber.birth_date(number) == datetime.date(1990, 3, 7)
    assert idnumber.is_male(number)
    # The well-known example from GB 11643 with an X check digit.
    assert idnumber.validate("11010519491231002x") == "11010519491231002X"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("41010219900307451", "应为18位"),
        ("4101021990030745AA", "前17位应为数字"),
        ("410102199013074519", "出生日期无效"),
        ("410102199003074510", "校验位错误"),
    ],
)
def test_invalid_numbers_say_why(value, reason):
    with pytest.raises(idnumber.InvalidIdNumber, match=reason):
        idnumber.validate(value)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("+86 138 0000 1234", "13800001234"),
        ("0371-67891234", "0371-67891234"),
        ("008613800001234", "13800001234"),
    ],
)
def test_phone_numbers(raw, clean):
    assert phone.validate(raw) == clean


@pytest.mark.parametrize("raw", ["12345", "23800001234", "abc"])
def test_bad_phone_numbers(raw):
    with pytest.raises(phone.InvalidPhone):
        phone.validate(raw)
