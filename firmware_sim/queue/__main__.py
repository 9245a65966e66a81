"""`python -m firmware_sim.queue`: runs a hall's simulated queue devices as one process, or one kind of them.

    python -m firmware_sim.queue --url mqtt://127.0.0.1:1883 --hall hall-01 --sounds var/sounds
    python -m firmware_sim.queue --only display      # just the main display, in its own process

Window devices are made for `--windows` (default 1-6, the demo hall's windows).
Stops cleanly on SIGTERM / Ctrl-C (offline status published before leaving).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from devices.protocol.device import ProtocolDevice
from firmware_sim.queue.devices import CallerKeypad, Evaluator, QueueDisplay, TicketPrinter, WindowLed
from firmware_sim.queue.speech import EspeakSpeaker, SilentSpeaker, Speaker, SpeechError

log = logging.getLogger("firmware_sim.queue")
KINDS = ("display", "led", "keypad", "evaluator", "printer")


def build(
    hall: str, windows: list[int], kinds: set[str], sounds: Path | None, slips: Path | None
) -> list[ProtocolDevice]:
    devices: list[ProtocolDevice] = []
    if "display" in kinds:
        speaker: Speaker = SilentSpeaker()
        if sounds is not None:
            try:
                speaker = EspeakSpeaker(sounds)
            except SpeechError as err:
                log.warning("%s; the display stays silent", err)
        devices.append(QueueDisplay(hall, "main-display", speaker))
    if "printer" in kinds:
        devices.append(TicketPrinter(hall, "ticket-printer-01", folder=slips))
    for number in windows:
        if "led" in kinds:
            devices.append(WindowLed(hall, f"window-{number:02d}-led", number))
        if "keypad" in kinds:
            devices.append(CallerKeypad(hall, f"window-{number:02d}-keypad", number))
        if "evaluator" in kinds:
            devices.append(Evaluator(hall, f"window-{number:02d}-evaluator", number))
    return devices


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m firmware_sim.queue", description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="MQTT broker URL (default: the hall settings' broker)")
    parser.add_argument("--hall", help="hall id (default: the hall settings' hall id)")
    parser.add_argument("--windows", default="1,2,3,4,5,6", help="window numbers, comma separated")
    parser.add_argument("--only", choices=KINDS, action="append", help="run only these kinds (repeatable)")
    parser.add_argument("--sounds", type=Path, help="folder for the display's spoken WAV files")
    parser.add_argument("--slips", type=Path, help="folder for the printer's ESC/POS slips")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    try:
        windows = [int(part) for part in args.windows.split(",") if part.strip()]
    except ValueError:
        parser.error(f"--windows takes numbers separated by commas, not {args.windows!r}")
    url, hall = args.url, args.hall
    if url is None or hall is None:
        from hall.settings import Settings

        settings = Settings()
        url = url or settings.resolved_mqtt_url
        hall = hall or settings.hall_id
    devices = build(hall, windows, set(args.only or KINDS), args.sounds, args.slips)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    for device in devices:
        device.start(url)
    log.info("%d simulated queue devices of hall %s on %s", len(devices), hall, url)
    stop.wait()
    for device in devices:
        device.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
