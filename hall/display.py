"""A display for the kiosk window: the real one when there is one, else a virtual Xvfb screen."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from hall.errors import StartupError

X11_SOCKETS = Path("/tmp/.X11-unix")  # noqa: S108 - where every X server puts its socket


@dataclass
class VirtualDisplay:
    number: int
    process: subprocess.Popen[bytes]

    @property
    def name(self) -> str:
        return f":{self.number}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _free_display_number(start: int = 90) -> int:
    for number in range(start, start + 100):
        if not (X11_SOCKETS / f"X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():  # noqa: S108
            return number
    raise StartupError("no free X display number between :90 and :189")


def _lock_holder(number: int) -> int | None:
    """The pid in the display's lock file: the socket alone may be another server's that took the number
    first (a parallel test worker), while ours is about to exit."""
    try:
        return int(Path(f"/tmp/.X{number}-lock").read_text().strip())  # noqa: S108 - X's own lock file
    except (OSError, ValueError):
        return None


def start_virtual_display(width: int = 1920, height: int = 1080, depth: int = 24) -> VirtualDisplay:
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        raise StartupError("Xvfb is not installed (Debian package xvfb); run scripts/bootstrap.sh")
    start = 90 + os.getpid() % 50  # parallel test workers start their search at different numbers
    for _attempt in range(5):
        number = _free_display_number(start)
        process = subprocess.Popen(
            [xvfb, f":{number}", "-screen", "0", f"{width}x{height}x{depth}", "-nolisten", "tcp", "-noreset"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # Its own session: a terminal's Ctrl-C (SIGINT to the foreground group) must not end the
            # display under a running kiosk; `hall demo` stops it after the kiosk.
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and process.poll() is None:
            if (X11_SOCKETS / f"X{number}").exists() and _lock_holder(number) == process.pid:
                return VirtualDisplay(number, process)
            time.sleep(0.05)
        process.kill()
        process.wait()
        start = number + 1  # taken by someone else meanwhile: try the next one
    raise StartupError("Xvfb did not start after 5 attempts")


def has_real_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
