"""The window's ID-card reader as a hall device: any `CardReader` (PC/SC or SAM on the counter, or the same
drivers on firmware_sim's emulators) watched for a card; each card laid on it is read, checked, sealed to
the case service (`read_key`, HALL_DEVICES__WINDOW_READ_KEY) and sent as ``evt/card-read``, once per
laying.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import Any

from devices.idcard.errors import CardDataError, CardExpiredError, IdCardError
from devices.idcard.reader import CardReader, read_verified
from devices.protocol import window as contract
from devices.protocol.device import ProtocolDevice
from devices.protocol.health import HealthCode, issue

log = logging.getLogger(__name__)
POLL_SECONDS = 0.1


class WindowIdReader(ProtocolDevice):
    """Polls `reader` for a card every `poll_seconds`; a card is read once until it is taken away."""

    def __init__(
        self,
        hall: str,
        device_id: str,
        window: int,
        reader: CardReader,
        *,
        read_key: str,
        today: Callable[[], dt.date] = dt.date.today,
        poll_seconds: float = POLL_SECONDS,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            hall,
            device_id,
            kind=contract.WINDOW_ID_READER,
            capabilities=["gb11643", "gat490"],
            events=[contract.CARD_READ_EVENT, contract.CARD_REFUSED_EVENT],
            attributes={contract.WINDOW_ATTRIBUTE: window},
            **kwargs,
        )
        self.window = window
        self.reader = reader
        contract.seal(
            read_key, contract.CardHolder(name="-", id_number="11010519491231002X")
        )  # a bad key fails here
        self.read_key = read_key
        self._today = today
        self._poll_seconds = poll_seconds
        self._watching = threading.Event()
        self._watcher: threading.Thread | None = None
        self.reads = 0

    def start(self, url: str, *args: Any, **kwargs: Any) -> None:
        super().start(url, *args, **kwargs)
        self._watching.set()
        self._watcher = threading.Thread(target=self._watch, name=f"watch-{self.device_id}", daemon=True)
        self._watcher.start()

    def stop(self, *, clean: bool = True) -> None:
        self._watching.clear()
        if self._watcher is not None:
            self._watcher.join(3)
        super().stop(clean=clean)

    def _watch(self) -> None:
        present = False
        healthy = True
        while self._watching.is_set():
            try:
                now_present = self.reader.card_present()
                if not healthy:
                    healthy = True
                    self.update_state(clear_issues=[HealthCode.CARD_READER_MISSING.value])
            except IdCardError as err:
                if healthy:
                    healthy = False
                    log.warning("%s: reader trouble: %s", self.device_id, type(err).__name__)
                    self.update_state(raise_issues=[issue(HealthCode.CARD_READER_MISSING)])
                self._watching.wait(1.0)
                continue
            if now_present and not present:
                self._read_one()
            present = now_present
            self._watching.wait(self._poll_seconds)

    def _read_one(self) -> None:
        try:
            identity = read_verified(self.reader, self._today())
        except CardExpiredError:
            self._refused("expired", "证件已过有效期")
            return
        except CardDataError:
            self._refused("invalid", "证件信息校验未通过")
            return
        except IdCardError:
            self._refused("unreadable", "读卡失败，请重新放置证件")
            return
        holder = contract.CardHolder(
            name=identity.name,
            id_number=identity.id_number,
            sex=identity.sex.label,
            nation=identity.nation,
            valid_until=identity.valid_until.isoformat() if identity.valid_until else "",
        )
        read = contract.seal(self.read_key, holder)  # no ID number on the bus in clear
        self.reads += 1
        self.publish_event(contract.CARD_READ_EVENT, read.model_dump(mode="json"))

    def _refused(self, reason: str, message: str) -> None:
        refused = contract.CardRefusedData(reason=reason, message=message)
        self.publish_event(contract.CARD_REFUSED_EVENT, refused.model_dump(mode="json"))
