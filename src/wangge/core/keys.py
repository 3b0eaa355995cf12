"""Keys generated once into ``var/`` when the environment gives none."""

import base64
import os
import secrets
from pathlib import Path


def read_or_create_key(path: Path, size: int = 32) -> str:
    """Return the key stored at ``path``, creating it (``size`` random bytes, mode 0600).

    Creating with ``O_EXCL`` means two processes starting at once agree on one key.
    """
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    key = base64.urlsafe_b64encode(secrets.token_bytes(size)).decode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key
