"""`python -m firmware_sim.idcard sam|vpcd`: an ID-card emulator for manual runs and demos.

    python -m firmware_sim.idcard sam --present person       # prints the pty to give the SAM driver
    python -m firmware_sim.idcard vpcd --port 35963           # inserts into a running pcscd's vpcd slot

Then type on stdin, one per line: person, expired, damaged, bad-check-digit, none, quit.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from firmware_sim.idcard.cards import SimCard, expired_identity, sample_identity, with_bad_check_digit

PRESENTATIONS: dict[str, Callable[[], SimCard | None]] = {
    "person": lambda: SimCard.of(sample_identity()),
    "expired": lambda: SimCard.of(expired_identity()),
    "damaged": SimCard.damaged_card,
    "bad-check-digit": lambda: SimCard.of(with_bad_check_digit(sample_identity())),
    "none": lambda: None,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m firmware_sim.idcard", description=__doc__.splitlines()[0]
    )
    parser.add_argument("kind", choices=("sam", "vpcd"))
    parser.add_argument("--present", choices=sorted(PRESENTATIONS), default="person")
    parser.add_argument("--port", type=int, default=35963, help="vpcd slot port (vpcd only)")
    parser.add_argument("--host", default="127.0.0.1", help="vpcd host (vpcd only)")
    args = parser.parse_args(argv)

    present: Callable[[SimCard | None], None]
    if args.kind == "sam":
        from firmware_sim.idcard.sam_emulator import SamReaderEmulator

        sam = SamReaderEmulator().start()

        def present(card: SimCard | None) -> None:
            if card is None:
                sam.remove_card()
            else:
                sam.present(card)

        stop = sam.stop
        print(f"SAM reader on {sam.port}", flush=True)
    else:
        from firmware_sim.idcard.vpcd_card import VirtualCard, VpcdCardEmulator

        vpcd = VpcdCardEmulator(args.port, args.host)

        def present(card: SimCard | None) -> None:
            if card is None:
                vpcd.remove()
            else:
                vpcd.insert(VirtualCard(card))

        stop = vpcd.remove
        print(f"vpcd card for {args.host}:{args.port}", flush=True)
    try:
        present(PRESENTATIONS[args.present]())
        print(f"presenting: {args.present}", flush=True)
        for line in sys.stdin:
            choice = line.strip()
            if choice == "quit":
                break
            if choice not in PRESENTATIONS:
                print(f"unknown: {choice!r}; one of {', '.join(PRESENTATIONS)}, quit", flush=True)
                continue
            present(PRESENTATIONS[choice]())
            print(f"presenting: {choice}", flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
