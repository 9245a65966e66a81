"""The notification outbox: encrypted at rest, nothing lost when the SMS provider fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hall.privacy import PiiCipher
from hall_controller.lockers.notify import FileSmsProvider, Outbox
from hall_controller.lockers.ports import SmsError
from hall_controller.lockers.repository import LockerRepository

KEY = b"outbox-test-key-0123456789abcdef"


class FlakyProvider:
    def __init__(self) -> None:
        self.down = True
        self.sent: list[tuple[str, str, str | None]] = []

    def send(self, phone: str, text: str, qr: str | None = None) -> None:
        if self.down:
            raise SmsError("provider unreachable")
        self.sent.append((phone, text, qr))


@pytest.fixture
def repository(tmp_path: Path) -> LockerRepository:
    repository = LockerRepository(f"sqlite:///{tmp_path / 'outbox.db'}")
    repository.create_schema()
    return repository


def test_a_failing_provider_keeps_the_message_until_it_is_back(repository: LockerRepository) -> None:
    provider = FlakyProvider()
    outbox = Outbox(repository, PiiCipher({"k": KEY}, "k"), provider)
    outbox.enqueue("13812345678", "取件码 12345678", 1.0, qr="HALLBOX1:d1:secret")
    assert outbox.dispatch() == 0
    [pending] = repository.pending_messages()
    assert pending.tries == 1 and "unreachable" in pending.error
    assert "13812345678" not in pending.recipient and "12345678" not in pending.body
    assert "secret" not in pending.body
    provider.down = False
    assert outbox.dispatch() == 1
    assert provider.sent == [("13812345678", "取件码 12345678", "HALLBOX1:d1:secret")]
    assert repository.pending_messages() == []
    assert outbox.dispatch() == 0  # sent once only


def test_the_file_provider_masks_the_phone(tmp_path: Path) -> None:
    sink = tmp_path / "sms" / "out.jsonl"
    FileSmsProvider(sink).send("13812345678", "您好")
    text = sink.read_text("utf-8")
    assert "138****5678" in text and "13812345678" not in text and "您好" in text


def test_an_unwritable_file_is_an_sms_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(SmsError):
        FileSmsProvider(blocker / "out.jsonl").send("13812345678", "x")


def test_the_file_provider_writes_a_qr_that_scans_back(tmp_path: Path) -> None:
    import zxingcpp
    from PIL import Image

    sink = tmp_path / "out.jsonl"
    FileSmsProvider(sink).send("13812345678", "取件", qr="HALLBOX1:abc:s3cr3t")
    entry = json.loads(sink.read_text("utf-8"))
    [decoded] = zxingcpp.read_barcodes(Image.open(sink.parent / entry["qr_png"]))
    assert decoded.text == "HALLBOX1:abc:s3cr3t"
