"""Leak hunting: `MEMTRACE_FILE=path python tools/memtrace.py controller` runs `hall controller` with its
allocations traced (tracemalloc); `make soak --memtrace SECONDS` starts the controller this way.

Not `HALL_`-prefixed: `hall` refuses unknown HALL_ options, and this is a debugging switch, not a setting.

Off unless set; it costs CPU and memory, so it is for a soak or a test rig, not a hall. Every
`MEMTRACE_SECONDS` (default 60) the process takes a snapshot and appends to the file the sites
that grew most since the first snapshot (the baseline, taken one interval after start: imports and
start-up are before it) and since the previous one, with the traced total. A site that keeps growing
from one dump to the next is a leak; one that grew once and stays is warm-up (a cache filling to its
bound). `MEMTRACE_FRAMES` (default 8) frames are kept per allocation; the top sites are also shown
by their whole traceback. `MEMTRACE_FRAMES=0` leaves tracemalloc off (it slows every allocation) and
dumps only the live objects counted by type (gc), with what holds a few of the fastest-growing kinds.

Every dump starts with the process's native memory: RSS, glibc's malloc (bytes in use, free but held,
mmapped; `mallinfo2`), SQLite's own allocations, Python's allocated blocks and the thread count. Python
objects flat while RSS climbs means the growth is below Python: the allocator holding freed memory
(fragmentation, one arena per thread), SQLite's page caches, thread stacks.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import datetime as dt
import functools
import gc
import logging
import os
import sys
import threading
import tracemalloc
from collections import Counter
from pathlib import Path

log = logging.getLogger(__name__)

TOP = 25
TRACEBACKS = 6
IGNORED = (tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, "<frozen *>"))


class MemTrace:
    def __init__(self, path: Path, every: float, frames: int) -> None:
        self.path = path
        self.every = every
        self.frames = frames
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memtrace", daemon=True)
        self._baseline: tracemalloc.Snapshot | None = None
        self._previous: tracemalloc.Snapshot | None = None
        self._types: Counter[str] | None = None

    def start(self) -> MemTrace:
        if self.frames > 0:
            tracemalloc.start(self.frames)
        self._thread.start()
        log.warning(
            "memory tracing on (%d frames), dumps to %s every %.0f s", self.frames, self.path, self.every
        )
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.dump()

    def dump(self) -> None:
        lines = [native_memory()]
        lines += self.type_growth()
        if self.frames > 0:
            lines += self.allocation_growth()
        with self.path.open("a", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")

    def type_growth(self) -> list[str]:
        """Live objects by type, against the previous dump; for the top kinds, who holds one."""
        objects = gc.get_objects()
        counts = Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in objects)
        lines = [f"== {dt.datetime.now(dt.UTC):%H:%M:%S} {len(objects)} gc-tracked objects"]
        if self._types is not None:
            grown = (counts - self._types).most_common(TOP)
            lines.append("-- live objects by type, growth since the previous dump")
            lines += [f"  {name}: {counts[name]} ({count:+d})" for name, count in grown]
            for name, _count in grown[:3]:
                sample = next(
                    o for o in reversed(objects) if f"{type(o).__module__}.{type(o).__qualname__}" == name
                )
                lines.append(f"  held by: {name} <- {_holders(sample, objects)}")
        self._types = counts
        del objects
        return lines

    def allocation_growth(self) -> list[str]:
        snapshot = tracemalloc.take_snapshot().filter_traces(IGNORED)
        current, peak = tracemalloc.get_traced_memory()
        lines = [
            f"== {dt.datetime.now(dt.UTC):%H:%M:%S} traced {current / 1024:.0f} KiB (peak {peak / 1024:.0f})"
        ]
        if self._baseline is None:
            self._baseline = snapshot
            lines.append("baseline taken")
        else:
            lines.append("-- growth since the baseline, by line")
            lines += [f"  {stat}" for stat in snapshot.compare_to(self._baseline, "lineno")[:TOP]]
            if self._previous is not None:
                lines.append("-- growth since the previous dump, by line")
                lines += [f"  {stat}" for stat in snapshot.compare_to(self._previous, "lineno")[:TOP]]
            lines.append("-- growth since the baseline, by traceback")
            for stat in snapshot.compare_to(self._baseline, "traceback")[:TRACEBACKS]:
                lines.append(f"  {stat.size_diff / 1024:+.1f} KiB, {stat.count_diff:+d} blocks")
                lines += [f"    {line}" for line in stat.traceback.format()]
        self._previous = snapshot
        return lines


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


@functools.cache
def _library(name: str) -> ctypes.CDLL | None:
    """Loaded on the first dump, not at import: the controller imports this module on every start."""
    found = ctypes.util.find_library(name)
    try:
        return ctypes.CDLL(found) if found else None
    except OSError:
        return None


MIB = 1024 * 1024


def native_memory() -> str:
    """One line: RSS, malloc's bytes in use / free but held / mmapped, SQLite's, Python's blocks."""
    parts = []
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        parts.append(f"rss {pages * os.sysconf('SC_PAGE_SIZE') / MIB:.1f} MiB")
    except (OSError, ValueError, IndexError):
        pass
    mallinfo2 = getattr(_library("c"), "mallinfo2", None)
    if mallinfo2 is not None:  # glibc 2.33+
        mallinfo2.restype = _MallInfo2
        info = mallinfo2()
        parts.append(
            f"malloc in use {info.uordblks / MIB:.1f} MiB, free held {info.fordblks / MIB:.1f} MiB, "
            f"mmapped {info.hblkhd / MIB:.1f} MiB"
        )
    # The library the sqlite3 module loaded: the same handle, the same counters.
    used = getattr(_library("sqlite3"), "sqlite3_memory_used", None)
    if used is not None:
        used.restype = ctypes.c_int64
        parts.append(f"sqlite {used() / MIB:.1f} MiB")
    parts.append(f"python blocks {sys.getallocatedblocks()}, threads {threading.active_count()}")
    return f"== {dt.datetime.now(dt.UTC):%H:%M:%S} native: " + ", ".join(parts)


def _holders(thing: object, skip: object, depth: int = 2) -> str:
    """The types of what refers to `thing`, and (depth 2) what refers to those: the container's owner."""
    found = []
    for holder in gc.get_referrers(thing)[:4]:
        if holder is skip:
            continue
        size = f"[{len(holder)}]" if isinstance(holder, (dict, list, set, tuple)) else ""
        text = type(holder).__qualname__ + size
        if depth > 1:
            text += f" <- ({_holders(holder, skip, depth - 1)})"
        found.append(text)
    return ", ".join(found)


def start_from_env() -> MemTrace | None:
    """Starts tracing when `MEMTRACE_FILE` is set; None otherwise."""
    target = os.environ.get("MEMTRACE_FILE", "")
    if not target:
        return None
    every = float(os.environ.get("MEMTRACE_SECONDS", "60"))
    frames = int(os.environ.get("MEMTRACE_FRAMES", "8"))
    return MemTrace(Path(target), every, frames).start()


def main(argv: list[str]) -> None:
    """`python tools/memtrace.py COMMAND ...`: `hall COMMAND ...` in this process, traced from its start."""
    from hall.cli import main as hall_main

    tracing = start_from_env()
    sys.argv = ["hall", *argv]
    try:
        hall_main()
    finally:
        if tracing is not None:
            tracing.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
