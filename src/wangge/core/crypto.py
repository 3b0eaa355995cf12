"""Encryption of personal data at rest, keyed hashes to find duplicates, and masking.

Values are encrypted with AES-256-GCM under a key derived from ``WANGGE_FIELD_KEY``.
Several keys may be configured (newest first): new values use the first, old values stay
readable with any of them. The keyed hash that finds duplicates uses the *last* key, so
adding a new key does not change hashes already stored.
"""

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PREFIX = "v1"


class DecryptionError(ValueError):
    pass


def _derive(secret: str, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"wangge", info=info).derive(
        secret.encode()
    )


@lru_cache(maxsize=8)
def _keyring(secrets: tuple[str, ...]) -> tuple[list[tuple[str, AESGCM]], bytes]:
    ring = []
    for secret in secrets:
        key = _derive(secret, b"field-encryption")
        key_id = hashlib.sha256(key).hexdigest()[:8]
        ring.append((key_id, AESGCM(key)))
    hash_key = _derive(secrets[-1], b"field-hash")
    return ring, hash_key


def keyring():
    return _keyring(tuple(settings.WANGGE_FIELD_KEYS))


def encrypt(plaintext: str) -> str:
    ring, _ = keyring()
    key_id, aead = ring[0]
    nonce = os.urandom(12)
    sealed = aead.encrypt(nonce, plaintext.encode(), None)
    return f"{PREFIX}:{key_id}:{base64.b64encode(nonce + sealed).decode()}"


def decrypt(token: str) -> str:
    try:
        prefix, key_id, payload = token.split(":", 2)
    except ValueError as exc:
        raise DecryptionError("not an encrypted value") from exc
    if prefix != PREFIX:
        raise DecryptionError(f"unknown format {prefix!r}")
    ring, _ = keyring()
    raw = base64.b64decode(payload)
    for candidate_id, aead in ring:
        if candidate_id == key_id:
            return aead.decrypt(raw[:12], raw[12:], None).decode()
    raise DecryptionError(f"no configured key has id {key_id}")


def keyed_hash(normalized: str) -> str:
    """A stable HMAC of an already normalized value, to find duplicates without decrypting."""
    _, hash_key = keyring()
    return hmac.new(hash_key, normalized.encode(), hashlib.sha256).hexdigest()[:40]


def mask_id_number(value: str | None) -> str:
    """``410102199003074512`` → ``410102********4512``."""
    if not value:
        return ""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str:
    """``13800001234`` → ``138****1234``."""
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
