"""`python -m firmware_sim.window --window 1`: one window's simulated ID-card reader and document camera.

    python -m firmware_sim.window --window 1 --url mqtt://127.0.0.1:1883 --hall hall-01

Then type on stdin, one per line: person, rare (a name with 𠮷), expired, damaged, none (take the card
away), quit. Each card is read by the real SAM driver on the emulator and sent to the controller.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable

from firmware_sim.idcard.cards import SimCard, expired_identity, sample_identity
from firmware_sim.window.devices import WindowCounter, read_key_of

CARDS: dict[str, Callable[[], SimCard | None]] = {
    "person": lambda: SimCard.of(sample_identity()),
    "rare": lambda: SimCard.of(sample_identity("𠮷田花", birth_date=dt.date(1986, 4, 2), sequence=321)),
    "expired": lambda: SimCard.of(expired_identity()),
    "damaged": SimCard.damaged_card,
    "none": lambda: None,
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m firmware_sim.window", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--window", type=int, default=1)
    parser.add_argument("--url", help="MQTT broker URL (default: the hall settings' broker)")
    parser.add_argument("--hall", help="hall id (default: the hall settings' hall id)")
    args = parser.parse_args(argv)
    from hall.settings import Settings

    settings = Settings()
    url = args.url or settings.resolved_mqtt_url
    hall = args.hall or settings.hall_id
    counter = WindowCounter.build(hall, args.window, read_key=read_key_of(settings), seed=args.window)
    counter.start(url)
    print(
        f"window {args.window}: {counter.reader.device_id}, {counter.camera.device_id} on {url}", flush=True
    )
    try:
        for line in sys.stdin:
            choice = line.strip()
            if choice == "quit":
                break
            if choice not in CARDS:
                print(f"unknown: {choice!r}; one of {', '.join(CARDS)}, quit", flush=True)
                continue
            counter.present(CARDS[choice]())
            print(f"presenting: {choice}", flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        counter.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
