"""Model fields shared by the apps."""

from django.core.exceptions import FieldError
from django.db import models

from wangge.core import crypto


class EncryptedCharField(models.TextField):
    """A short text stored encrypted (AES-GCM); Python sees the plaintext.

    It cannot be searched: store a keyed hash beside it (see ``crypto.keyed_hash``).
    ``mask`` names the function that shows it masked, used by audit snapshots and schemas.
    """

    def __init__(self, *args, mask=None, **kwargs):
        self.mask = mask or (lambda value: "*" * len(value or ""))
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("blank", None)
        if kwargs.get("default") == "":
            kwargs.pop("default")
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        if not value:
            return ""
        return crypto.decrypt(value)

    def to_python(self, value):
        return value or ""

    def get_prep_value(self, value):
        if not value:
            return ""
        return crypto.encrypt(str(value))

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        raise FieldError(
            f"{self.name} is encrypted and cannot be searched with '{lookup_name}';"
            " search its keyed hash instead"
        )
