"""Developers' tools around the hall, not part of the product: none of its processes imports them.

- `kiosk_touch.py`: the real kiosk touched under Xvfb (`python -m tools.kiosk_touch`, from the repository):
  the finger, the hall simulator's hands, the layout check; `kiosk_tour.py`: the screen tour and the
  bench's journey it runs. Used by the kiosk's touch and screen tests and `bench kiosk`.
- `kiosk_drive.py`: the old end-to-end script of the kiosk (posts flow events), for test_end_to_end.py.
- `memtrace.py`: a process's memory growth, dumped periodically (leak hunting in `make soak`).
"""

from pathlib import Path

# Run as scripts (`python tools/kiosk_drive.py ...`), so they work from any working directory.
KIOSK_DRIVE = Path(__file__).with_name("kiosk_drive.py")
MEMTRACE = Path(__file__).with_name("memtrace.py")
