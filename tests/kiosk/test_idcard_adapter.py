"""The kiosk's card reader port on the real SAM driver, talking to firmware_sim's reader emulator (pty)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devices.idcard.config import IdCardSettings
from devices.idcard.factory import OpenedReader, open_card_reader
from firmware_sim.idcard.cards import SimCard, expired_identity, sample_identity
from kiosk.adapters.idcard import IdCardReader
from kiosk.flow.model import Device
from kiosk.ports import DeviceFailureError

pytestmark = pytest.mark.integration


@pytest.fixture
def opened() -> Iterator[OpenedReader]:
    reader = open_card_reader("sim", IdCardSettings(interface="sam", timeout_seconds=0.5))
    yield reader
    reader.close()


def test_card_on_off_and_an_expired_card(opened: OpenedReader) -> None:
    port = IdCardReader(opened.reader, recheck_seconds=0.0)
    assert port.current_card() is None
    identity = sample_identity("王芳")
    opened.present(SimCard.of(identity))
    card = port.current_card()
    assert card is not None and card.name == "王芳" and card.id_number == identity.id_number
    assert identity.id_number not in repr(card)
    opened.present(None)
    assert port.current_card() is None
    opened.present(SimCard.of(expired_identity()))
    assert port.current_card() is None  # no session starts with an expired card


def test_unplugged_reader_is_a_device_failure(opened: OpenedReader) -> None:
    port = IdCardReader(opened.reader, recheck_seconds=0.0)
    assert opened.sam_emulator is not None
    opened.sam_emulator.unplug()
    with pytest.raises(DeviceFailureError) as failed:
        port.current_card()
    assert failed.value.device is Device.CARD_READER
