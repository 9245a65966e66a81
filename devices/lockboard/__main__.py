"""`python -m devices.lockboard --port /dev/ttyUSB0 --layout 1:0:S,1:1:M,...`: a gateway on real boards.

Broker and hall come from the `HALL_*` settings, as for every process of the hall.
"""

from __future__ import annotations

import argparse
import sys

from devices.lockboard.bank import LockerBank
from devices.lockboard.board import LockBoardError
from devices.lockboard.gateway import LockerGateway, parse_layout, serve
from devices.lockboard.serial_bus import SerialLockBus
from hall.errors import StartupError
from hall.logging import configure_logging
from hall.settings import get_settings


def main(argv: list[str], prog: str = "python -m devices.lockboard") -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__)
    parser.add_argument("--port", required=True, help="the RS485 adapter, e.g. /dev/ttyUSB0")
    parser.add_argument("--layout", required=True, help="BOARD:LOCK:SIZE per compartment, comma-separated")
    parser.add_argument("--device-id", default="locker-bank-01")
    parser.add_argument("--left-open-seconds", type=float, default=120.0)
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
        settings.check_process("devices")
        configure_logging(settings.log_level, f"gateway-{args.device_id}")
        slots = parse_layout(args.layout)
        bus = SerialLockBus(args.port).open()
    except (StartupError, ValueError, LockBoardError) as err:
        print(f"locker gateway: error: {err}", file=sys.stderr)
        return 2
    boards = {slot.board: bus.board(slot.board) for slot in slots}
    bank = LockerBank(boards, slots, left_open_seconds=args.left_open_seconds)
    try:
        serve(LockerGateway(settings.hall_id, args.device_id, bank), settings)
    except StartupError as err:
        print(f"locker gateway: error: {err}", file=sys.stderr)
        return 2
    finally:
        bus.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
