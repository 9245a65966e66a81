"""How a simulated display speaks: espeak-ng into WAV files, or a silent recorder for load tests."""

from __future__ import annotations

import logging
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)

VOICES = {"zh": "cmn", "en": "en"}


class SpeechError(RuntimeError):
    """The synthesiser is missing or failed."""


class Speaker(Protocol):
    def speak(self, text: str, language: str, name: str) -> Path | None:
        """Says `text`; returns the sound file written, if any."""
        ...


@dataclass
class EspeakSpeaker:
    """Debian's espeak-ng, Mandarin voice ``cmn`` for Chinese; one WAV per phrase in `folder`."""

    folder: Path
    binary: str = "espeak-ng"
    timeout: float = 10.0

    def __post_init__(self) -> None:
        found = shutil.which(self.binary)
        if found is None:
            raise SpeechError(f"{self.binary} is not installed (Debian package espeak-ng)")
        self._binary = found
        self.folder.mkdir(parents=True, exist_ok=True)

    def speak(self, text: str, language: str, name: str) -> Path:
        voice = VOICES.get(language)
        if voice is None:
            raise SpeechError(f"no voice for language {language!r}")
        target = self.folder / f"{name}-{language}.wav"
        try:
            subprocess.run(
                [self._binary, "-v", voice, "-w", str(target), text],
                check=True,
                capture_output=True,
                timeout=self.timeout,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as err:
            raise SpeechError(f"espeak-ng failed for {name}: {err}") from err
        return target


@dataclass
class SilentSpeaker:
    """Remembers what it was asked to say; writes nothing."""

    said: list[tuple[str, str]] = field(default_factory=list)

    def speak(self, text: str, language: str, name: str) -> Path | None:
        self.said.append((language, text))
        return None
