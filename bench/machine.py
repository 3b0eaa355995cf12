"""The machine a benchmark ran on, so its absolute figures can be read."""

from __future__ import annotations

import datetime
import os
import platform
from pathlib import Path


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return None


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 0


def _database() -> str:
    """Engine and server version of Django's default database."""
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
        return connection.vendor


def describe() -> dict:
    """CPU, cores, RAM, OS, Python, libraries, database and date, as plain values."""
    import django
    import numpy
    import openpyxl
    import shapely

    ram = _ram_gib()
    return {
        "cpu": _cpu_model(),
        "cores": _cores(),
        "ram_gib": round(ram, 1) if ram else None,
        "os": platform.platform(terse=True),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "database": _database(),
        "libraries": {
            "Django": django.get_version(),
            "numpy": numpy.__version__,
            "shapely": shapely.__version__,
            "GEOS": shapely.geos_version_string,
            "openpyxl": openpyxl.__version__,
        },
        "load_average": [round(load, 2) for load in os.getloadavg()],
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def one_line(machine: dict) -> str:
    ram = f"{machine['ram_gib']:g} GiB RAM" if machine["ram_gib"] else "RAM unknown"
    return (
        f"{machine['cpu']}, {machine['cores']} cores, {ram}, {machine['os']}, "
        f"{machine['python']}, {machine['database']}, {machine['date'][:10]}"
    )
