"""Lost and found and Open311 left cases without losing a row: a database with found items,
claims, their notices and an Open311 client, made before the move, keeps them all after
``migrate``, read through today's models — the links, the encrypted phones, the content types
and permissions (same ids), the audit log's names. On the suite's engine: SQLite, or
PostgreSQL when ``DATABASE_URL`` names it (``make test`` and CI run both)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from wangge.notices.tests.crashkit import own_database

ROOT = Path(__file__).resolve().parents[4]


def migrated(tmp_path) -> dict:
    """``migrationkit`` run on a fresh database of its own (never the test database)."""
    with own_database(tmp_path) as env:
        env = env or {"DATABASE_URL": f"sqlite:///{tmp_path / 'moved.sqlite3'}"}
        done = subprocess.run(
            [sys.executable, "-m", "wangge.lostfound.tests.migrationkit"],
            env={**os.environ, **env, "WANGGE_VAR_DIR": str(tmp_path / "var")},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_found_items_claims_and_open311_clients_survive_the_move(tmp_path):
    result = migrated(tmp_path)
    before, after = result["before"], result["after"]
    keys, wallet = before["items"]["keys"], before["items"]["wallet"]
    # The items and claims, as they were, their phones still readable.
    assert after["items"] == [
        {
            "id": keys,
            "what": "两串钥匙",
            "state": "held",
            "finder_phone": "13800000001",
            "notice": before["notices"][str(keys)],
            "claims": [before["claims"]["waiting"]],
        },
        {
            "id": wallet,
            "what": "钱包",
            "state": "handed_over",
            "finder_phone": "",
            "notice": before["notices"][str(wallet)],
            "claims": [before["claims"]["handed"]],
        },
    ]
    assert after["claims"] == [
        {"id": before["claims"]["waiting"], "item": keys, "phone": "13903710005"},
        {"id": before["claims"]["handed"], "item": wallet, "phone": "13903710006"},
    ]
    # Each notice is its item's, found from the item; the one of an item back with its owner
    # is settled (off the grid's page, as it was).
    assert after["notices"] == [
        {"id": before["notices"][str(keys)], "found_item": keys, "settled": False},
        {"id": before["notices"][str(wallet)], "found_item": wallet, "settled": True},
    ]
    assert after["clients"] == ["市民通"]
    # Permissions hang on the same content types, now of the new apps.
    assert after["types"] == {
        "lostfound.founditem": before["types"]["founditem"],
        "lostfound.claim": before["types"]["claim"],
        "open311.open311client": before["types"]["open311client"],
    }
    assert after["permission"] == {"id": before["permission"], "app": "lostfound"}
    assert after["events"] == [
        ["lostfound.founditem.recorded", "lostfound.founditem"],
        ["open311.open311client.created", "open311.open311client"],
    ]
    assert after["keys"] == [["lostfound.founditem.record", "lostfound.founditem"]]
    assert after["tables"] == ["lostfound_claim", "lostfound_founditem", "open311_open311client"]
