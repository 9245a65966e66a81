"""The demo's locker bank: simulated boards on a pty behind the real driver and the real gateway.

`python -m firmware_sim.lockers.main` runs it alone; `start_demo_gateway` lets the demo's device
process run it beside the other simulated devices.
"""

from __future__ import annotations

import sys

from devices.lockboard.gateway import LockerGateway, serve
from devices.protocol.lockers import id_card_key
from firmware_sim.lockers.rig import LockerRig, start_rig
from hall.errors import StartupError
from hall.logging import configure_logging
from hall.settings import Settings, get_settings

DEMO_BANK = "locker-bank-01"


def demo_gateway(settings: Settings, device_id: str = DEMO_BANK) -> tuple[LockerGateway, LockerRig]:
    rig = start_rig()
    gateway = LockerGateway(
        settings.hall_id,
        device_id,
        rig.bank,
        heartbeat_seconds=settings.controller.heartbeat_seconds,
        id_key=id_card_key(settings.locker_id_key.get_secret_value(), settings.hall_id),
    )
    return gateway, rig


def main() -> int:
    try:
        settings = get_settings()
    except StartupError as err:
        print(f"locker simulator: error: {err}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, "locker-sim")
    gateway, rig = demo_gateway(settings)
    try:
        serve(gateway, settings)
    except StartupError as err:
        print(f"locker simulator: error: {err}", file=sys.stderr)
        return 2
    finally:
        rig.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
