"""Every alarm code the controller or a device may raise has its instruction, in Chinese and English."""

from __future__ import annotations

from devices.protocol.health import HealthCode
from hall_controller.alarm_guide import GENERAL, GUIDE, instruction
from hall_controller.alarms import EVENTS
from hall_controller.lockers import service as lockers


def test_every_code_has_its_own_instruction_in_both_languages() -> None:
    codes = (
        {code.value for code in HealthCode}
        | set(EVENTS)
        | {
            lockers.DOOR_OPENED_WITHOUT_UNLOCK,
            lockers.DOOR_EVENT_UNCONFIRMED,
            lockers.PICKUP_GUESSING,
            *lockers.DOOR_ALARMS.values(),
        }
    )
    assert codes == set(GUIDE)  # no code without its instruction, no instruction for no code
    for code in codes:
        said = instruction(code)
        assert said is not GENERAL, code
        assert said.zh and said.en and said.zh != said.en, code
        assert any("\u4e00" <= char <= "\u9fff" for char in said.zh), code
    assert len({each.en for each in GUIDE.values()}) >= len(GUIDE) - 2  # not one text copied everywhere


def test_an_unknown_code_gets_the_general_instruction() -> None:
    assert instruction("smoke-in-the-printer") is GENERAL
