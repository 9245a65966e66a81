"""Developers' tools around the hall, not part of the product: none of its processes imports them.

- `kiosk_touch.py`: the real kiosk touched under Xvfb (`python -m tools.kiosk_touch`, from the repository):
  the finger, the hall simulator's hands, the layout check; `kiosk_tour.py`: the screen tour and the
  bench's journey it runs. Used by the kiosk's touch and screen tests and `bench kiosk`.
- `memtrace.py`: a process's memory growth, dumped periodically (leak hunting in `make soak`).
"""

from pathlib import Path

# Run as scripts (`python tools/memtrace.py ...`), so they work from any working directory.
MEMTRACE = Path(__file__).with_name("memtrace.py")
