"""The simulated queue devices over a real broker, driven by a controller's commands: what they show,
say (espeak-ng WAV files), print (ESC/POS bytes) and send (key presses, ratings)."""

from __future__ import annotations

import shutil
import wave
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from devices.protocol import queue as contract
from devices.protocol.device import ProtocolDevice
from devices.protocol.payloads import CompletionCode
from firmware_sim.queue.devices import CallerKeypad, Evaluator, QueueDisplay, TicketPrinter, WindowLed
from firmware_sim.queue.slip import printed_text, render
from firmware_sim.queue.speech import EspeakSpeaker, SilentSpeaker
from hall_controller.controller import HallController
from hall_controller.extensions import DeviceEvent, Extension
from hall_controller.queue.voice import call_announcement
from tests.fixtures.mqtt import Broker
from tests.hall_controller.harness import controller_settings, new_hall_id, running_controller, wait_until


class Heard(Extension):
    name = "heard"
    events = frozenset({contract.KEY_EVENT, contract.RATED_EVENT})

    def start(self) -> None:
        self.events_seen: list[DeviceEvent] = []

    def on_event(self, event: DeviceEvent) -> None:
        self.events_seen.append(event)


@contextmanager
def hall_with(
    broker: Broker, tmp_path: Path, hall: str, devices: Sequence[ProtocolDevice]
) -> Iterator[tuple[HallController, Heard]]:
    settings = controller_settings(broker.url, tmp_path / "ctl", hall)
    with running_controller(settings, [Heard]) as controller:
        try:
            for device in devices:
                device.start(broker.url)
            ids = [device.device_id for device in devices]
            assert all(device.connected.wait(10) for device in devices)
            # described, not only seen: a retained status may arrive before the description
            assert wait_until(lambda: all((r := controller.registry.get(i)) and r.description for i in ids))
            heard = controller.extensions[0]
            assert isinstance(heard, Heard)
            yield controller, heard
        finally:
            for device in devices:
                device.stop()


def line(number: str, window: int, seq: int) -> contract.CallLine:
    spoken = call_announcement(number, window)
    return contract.CallLine(
        number=number,
        window=window,
        text_zh=spoken.text_zh,
        text_en=spoken.text_en,
        speech_zh=spoken.speech_zh,
        speech_en=spoken.speech_en,
        call_seq=seq,
    )


@pytest.mark.integration
@pytest.mark.slow
def test_main_display_shows_and_speaks_each_new_call_once(mosquitto: Broker, tmp_path: Path) -> None:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    sounds = tmp_path / "sounds"
    hall = new_hall_id()
    display = QueueDisplay(hall, "main-display", EspeakSpeaker(sounds))
    with hall_with(mosquitto, tmp_path, hall, [display]) as (controller, _):
        show = contract.DisplayShow(latest=line("A012", 3, 1), recent=[line("A012", 3, 1)])
        outcome = controller.send_command(
            "main-display", contract.SHOW_CALLS, show.model_dump(mode="json")
        ).result(5)
        assert outcome.ok and outcome.result == {"shown": "A012"}
        # shown again (e.g. after a restart of the controller): not spoken twice
        assert (
            controller.send_command("main-display", contract.SHOW_CALLS, show.model_dump(mode="json"))
            .result(5)
            .ok
        )
        assert display.wait_spoken(15)
        assert sorted(path.name for path in display.sounds) == ["000001-A012-en.wav", "000001-A012-zh.wav"]
        with wave.open(str(sounds / "000001-A012-zh.wav")) as sound:
            seconds = sound.getnframes() / sound.getframerate()
        assert seconds > 1.5  # a whole sentence, not an empty file


@pytest.mark.integration
def test_led_keypad_evaluator_and_printer_speak_the_contract(mosquitto: Broker, tmp_path: Path) -> None:
    hall = new_hall_id()
    led = WindowLed(hall, "window-03-led", 3)
    keypad = CallerKeypad(hall, "window-03-keypad", 3)
    evaluator = Evaluator(hall, "window-03-evaluator", 3)
    printer = TicketPrinter(hall, "ticket-printer-01", paper=1, folder=tmp_path / "slips")
    display = QueueDisplay(hall, "main-display", SilentSpeaker())
    with hall_with(mosquitto, tmp_path, hall, [led, keypad, evaluator, printer, display]) as (
        controller,
        heard,
    ):
        show = contract.LedShow(window=3, number="A012", text="A012 请到3号窗口")
        assert (
            controller.send_command("window-03-led", contract.SHOW_CALL, show.model_dump(mode="json"))
            .result(5)
            .ok
        )
        assert led.shown == show
        wrong = contract.LedShow(window=4, text="x").model_dump(mode="json")
        outcome = controller.send_command("window-03-led", contract.SHOW_CALL, wrong).result(5)
        assert outcome.code is CompletionCode.INVALID_DATA
        garbage = controller.send_command(
            "main-display", contract.SHOW_CALLS, {"latest": {"number": 5}}
        ).result(5)
        assert garbage.code is CompletionCode.INVALID_DATA and "latest" in garbage.message

        keypad.press("next", clerk="clerk-3")
        assert wait_until(lambda: any(e.name == contract.KEY_EVENT for e in heard.events_seen))
        event = next(e for e in heard.events_seen if e.name == contract.KEY_EVENT)
        assert event.device_id == "window-03-keypad" and event.kind == contract.CALLER_KEYPAD
        assert contract.KeyPress.model_validate(event.data).key is contract.KeyName.NEXT

        ask = contract.AskRating(rating_id="r-1", number="A012", window=3, timeout_seconds=30)
        assert (
            controller.send_command("window-03-evaluator", contract.ASK_RATING, ask.model_dump(mode="json"))
            .result(5)
            .ok
        )
        assert evaluator.asking == ask
        evaluator.rate(2, {"attitude": 1})
        assert wait_until(lambda: any(e.name == contract.RATED_EVENT for e in heard.events_seen))
        rated = next(e for e in heard.events_seen if e.name == contract.RATED_EVENT)
        assert contract.Rated.model_validate(rated.data).level == 2
        assert evaluator.ended == [] and evaluator.state_data["asking"] is None

        slip = contract.TicketSlip(
            number="B007",
            service_name="社保医保",
            service_name_en="Social insurance",
            ahead=4,
            estimate_minutes=17.6,
            issued_at="2026-11-23 09:12",
            qr_text="http://127.0.0.1:8100/q/B007",
        )
        outcome = controller.send_command(
            "ticket-printer-01", contract.PRINT_TICKET, slip.model_dump(mode="json")
        ).result(5)
        assert outcome.ok and outcome.result["bytes"] == len(printer.printed[0])
        text = printed_text(printer.printed[0])
        assert "B007" in text and "社保医保" in text and "您前面还有 4 人，预计等候 18 分钟" in text
        assert printer.printed[0] == (tmp_path / "slips" / "00001-B007.bin").read_bytes()
        empty = controller.send_command(
            "ticket-printer-01", contract.PRINT_TICKET, slip.model_dump(mode="json")
        ).result(5)
        assert empty.code is CompletionCode.DEVICE_NOT_READY
        assert wait_until(lambda: any(a.code == "paper-out" for a in controller.alarms.attention()))


def test_slip_bytes_are_esc_pos_with_gb18030_chinese() -> None:
    slip = contract.TicketSlip(
        number="C100",
        service_name="工程建设",
        service_name_en="Construction permits",
        ahead=0,
        estimate_minutes=0,
        issued_at="2026-11-23 10:00",
    )
    data = render(slip)
    assert data.endswith(b"\x1dVA\x00") or b"\x1dV" in data  # cut
    assert "工程建设".encode("gb18030") in data
    assert printed_text(data).splitlines()[:3] == ["工程建设", "Construction permits", "C100"]
