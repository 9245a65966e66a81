"""The kiosk's card reader port on the real SAM driver, talking to firmware_sim's reader emulator (pty)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devices.idcard.config import IdCardSettings
from firmware_sim.idcard.cards import SimCard, expired_identity, sample_identity, with_bad_check_digit
from firmware_sim.idcard.reader import SimulatedReader, open_simulated_card_reader
from kiosk.adapters.idcard import IdCardReader
from kiosk.flow.model import CardRefusal, Device
from kiosk.ports import CardRefusedError, DeviceFailureError

pytestmark = pytest.mark.integration


@pytest.fixture
def opened() -> Iterator[SimulatedReader]:
    reader = open_simulated_card_reader(IdCardSettings(interface="sam", timeout_seconds=0.5))
    yield reader
    reader.close()


def test_card_on_and_off(opened: SimulatedReader) -> None:
    port = IdCardReader(opened.reader, recheck_seconds=0.0)
    assert port.current_card() is None
    identity = sample_identity("王芳")
    opened.present(SimCard.of(identity))
    card = port.current_card()
    assert card is not None and card.name == "王芳" and card.id_number == identity.id_number
    assert identity.id_number not in repr(card)
    opened.present(None)
    assert port.current_card() is None


@pytest.mark.parametrize(
    ("card", "reason"),
    [
        (SimCard.of(expired_identity()), CardRefusal.EXPIRED),
        (SimCard.damaged_card(), CardRefusal.UNREADABLE),
        (SimCard.of(with_bad_check_digit(sample_identity("李四"))), CardRefusal.UNREADABLE),
    ],
    ids=["expired", "damaged", "bad-check-digit"],
)
def test_a_card_that_cannot_start_a_session_is_refused_with_its_reason(
    opened: SimulatedReader, card: SimCard, reason: CardRefusal
) -> None:
    port = IdCardReader(opened.reader, recheck_seconds=0.0)
    opened.present(card)
    with pytest.raises(CardRefusedError) as refused:
        port.current_card()
    assert refused.value.reason is reason
    opened.present(None)
    assert port.current_card() is None


def test_unplugged_reader_is_a_device_failure(opened: SimulatedReader) -> None:
    port = IdCardReader(opened.reader, recheck_seconds=0.0)
    assert opened.sam_emulator is not None
    opened.sam_emulator.unplug()
    with pytest.raises(DeviceFailureError) as failed:
        port.current_card()
    assert failed.value.device is Device.CARD_READER
