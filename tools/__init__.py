"""Developers' tools around the hall, not part of the product: none of its processes imports them.

- `kiosk_drive.py`: a scripted run of the real kiosk (screenshots, layout checks, timings), used by the
  kiosk tests and `bench kiosk`.
- `memtrace.py`: a process's memory growth, dumped periodically (leak hunting in `make soak`).
"""

from pathlib import Path

# Run as scripts (`python tools/kiosk_drive.py ...`), so they work from any working directory.
KIOSK_DRIVE = Path(__file__).with_name("kiosk_drive.py")
MEMTRACE = Path(__file__).with_name("memtrace.py")
