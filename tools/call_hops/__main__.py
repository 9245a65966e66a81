"""Reads the stamps of tools/call_hops (see its __init__): each hop's spread, then the slowest calls."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

HOPS = ("press", "key_sent", "key_arrived", "show_handed", "show_sent", "show_arrived", "shown")


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main(directory: Path, worst: int) -> None:
    rows: list[tuple[float, str, str, str]] = []
    for path in directory.glob("stamps.*"):
        for line in path.read_text().splitlines():
            at, process, thread_id, text = line.split(" ", 3)
            rows.append((float(at), process, thread_id, text))
    rows.sort()
    calls: list[dict[str, float]] = []
    for moment, _pid, _thread, label in rows:
        name = label.split(" ")[0]
        if name == "press":
            calls.append({"press": moment})
        # a hop counts only after the one before it: the previous call's late lines are not this one's
        elif calls and name in HOPS and name not in calls[-1] and HOPS[HOPS.index(name) - 1] in calls[-1]:
            calls[-1][name] = moment
    calls = [call for call in calls if "shown" in call]
    print(f"{len(calls)} calls")
    for before, after in itertools.pairwise(HOPS):
        spans = [(call[after] - call[before]) * 1000 for call in calls]
        spread = "  ".join(f"p{p:g} {_percentile(spans, p / 100):6.3f}" for p in (50, 90, 99))
        print(f"{before:>12} → {after:<12} {spread}  max {max(spans):6.3f} ms")
    totals = [(call["shown"] - call["press"]) * 1000 for call in calls]
    print(f"{'whole call':>27} p50 {_percentile(totals, 0.5):6.3f}  p99 {_percentile(totals, 0.99):6.3f} ms")
    for call in sorted(calls, key=lambda c: c["shown"] - c["press"])[len(calls) - worst :]:
        print(
            f"--- a call of {(call['shown'] - call['press']) * 1000:.3f} ms (ms from the press, pid, thread)"
        )
        for moment, pid, thread, label in rows:
            if call["press"] - 0.002 <= moment <= call["shown"]:
                print(f"  {(moment - call['press']) * 1000:8.3f} {pid} {thread} {label}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 3)
