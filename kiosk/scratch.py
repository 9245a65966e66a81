"""A session's scratch folder (captured page images) and the wipe that ends a session."""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from pathlib import Path

log = logging.getLogger(__name__)


class Scratch:
    """One folder per session under `root`; `wipe` overwrites and deletes everything in it."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._root.mkdir(parents=True, exist_ok=True)
        self._root.chmod(0o700)

    @property
    def root(self) -> Path:
        return self._root

    def save(self, serial: int, data: bytes, suffix: str = ".png") -> Path:
        folder = self._root / f"session-{serial}"
        folder.mkdir(exist_ok=True)
        path = folder / f"{uuid.uuid4().hex}{suffix}"
        path.write_bytes(data)
        path.chmod(0o600)
        return path

    def wipe(self, serial: int | None = None) -> int:
        """Overwrites then deletes the files of one session (or of all, at start-up). Returns files wiped."""
        folders = [self._root / f"session-{serial}"] if serial is not None else list(self._root.iterdir())
        wiped = 0
        for folder in folders:
            if not folder.is_dir():
                continue
            for path in folder.rglob("*"):
                if path.is_file():
                    _overwrite(path)
                    wiped += 1
            shutil.rmtree(folder, ignore_errors=True)
        return wiped


def _overwrite(path: Path) -> None:
    # On flash storage this is no guarantee, but it keeps the bytes out of a simple undelete.
    try:
        size = path.stat().st_size
        with path.open("r+b") as handle:
            handle.write(b"\0" * size)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as err:
        log.warning("scratch: could not overwrite %s before deleting it: %s", path.name, err)
    path.unlink(missing_ok=True)
