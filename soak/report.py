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


@dataclass(frozen=True)
class MemoryCurve:
    """One process's RSS through a run: (seconds since start, KiB) samples, and how it is read.

    The first `warm_up` of the run is imports, caches and pools filling to their bounds; growth after
    it is what a longer day would keep adding: the slope is a least-squares line through the samples
    after warm-up, in KiB per minute (goal: about 0).
    """

    samples: tuple[tuple[float, int], ...]
    warm_up: float

    @property
    def start(self) -> int:
        return self.samples[0][1] if self.samples else 0

    @property
    def end(self) -> int:
        return self.samples[-1][1] if self.samples else 0

    @property
    def after_warm_up(self) -> int:
        """RSS at the first sample at or after the warm-up (the end when the run was shorter)."""
        return next((kib for at, kib in self.samples if at >= self.warm_up), self.end)

    @property
    def peak(self) -> int:
        return max((kib for _at, kib in self.samples), default=0)

    def slope_kib_per_minute(self) -> float:
        points = [(at, kib) for at, kib in self.samples if at >= self.warm_up]
        if len(points) < 3:
            return math.nan
        mean_t = sum(at for at, _ in points) / len(points)
        mean_k = sum(kib for _, kib in points) / len(points)
        spread = sum((at - mean_t) ** 2 for at, _ in points)
        if spread == 0:
            return math.nan
        return 60.0 * sum((at - mean_t) * (kib - mean_k) for at, kib in points) / spread

    def render(self, name: str) -> str:
        return (
            f"  memory {name:<14} {self.start / 1024:7.1f} MiB at start, "
            f"{self.after_warm_up / 1024:7.1f} after warm-up ({self.warm_up:.0f} s), "
            f"{self.peak / 1024:7.1f} peak, {self.end / 1024:7.1f} at end; "
            f"after warm-up {self.slope_kib_per_minute() / 1024:+.2f} MiB/min ({len(self.samples)} samples)"
        )


def memory_curve(samples: Sequence[tuple[float, int]], warm_up_fraction: float = 0.25) -> MemoryCurve:
    """The curve of one process's samples; the warm-up is the first `warm_up_fraction` of the run.
    Samples of 0 (the process was down, between a crash and its restart) are left out."""
    kept = tuple((at, kib) for at, kib in samples if kib > 0)
    length = kept[-1][0] - kept[0][0] if kept else 0.0
    return MemoryCurve(kept, (kept[0][0] if kept else 0.0) + warm_up_fraction * length)


def idle_tail_note(name: str, samples: Sequence[tuple[float, int]], since: float) -> str:
    """One process's RSS over the idle tail (the samples from `since` on): first, last, least-squares
    slope. Flat here with the day's tickets still held means their growth was the day's data."""
    tail = MemoryCurve(tuple((at, kib) for at, kib in samples if at >= since and kib > 0), since)
    return (
        f"idle tail of {name}: {tail.start / 1024:.1f} → {tail.end / 1024:.1f} MiB, "
        f"{tail.slope_kib_per_minute() / 1024:+.2f} MiB/min ({len(tail.samples)} samples)"
    )


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
    # process -> RSS through the run (of a restarted process: its last instance)
    memory: dict[str, MemoryCurve] = field(default_factory=dict)
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
            if name in self.memory:
                lines.append(self.memory[name].render(name))
                continue
            lines.append(
                f"  memory {name:<14} {start / 1024:7.1f} MiB at start, {end / 1024:7.1f} MiB at end"
            )
        lines += self.notes
        verdict = "met" if self.goals_met() else "NOT met"
        lines.append(f"goals (nothing lost or doubled, one trip, recovered in time): {verdict}")
        return "\n".join(lines)
