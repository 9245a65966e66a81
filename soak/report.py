"""What a soak run measured, and how it is judged. Pure: no I/O."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Tally:
    """Items of one kind: how many were meant, how many the system of record holds, how many twice."""

    expected: int
    recorded: int
    duplicated: int

    @property
    def lost(self) -> int:
        return max(0, self.expected - (self.recorded - self.duplicated))


@dataclass
class SoakReport:
    applicants: int
    windows: int
    kiosks: int
    lockers: int
    seconds: float
    tallies: dict[str, Tally] = field(default_factory=dict)
    trips: list[int] = field(default_factory=list)  # window visits per completed application
    latencies: dict[str, list[float]] = field(default_factory=dict)
    memory_kib: dict[str, tuple[int, int]] = field(default_factory=dict)  # process -> (start, end) RSS
    faults: list[str] = field(default_factory=list)
    retries: int = 0
    failures: list[str] = field(default_factory=list)  # clients that gave up: the run did not finish
    unsettled: int = 0  # faults after which devices or the backlog did not recover in the stated time
    notes: list[str] = field(default_factory=list)

    @property
    def lost(self) -> int:
        return sum(tally.lost for tally in self.tallies.values())

    @property
    def duplicated(self) -> int:
        return sum(tally.duplicated for tally in self.tallies.values())

    @property
    def max_trips(self) -> int:
        return max(self.trips, default=0)

    def p99_ms(self) -> Mapping[str, float]:
        return {name: percentile(values, 0.99) * 1000 for name, values in sorted(self.latencies.items())}

    def goals_met(self) -> bool:
        return (
            not self.failures
            and not self.unsettled
            and self.lost == 0
            and self.duplicated == 0
            and self.max_trips <= 1
        )

    def render(self) -> str:
        lines = [
            f"soak: {self.applicants} applicants, {self.windows} windows, {self.kiosks} kiosks, "
            f"{self.lockers} lockers in {self.seconds:.1f} s",
            f"faults injected: {len(self.faults)}, client retries {self.retries}, "
            f"not recovered in the stated time: {self.unsettled}",
        ]
        lines += [f"  fault: {fault}" for fault in self.faults]
        lines += [f"  client gave up: {failure}" for failure in self.failures]
        for name, tally in sorted(self.tallies.items()):
            lines.append(
                f"  {name:<12} expected {tally.expected:>5}  recorded {tally.recorded:>5}  "
                f"lost {tally.lost}  duplicated {tally.duplicated}"
            )
        mean = sum(self.trips) / len(self.trips) if self.trips else math.nan
        lines.append(f"trips per complete application: mean {mean:.2f}, max {self.max_trips} (goal <= 1)")
        for name, value in self.p99_ms().items():
            lines.append(f"  p99 {name:<16} {value:8.1f} ms  (n={len(self.latencies[name])})")
        for name, (start, end) in sorted(self.memory_kib.items()):
            lines.append(
                f"  memory {name:<14} {start / 1024:7.1f} MiB at start, {end / 1024:7.1f} MiB at end"
            )
        lines += self.notes
        verdict = "met" if self.goals_met() else "NOT met"
        lines.append(f"goals (nothing lost or doubled, one trip, recovered in time): {verdict}")
        return "\n".join(lines)
