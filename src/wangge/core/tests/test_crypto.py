"""Personal data at rest: encrypted, readable across key rotation, hashed for duplicates."""

import pytest
from django.db import connection

from wangge.core import crypto
from wangge.demo.district import LVDU_GRID1
from wangge.people.models import Person


def test_encrypt_round_trip_and_fresh_nonces():
    token = crypto.encrypt("410102199003074512")
    assert token.startswith("v1:") and "410102" not in token
    assert crypto.decrypt(token) == "410102199003074512"
    assert crypto.encrypt("x") != crypto.encrypt("x")


def test_old_values_stay_readable_after_a_new_key_is_added(settings):
    old = crypto.encrypt("13800001234")
    digest = crypto.keyed_hash("phone:13800001234")
    settings.WANGGE_FIELD_KEYS = ["a-newer-key", *settings.WANGGE_FIELD_KEYS]
    assert crypto.decrypt(old) == "13800001234"
    assert crypto.encrypt("y").split(":")[1] != old.split(":")[1]  # written with the new key
    assert crypto.keyed_hash("phone:13800001234") == digest  # duplicates still found
    settings.WANGGE_FIELD_KEYS = ["an-unrelated-key"]
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(old)


@pytest.mark.parametrize("bad", ["plain text", "v2:abc:def", "v1:00000000:AAAA"])
def test_garbage_is_refused(bad):
    with pytest.raises((crypto.DecryptionError, ValueError)):
        crypto.decrypt(bad)


def test_masks():
    assert crypto.mask_id_number("41010219900307451X") == "410102********451X"
    assert crypto.mask_phone("13800001234") == "138****1234"
    assert crypto.mask_phone("0371-12345678") == "037******5678"
    assert crypto.mask_id_number("") == "" and crypto.mask_phone(None) == ""


@pytest.mark.django_db
def test_the_database_holds_ciphertext_only():
    person = Person.objects.filter(grid__code__startswith=LVDU_GRID1).exclude(phone_hash="").first()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM people_person WHERE id = %s", [person.pk])
        stored_id, stored_phone = cursor.fetchone()
    assert stored_id.startswith("v1:") and person.id_number not in stored_id
    assert stored_phone.startswith("v1:") and person.phone not in stored_phone
    with pytest.raises(Exception, match="encrypted"):
        Person.objects.filter(phone=person.phone).exists()
