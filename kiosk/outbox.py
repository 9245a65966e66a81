"""Submissions kept encrypted on disk until the case service has them: nothing the applicant gave is lost.

Every submission is written here *before* it is sent (write-ahead), under a fresh idempotency key, and
removed only once the service has answered. Sending again with the same key never makes a second case.
Files are AES-256-GCM (hall/privacy.py PiiCipher) with the key as associated data, so a file cannot be
swapped for another; one that does not verify is moved aside, never silently dropped.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hall.privacy import DecryptionError, PiiCipher
from kiosk.ports import RejectedError, ServiceUnavailableError

log = logging.getLogger(__name__)

SUFFIX = ".sub"
Send = Callable[[str, dict[str, Any]], object]


class Outbox:
    def __init__(self, folder: Path, cipher: PiiCipher) -> None:
        self._folder = folder
        self._cipher = cipher
        self._lock = threading.Lock()
        self._folder.mkdir(parents=True, exist_ok=True)
        self._folder.chmod(0o700)

    @property
    def folder(self) -> Path:
        return self._folder

    def put(self, payload: dict[str, Any]) -> str:
        """Stores `payload` durably and returns its idempotency key."""
        key = uuid.uuid4().hex
        sealed = self._cipher.encrypt(json.dumps(payload, ensure_ascii=False), context=key)
        temporary = self._folder / f".{key}.tmp"
        with temporary.open("w", encoding="ascii") as handle:
            handle.write(sealed)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.chmod(0o600)
        temporary.rename(self._folder / f"{key}{SUFFIX}")
        return key

    def load(self, key: str) -> dict[str, Any]:
        sealed = (self._folder / f"{key}{SUFFIX}").read_text(encoding="ascii")
        loaded: dict[str, Any] = json.loads(self._cipher.decrypt(sealed, context=key))
        return loaded

    def remove(self, key: str) -> None:
        (self._folder / f"{key}{SUFFIX}").unlink(missing_ok=True)

    def pending(self) -> list[str]:
        files = sorted(self._folder.glob(f"*{SUFFIX}"), key=lambda path: path.stat().st_mtime)
        return [path.name.removesuffix(SUFFIX) for path in files]

    def set_aside(self, key: str, why: str) -> None:
        """Kept for staff, out of the sending queue (a rejected or unreadable submission)."""
        aside = self._folder / "set-aside"
        aside.mkdir(exist_ok=True)
        source = self._folder / f"{key}{SUFFIX}"
        if source.exists():
            source.rename(aside / source.name)
            (aside / f"{key}.why").write_text(why + "\n", encoding="utf-8")
        log.warning("outbox: submission %s set aside: %s", key, why)

    def flush(self, send: Send) -> int:
        """Sends every pending submission in order, stopping when unreachable; returns how many remain."""
        with self._lock:  # two flushes at once could send a key twice (harmless, but wasteful)
            for key in self.pending():
                try:
                    payload = self.load(key)
                except (DecryptionError, ValueError, OSError) as err:
                    self.set_aside(key, f"unreadable: {err}")
                    continue
                try:
                    send(key, payload)
                except ServiceUnavailableError:
                    break
                except RejectedError as err:
                    self.set_aside(key, f"rejected: {err.reason}")
                    continue
                self.remove(key)
                log.info("outbox: submission %s delivered", key)
            return len(self.pending())
