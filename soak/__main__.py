"""`python -m soak`: the compressed hall day; prints the report and exits 1 if a goal is missed."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import logging
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from soak.day import DayPlan, run_day

if TYPE_CHECKING:
    from tests.fixtures.postgres import PostgresCluster


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m soak", description=__doc__)
    defaults = DayPlan()
    parser.add_argument("--applicants", type=int, default=defaults.applicants)
    parser.add_argument("--windows", type=int, default=defaults.windows)
    parser.add_argument("--kiosks", type=int, default=defaults.kiosks)
    parser.add_argument("--lockers", type=int, default=defaults.lockers)
    parser.add_argument("--fault-every", type=float, default=defaults.fault_every, help="seconds; 0: none")
    parser.add_argument(
        "--arrival-seconds", type=float, default=defaults.arrival_seconds, help="mean gap per kiosk"
    )
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--database-url", default=None, help="PostgreSQL for the case service")
    parser.add_argument(
        "--model-lockers",
        action="store_true",
        help="a semaphore of compartments on the case service's locker steps instead of the real bank",
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="run the case service on a throw-away PostgreSQL cluster (initdb; restarted as a fault)",
    )
    parser.add_argument(
        "--memory-every", type=float, default=defaults.memory_every, help="seconds between RSS samples"
    )
    parser.add_argument(
        "--memtrace",
        type=float,
        default=0.0,
        help="seconds between the controller's tracemalloc dumps into WORKDIR/controller-memtrace.txt",
    )
    parser.add_argument(
        "--idle-tail",
        type=float,
        default=0.0,
        help="seconds the hall stays up idle after the day, its memory still sampled",
    )
    parser.add_argument("--workdir", type=Path, default=None, help="keep data and logs here")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    args = parser.parse_args(argv)
    # `kill` or a CI timeout: unwind, so the services this run started are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )
    plan = DayPlan(
        args.applicants,
        args.windows,
        args.kiosks,
        args.lockers,
        args.fault_every,
        args.seed,
        args.database_url,
        arrival_seconds=args.arrival_seconds,
        real_lockers=not args.model_lockers,
        memory_every=args.memory_every,
        memtrace=args.memtrace,
        idle_tail=args.idle_tail,
    )
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="hall-soak-"))
    with contextlib.ExitStack() as stack:
        restart = None
        if args.postgres:
            cluster = stack.enter_context(throwaway_postgres())
            plan = dataclasses.replace(plan, database_url=cluster.create_database("soak"))
            restart = cluster.restart
        report = run_day(plan, workdir, restart_database=restart)
    print(report.render())
    print(f"data and logs: {workdir}")
    if args.json:
        figures = {
            "lost": report.lost,
            "duplicated": report.duplicated,
            "max_trips": report.max_trips,
            "p99_ms": dict(report.p99_ms()),
            "memory_kib": report.memory_kib,
            "memory_samples": {name: curve.samples for name, curve in report.memory.items()},
            "memory_slope_kib_per_minute": {
                name: curve.slope_kib_per_minute() for name, curve in report.memory.items()
            },
            "faults": report.faults,
            "unsettled": report.unsettled,
            "notes": report.notes,
            "retries": report.retries,
            "seconds": report.seconds,
        }
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2))
    return 0 if report.goals_met() else 1


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[PostgresCluster]:
    # The test suite's cluster helper (initdb + pg_ctl on a free port), not a second copy of it.
    from tests.fixtures.postgres import _start_cluster

    base = Path(tempfile.mkdtemp(prefix="hall-soak-pg-"))
    try:
        cluster = _start_cluster(base)
        try:
            yield cluster
        finally:
            cluster.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
