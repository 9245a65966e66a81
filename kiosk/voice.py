"""Voice guidance with espeak-ng: Mandarin (`cmn`) or English. Spoken off the UI thread by the runner."""

from __future__ import annotations

import itertools
import logging
import shutil
import subprocess
import threading
from pathlib import Path

from kiosk.flow.model import Language

log = logging.getLogger(__name__)

VOICES = {Language.ZH: "cmn", Language.EN: "en"}


class EspeakVoice:
    """Speaks aloud, or into numbered WAV files in `wav_folder` (tests, machines without sound)."""

    def __init__(self, *, wav_folder: Path | None = None, speed: int = 150, timeout: float = 20.0) -> None:
        self._binary = shutil.which("espeak-ng")
        self._wav_folder = wav_folder
        self._speed = speed
        self._timeout = timeout
        self._counter = itertools.count(1)
        self._lock = threading.Lock()  # one utterance at a time: they must not talk over each other

    @property
    def available(self) -> bool:
        return self._binary is not None

    def say(self, text: str, language: Language) -> None:
        if self._binary is None:
            log.warning("voice: espeak-ng is not installed; guidance is on screen only")
            return
        command = [self._binary, "-v", VOICES[language], "-s", str(self._speed), "--stdin"]
        with self._lock:
            if self._wav_folder is not None:
                self._wav_folder.mkdir(parents=True, exist_ok=True)
                command += ["-w", str(self._wav_folder / f"{next(self._counter):04d}-{language.value}.wav")]
            try:
                subprocess.run(
                    command, input=text.encode(), check=True, timeout=self._timeout, capture_output=True
                )
            except (subprocess.SubprocessError, OSError) as err:
                log.warning("voice: espeak-ng failed: %s", err)


class SilentVoice:
    """Records what would have been said."""

    def __init__(self) -> None:
        self.said: list[tuple[str, Language]] = []

    def say(self, text: str, language: Language) -> None:
        self.said.append((text, language))
