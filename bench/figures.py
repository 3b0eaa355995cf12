"""What a benchmark reports: one figure, its floor, their ratio and the goal it is held to."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Goal:
    """Bounds a figure must keep; any left as ``None`` is not checked."""

    min_value: float | None = None
    max_value: float | None = None  # the value must stay below it
    min_ratio: float | None = None
    max_ratio: float | None = None

    def met_by(self, value: float, ratio: float | None) -> bool:
        if self.min_value is not None and value < self.min_value:
            return False
        if self.max_value is not None and value >= self.max_value:
            return False
        if self.min_ratio is not None and (ratio is None or ratio < self.min_ratio):
            return False
        return not (self.max_ratio is not None and (ratio is None or ratio > self.max_ratio))

    def describe(self, unit: str) -> str:
        parts = []
        if self.min_value is not None:
            parts.append(f"≥ {self.min_value:,.0f} {unit}")
        if self.max_value is not None:
            parts.append(f"< {self.max_value:,.4g} {unit}")
        if self.min_ratio is not None:
            parts.append(f"ratio ≥ {self.min_ratio:g}×")
        if self.max_ratio is not None:
            parts.append(f"ratio ≤ {self.max_ratio:g}×")
        return " and ".join(parts)

    def as_dict(self) -> dict:
        return {key: value for key, value in vars(self).items() if value is not None}


@dataclass
class Figure:
    """One measured figure. ``ratio`` compares it with ``floor``, measured in the same run;
    ``ratio_means`` says which way round, since a rate and a duration read differently."""

    name: str
    title: str
    value: float
    unit: str
    floor: float | None
    floor_title: str
    ratio: float | None
    ratio_means: str
    cpu_ratio: float | None = None  # the same ratio from this process's CPU seconds
    goal: Goal | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    appendix: str = ""  # for the report only (a profile, query plans), not for results.json
    appendix_title: str = "Profile of one run (cProfile; the profiler slows it down)"

    @property
    def passed(self) -> bool | None:
        return None if self.goal is None else self.goal.met_by(self.value, self.ratio)

    @property
    def passed_by_cpu(self) -> bool | None:
        """The goal's ratio checked on CPU time, which a busy machine disturbs less."""
        if self.goal is None or self.cpu_ratio is None:
            return None
        return self.goal.met_by(self.value, self.cpu_ratio)


@dataclass
class Timing:
    """Wall-clock seconds, and the CPU seconds this process spent (a check on a busy machine)."""

    wall: float
    cpu: float


def best_of(runs: int, work: Callable[[], Any]) -> tuple[Timing, Any]:
    """The shortest wall and CPU times over ``runs`` calls, and what the last call returned."""
    best, result = Timing(float("inf"), float("inf")), None
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = work()
        best.wall = min(best.wall, time.perf_counter() - wall)
        best.cpu = min(best.cpu, time.process_time() - cpu)
    return best, result
