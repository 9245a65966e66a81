"""`python -m bench [name ...]`: runs every bench/bench_*.py (or the named ones) and prints one table each."""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

from bench.core import Figure, format_table


def main(argv: list[str]) -> int:
    folder = Path(__file__).parent
    names = argv or sorted(path.stem.removeprefix("bench_") for path in folder.glob("bench_*.py"))
    failed = 0
    for name in names:
        module = importlib.import_module(f"bench.bench_{name}")
        print(f"\n== {name}: {(module.__doc__ or '').strip().splitlines()[0]}", flush=True)
        started = time.monotonic()
        try:
            figures: list[Figure] = module.run()
        except Exception as err:  # one broken benchmark must not hide the others
            failed += 1
            print(f"FAILED: {type(err).__name__}: {err}")
            continue
        print(format_table(figures))
        print(f"({time.monotonic() - started:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
