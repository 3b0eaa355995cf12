"""``bench/results.json`` and ``bench/REPORT.md`` from the figures of a run.

Figures from earlier runs that this run did not measure (another database, ``--only``) are
kept, each with the machine and date it was measured on.
"""

from __future__ import annotations

import json
from pathlib import Path

from figures import Figure
from machine import one_line


def entry(figure: Figure, machine: dict) -> dict:
    """One row of results.json: the five required keys first, then what helps read them."""
    return {
        "name": figure.name,
        "value": _round(figure.value),
        "unit": figure.unit,
        "floor": _round(figure.floor),
        "ratio": _round(figure.ratio),
        "goal": figure.goal.as_dict() if figure.goal else None,
        "goal_text": figure.goal.describe(figure.unit) if figure.goal else "",
        "pass": figure.passed,
        "cpu_ratio": _round(figure.cpu_ratio),
        "pass_by_cpu": figure.passed_by_cpu,
        "title": figure.title,
        "floor_title": figure.floor_title,
        "ratio_means": figure.ratio_means,
        "detail": figure.detail,
        "machine": one_line(machine),
        "date": machine["date"],
        # Kept with the figure, so a later run of other groups still shows it in the report.
        "appendix": (
            {"title": figure.appendix_title, "text": figure.appendix} if figure.appendix else None
        ),
    }


def _round(value: float | None) -> float | None:
    if value is None:
        return None
    return round(value, 4) if abs(value) < 100 else round(value, 1)


def merge(path: Path, entries: list[dict], groups: tuple[str, ...]) -> list[dict]:
    """This run's entries and those of earlier runs it did not replace, by group then name."""
    previous = json.loads(path.read_text()) if path.exists() else []
    mine = {item["name"] for item in entries}
    merged = [item for item in previous if item.get("name") not in mine] + entries

    def order(item):
        group = item["name"].split(".", 1)[0]
        return (groups.index(group) if group in groups else len(groups), item["name"])

    return sorted(merged, key=order)


def write_results(path: Path, entries: list[dict]) -> None:
    path.write_text(json.dumps(entries, ensure_ascii=False, indent=2) + "\n")


# --- Reading the figures -----------------------------------------------------------------------


def amount(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "s":
        return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"
    if unit == "ms":
        return f"{value:.1f} ms" if value < 100 else f"{value:,.0f} ms"
    if unit == "×":
        return times(value)
    return f"{value:,.0f} {unit}"


def times(ratio: float | None) -> str:
    if ratio is None:
        return "—"
    return f"{ratio:,.0f}×" if ratio >= 100 else f"{ratio:.2f}×"


def verdict(item: dict) -> str:
    """Judged on wall time, as the goals are; flagged when CPU time would judge otherwise."""
    text = {True: "pass", False: "**miss**", None: "—"}[item["pass"]]
    by_cpu = item.get("pass_by_cpu")
    if by_cpu is not None and by_cpu != item["pass"]:
        text += f" ({'passes' if by_cpu else 'misses'} by CPU time)"
    return text


def summary_lines(entries: list[dict]) -> list[str]:
    """The results table, for the terminal and the report alike."""
    lines = [
        "| Figure | Value | Floor | Ratio | Ratio by CPU time | Goal | Result |",
        "| --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for item in entries:
        lines.append(
            f"| {item['title']} (`{item['name']}`) | {amount(item['value'], item['unit'])} "
            f"| {amount(item['floor'], item['unit'])} | {times(item['ratio'])} "
            f"| {times(item.get('cpu_ratio'))} | {item['goal_text'] or '—'} | {verdict(item)} |"
        )
    return lines


def _detail_lines(detail: dict, indent: str = "") -> list[str]:
    lines = []
    for key, value in detail.items():
        label = key.replace("_", " ")
        if isinstance(value, dict):
            lines.append(f"{indent}- {label}:")
            lines += _detail_lines(value, indent + "  ")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            lines.append(f"{indent}- {label}: {value:,}")
        else:
            lines.append(f"{indent}- {label}: {value}")
    return lines


def render(
    entries: list[dict],
    machine: dict,
    methods: dict[str, str],
) -> str:
    """REPORT.md: the table, each figure with its floor, method and appendix (a profile, a
    query plan), and the machine."""
    here = one_line(machine)
    out = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`bench/run.py`); do not edit by hand.",
        "",
        "Each ratio compares the product's path with the floor under it, both measured in the",
        "same run on the same machine. Absolute figures hold only for the machine they were",
        "measured on, given with each figure and in full at the end.",
        "",
        "Times are wall-clock, and the goals are judged on them. The same ratio from CPU",
        "seconds is shown beside it: on a busy machine it is the steadier of the two. It",
        "counts this process only, so with PostgreSQL the server's work is not in it.",
        "",
        *summary_lines(entries),
        "",
    ]
    for item in entries:
        out += [
            f"## {item['title']}",
            "",
            f"- figure: `{item['name']}` = {amount(item['value'], item['unit'])}",
            f"- floor: {item['floor_title']} = {amount(item['floor'], item['unit'])}",
            f"- ratio: {times(item['ratio'])}, {item['ratio_means']}; by CPU time"
            f" {times(item.get('cpu_ratio'))}",
            f"- goal: {item['goal_text'] or 'none'} → {verdict(item)}",
            *_detail_lines(item["detail"]),
        ]
        if item["machine"] != here:
            out.append(f"- measured on: {item['machine']}")
        group = item["name"].split(".", 1)[0]
        if group in methods:
            out += ["", "How it is measured:", "", methods.pop(group).strip()]
        if item.get("appendix"):
            appendix = item["appendix"]
            out += ["", f"{appendix['title']}:", "", "```", appendix["text"].strip(), "```"]
        out.append("")
    libraries = ", ".join(f"{name} {version}" for name, version in machine["libraries"].items())
    load = " → ".join(
        ", ".join(f"{value:g}" for value in machine[key])
        for key in ("load_average", "load_average_end")
        if machine.get(key)
    )
    out += [
        "## Machine",
        "",
        f"- CPU: {machine['cpu']}, {machine['cores']} cores available",
        f"- RAM: {machine['ram_gib']} GiB",
        f"- OS: {machine['os']}",
        f"- Python: {machine['python']}",
        f"- Database: {machine['database']}",
        f"- Libraries: {libraries}",
        f"- Load average (1, 5, 15 min) at the start and the end of the run: {load}",
        f"- Date: {machine['date']}",
        "",
    ]
    return "\n".join(out)
