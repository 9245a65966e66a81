"""What a benchmark returns, and how figures are printed."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """One measured figure, and the anchor it is compared with (measured in the same run)."""

    name: str
    value: float
    unit: str
    anchor_name: str
    anchor_value: float
    goal: str = ""
    # "higher" when more is better (throughput), "lower" when less is better (latency, time).
    better: str = "higher"

    @property
    def ratio(self) -> float:
        return self.value / self.anchor_value if self.anchor_value else float("nan")


def time_call(function: Callable[[], object], repeat: int = 5) -> float:
    """Median seconds of `repeat` calls."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def format_table(figures: list[Figure]) -> str:
    rows = [("figure", "value", "anchor", "anchor value", "ratio", "goal")]
    for figure in figures:
        rows.append(
            (
                figure.name,
                f"{figure.value:,.3f} {figure.unit}",
                figure.anchor_name,
                f"{figure.anchor_value:,.3f} {figure.unit}",
                f"{figure.ratio:.2f}",
                figure.goal,
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
