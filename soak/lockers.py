"""The soak's locker bank: simulated lock boards on a pty behind the real driver and the real gateway.

The controller runs its lockers extension on the case service (HALL_CONTROLLER__LOCKER_CASES=
case-service): a deposit asks the case service whether the case may go into a locker, opens a door over
MQTT → gateway → RS485 → board; the door closing with the result inside makes the controller report
`ready_for_pickup` to the case service through its outbox; a pickup by ID card opens the door again and
the door closing empty reports `deliver`. This module is the physical world around that: the clerk who
puts the result in and shuts the door, the applicant who takes it out, and a board that loses power.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from devices.lockboard.gateway import LockerGateway
from devices.protocol.lockers import id_card_key
from firmware_sim.lockers.physics import BoardFirmware
from firmware_sim.lockers.rig import LockerRig, start_rig
from hall.settings import Settings
from hall_controller.lockers.repository import compartments, deposits

log = logging.getLogger(__name__)

BANK = "locker-bank-01"
LOCKS_PER_BOARD = 8
SERIAL_TIMEOUT = 0.3


@dataclass
class SoakLockers:
    rig: LockerRig
    gateway: LockerGateway
    database: Path  # the controller's lockers database (only read here: what a clerk sees on the desk)
    _db: sa.engine.Engine | None = field(default=None, repr=False)

    @classmethod
    def start(cls, hall_id: str, compartments: int, broker_url: str, controller_data: Path) -> SoakLockers:
        layout = [
            (number // LOCKS_PER_BOARD + 1, number % LOCKS_PER_BOARD, "M") for number in range(compartments)
        ]
        # Serial timeout 0.3 s, not the demo's 0.1 s: on a loaded 2-core box the pty firmware thread
        # often answers later than 0.1 s, and every miss costs the shared line a retry.
        rig = start_rig(layout, serial_timeout=SERIAL_TIMEOUT)
        settings = Settings()
        gateway = LockerGateway(
            hall_id, BANK, rig.bank, id_key=id_card_key(settings.locker_id_key.get_secret_value(), hall_id)
        )
        gateway.start(broker_url)
        return cls(rig, gateway, controller_data / f"lockers-{hall_id}.db")

    def stop(self) -> None:
        if self._db is not None:
            self._db.dispose()
        self.gateway.stop()
        self.rig.stop()

    @property
    def boards(self) -> list[BoardFirmware]:
        return [
            self.rig.line.board(address)
            for address in sorted({s.board for s in self.rig.bank.slots.values()})
        ]

    def put_in(self, number: int) -> None:
        self.rig.person_puts_item_and_closes(number)

    def take_out(self, number: int) -> None:
        self.rig.person_takes_item_and_closes(number)

    def is_open(self, number: int) -> bool:
        board, lock = self.rig.firmware(number)
        return board.truly_open(lock)

    def door_of(self, case_id: int, state: str) -> int | None:
        """The compartment whose door stands open for `case_id` in deposit `state` ('depositing',
        'collecting'): after an answer lost in a crash, the person at the bank still sees which door
        opened; the soak reads it from the controller's database."""
        query = (
            sa.select(compartments.c.number)
            .join_from(deposits, compartments, compartments.c.id == deposits.c.compartment_id)
            .where(deposits.c.case_id == str(case_id), deposits.c.state == state)
            .order_by(deposits.c.created.desc())
            .limit(1)
        )
        try:
            with self._engine().connect() as connection:
                number = connection.execute(query).scalar()
        except sa.exc.SQLAlchemyError as err:
            log.warning("lockers database: %s", err)
            return None
        return int(number) if number is not None else None

    def delivered_case_ids(self) -> list[str]:
        """The case of every deposit the controller has as collected (a case twice: a double)."""
        with self._engine().connect() as connection:
            rows = connection.execute(sa.select(deposits.c.case_id).where(deposits.c.state == "delivered"))
            return [str(row[0]) for row in rows]

    def _engine(self) -> sa.engine.Engine:
        if self._db is None:
            self._db = sa.create_engine(f"sqlite:///{self.database}", connect_args={"timeout": 5})
        return self._db

    def power_cut(self, board: BoardFirmware, seconds: float, wait: float = 0.0) -> None:
        """A board loses power, for `seconds` (after `wait`, so that it strikes mid-open)."""
        if wait:
            time.sleep(wait)
        board.power_off()
        time.sleep(seconds)
        board.power_on()
