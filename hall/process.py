"""Starting, watching and stopping the hall's processes (used by `hall demo` and the tests)."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

# A child that was asked to stop ends with 0, or by the SIGTERM it was sent (uvicorn re-raises it after its
# graceful shutdown, so the exit status tells the caller which signal stopped it).
CLEAN_STOP_CODES = (0, -signal.SIGTERM)


@dataclass
class ChildProcess:
    name: str
    argv: Sequence[str]
    log_path: Path
    env: Mapping[str, str] = field(default_factory=dict)
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log_file = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            list(self.argv),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **self.env},
            start_new_session=True,  # Ctrl-C reaches the supervisor, which stops children in order
        )
        log_file.close()

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, timeout: float = 10.0) -> int | None:
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop within %.0f s; killing it", self.name, timeout)
                self.popen.kill()
                self.popen.wait(5)
        return self.popen.returncode

    def tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def hall_command(*args: str) -> list[str]:
    """Runs a `hall` sub-command with this interpreter, whether or not the script is on PATH."""
    return [sys.executable, "-m", "hall", *args]


@dataclass
class Supervisor:
    """Starts children in order, waits until each is ready, stops them in reverse order."""

    children: list[ChildProcess] = field(default_factory=list)

    def start(self, child: ChildProcess, ready: Callable[[], bool], timeout: float) -> None:
        self.children.append(child)
        child.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not child.running:
                raise RuntimeError(f"{child.name} exited during start-up:\n{child.tail()}")
            if ready():
                return
            time.sleep(0.1)
        raise RuntimeError(f"{child.name} was not ready within {timeout:.0f} s:\n{child.tail()}")

    def first_exited(self) -> ChildProcess | None:
        return next((child for child in self.children if not child.running), None)

    def stop_all(self) -> None:
        for child in reversed(self.children):
            code = child.stop()
            if code in CLEAN_STOP_CODES:
                log.info("stopped %s", child.name)
            else:
                log.warning(
                    "%s ended with exit code %s while stopping; see %s", child.name, code, child.log_path
                )
