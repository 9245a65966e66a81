"""The encrypted outbox, the session scratch folder and its wipe, and espeak-ng voice guidance."""

from __future__ import annotations

import shutil
import wave
from pathlib import Path
from typing import Any

import pytest

from hall.privacy import PiiCipher
from kiosk.flow.model import Language
from kiosk.outbox import Outbox
from kiosk.ports import RejectedError, ServiceUnavailableError
from kiosk.scratch import Scratch
from kiosk.voice import EspeakVoice
from tests.kiosk.harness import TEST_KEY


@pytest.fixture
def outbox(tmp_path: Path) -> Outbox:
    return Outbox(tmp_path / "outbox", PiiCipher.from_config(TEST_KEY))


def test_round_trip_and_order(outbox: Outbox) -> None:
    first = outbox.put({"n": 1, "name": "张三"})
    second = outbox.put({"n": 2})
    assert outbox.pending() == [first, second]
    assert outbox.load(first) == {"n": 1, "name": "张三"}
    assert (outbox.folder / f"{first}.sub").stat().st_mode & 0o777 == 0o600


def test_flush_stops_when_unreachable_and_keeps_everything(outbox: Outbox) -> None:
    keys = [outbox.put({"n": n}) for n in range(3)]
    sent: list[str] = []

    def send(key: str, payload: dict[str, Any]) -> None:
        if len(sent) == 1:
            raise ServiceUnavailableError("down again")
        sent.append(key)

    assert outbox.flush(send) == 2
    assert sent == keys[:1] and outbox.pending() == keys[1:]


def test_rejected_and_tampered_are_set_aside_not_lost(outbox: Outbox) -> None:
    rejected = outbox.put({"n": 1})
    tampered = outbox.put({"n": 2})
    path = outbox.folder / f"{tampered}.sub"
    sealed = path.read_text()
    path.write_text(sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB"))

    def send(key: str, payload: dict[str, Any]) -> None:
        raise RejectedError("service_error", "bad item")

    assert outbox.flush(send) == 0
    aside = sorted(p.name for p in (outbox.folder / "set-aside").iterdir())
    assert aside == sorted([f"{rejected}.sub", f"{rejected}.why", f"{tampered}.sub", f"{tampered}.why"])
    assert "unreadable" in (outbox.folder / "set-aside" / f"{tampered}.why").read_text()


def test_a_file_moved_to_another_key_does_not_verify(outbox: Outbox) -> None:
    key = outbox.put({"n": 1})
    (outbox.folder / f"{key}.sub").rename(outbox.folder / "0123.sub")
    assert outbox.flush(lambda k, p: None) == 0
    assert (outbox.folder / "set-aside" / "0123.sub").exists()


def test_scratch_wipe_per_session_and_all(tmp_path: Path) -> None:
    scratch = Scratch(tmp_path / "scratch")
    one = scratch.save(1, b"\x89PNG page one")
    two = scratch.save(2, b"\x89PNG page two")
    assert scratch.wipe(1) == 1 and not one.exists() and two.exists()
    assert scratch.wipe() == 1 and list(scratch.root.iterdir()) == []
    assert scratch.wipe(7) == 0


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_voice_speaks_mandarin_and_english_into_wav(tmp_path: Path) -> None:
    voice = EspeakVoice(wav_folder=tmp_path)
    voice.say("请将身份证放在读卡区。", Language.ZH)
    voice.say("-Place your ID card on the reader.", Language.EN)  # a leading dash is text, not an option
    files = sorted(tmp_path.glob("*.wav"))
    assert [f.name for f in files] == ["0001-zh.wav", "0002-en.wav"]
    for file in files:
        with wave.open(str(file)) as audio:
            assert audio.getnframes() / audio.getframerate() > 0.8
