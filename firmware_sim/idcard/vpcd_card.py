"""A contact card for pcscd's vsmartcard-vpcd driver: the card side of the vpcd socket protocol.

vpcd listens on a TCP port per slot; the card connects to it. Each message is a 2-byte big-endian
length and data. One data byte is a control: 0 power off, 1 power on, 2 reset, 4 send the ATR;
longer data is a command APDU, answered with a response APDU. Connected = card inserted;
closing the socket = card removed.

`VirtualCard` carries the applications (the project's identity app, a social-security app) and is
pure; `VpcdCardEmulator` is the socket side, with faults: pull the card after N more APDUs.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import operator
import socket
import threading
import time
from pathlib import Path

from devices.idcard import apdu
from devices.idcard.identity_app import EF_DIGEST, EF_PHOTO, EF_TEXT, IDENTITY_AID
from devices.idcard.social_security import RECORDS, SOCIAL_SECURITY_AID
from firmware_sim.idcard.cards import SimCard
from firmware_sim.idcard.netns import connect_in_namespace

log = logging.getLogger(__name__)

_HISTORICAL = b"HALL-ID\x01"
_ATR_BODY = bytes([0x80 | len(_HISTORICAL), 0x80, 0x01]) + _HISTORICAL  # T0, TD1 (T=0 + TD2), TD2 (T=1)
ATR = b"\x3b" + _ATR_BODY + bytes([functools.reduce(operator.xor, _ATR_BODY, 0)])


def _reply(sw: int, data: bytes = b"") -> bytes:
    return apdu.Response(data, sw).to_bytes()


class VirtualCard:
    """The card's file system and command interpreter (ISO 7816-4 subset)."""

    def __init__(self, identity_card: SimCard | None = None, social_records: dict[int, bytes] | None = None):
        self.identity_card = identity_card
        self.social_records = social_records
        self._application: bytes | None = None
        self._current_ef: bytes | None = None
        self.apdus = 0

    def reset(self) -> None:
        self._application = None
        self._current_ef = None

    def _files(self) -> dict[int, bytes]:
        card = self.identity_card
        if card is None:
            return {}
        return {EF_TEXT: card.text, EF_PHOTO: card.photo, EF_DIGEST: card.issued_digest}

    def process(self, command: bytes) -> bytes:
        self.apdus += 1
        if len(command) < 4:
            return _reply(apdu.SW_WRONG_LENGTH)
        cla, ins, p1, p2 = command[:4]
        if cla != 0x00:
            return _reply(apdu.SW_CLA_NOT_SUPPORTED)
        if ins == 0xA4:
            return self._select(p1, p2, command[5 : 5 + command[4]] if len(command) > 5 else b"")
        if ins == 0xB0:
            return self._read_binary((p1 << 8) | p2, command[4] if len(command) > 4 else 0)
        if ins == 0xB2:
            return self._read_record(p1, p2)
        return _reply(apdu.SW_INS_NOT_SUPPORTED)

    def _select(self, p1: int, p2: int, data: bytes) -> bytes:
        if p1 == 0x04:
            known = {IDENTITY_AID: self.identity_card, SOCIAL_SECURITY_AID: self.social_records}
            if data in known and known[data] is not None:
                self._application, self._current_ef = data, None
                return _reply(apdu.SW_OK, b"\x6f" + bytes([len(data) + 2, 0x84, len(data)]) + data)
            return _reply(apdu.SW_FILE_NOT_FOUND)
        if p1 == 0x02 and p2 == 0x0C and len(data) == 2 and self._application == IDENTITY_AID:
            content = self._files().get(int.from_bytes(data, "big"))
            if content is None:
                return _reply(apdu.SW_FILE_NOT_FOUND)
            self._current_ef = content
            return _reply(apdu.SW_OK)
        return _reply(apdu.SW_WRONG_P1P2 if p1 not in (0x02, 0x04) else apdu.SW_FILE_NOT_FOUND)

    def _read_binary(self, offset: int, length: int) -> bytes:
        if self._current_ef is None:
            return _reply(apdu.SW_NO_CURRENT_EF)
        if offset >= len(self._current_ef):
            return _reply(apdu.SW_WRONG_P1P2)
        return _reply(apdu.SW_OK, self._current_ef[offset : offset + (length or 256)])

    def _read_record(self, record: int, p2: int) -> bytes:
        if self._application != SOCIAL_SECURITY_AID or self.social_records is None:
            return _reply(apdu.SW_NO_CURRENT_EF)
        expected = RECORDS.get(record)
        if (
            p2 & 0x07 != 0x04
            or expected is None
            or expected[0] != p2 >> 3
            or record not in self.social_records
        ):
            return _reply(apdu.SW_RECORD_NOT_FOUND)
        return _reply(apdu.SW_OK, self.social_records[record])


class VpcdCardEmulator:
    """Inserts a VirtualCard into a vpcd slot listening on `port`, and takes it out again."""

    def __init__(
        self, port: int, host: str = "127.0.0.1", *, quick_ack: bool = True, netns: Path | None = None
    ) -> None:
        """`netns`: the network namespace vpcd listens in (e.g. /proc/<pcscd pid>/ns/net); None: ours."""
        self.quick_ack = quick_ack
        self.netns = netns
        self.host = host
        self.port = port
        self.card: VirtualCard | None = None
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._pull_after: int | None = None

    def insert(self, card: VirtualCard, timeout: float = 10.0) -> None:
        """Connects to vpcd (pcscd may still be starting: retries until `timeout`)."""
        self.remove()
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.netns is None:
                    connection = socket.create_connection((self.host, self.port), timeout=1.0)
                else:
                    connection = connect_in_namespace(self.netns, self.host, self.port, timeout=1.0)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        connection.settimeout(None)
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            self.card, self._socket = card, connection
        self._thread = threading.Thread(target=self._serve, args=(connection, card), daemon=True)
        self._thread.name = f"vpcd-card-{self.port}"
        self._thread.start()

    def remove(self) -> None:
        with self._lock:
            connection, self._socket, self.card = self._socket, None, None
            self._pull_after = None
        if connection is not None:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(2)
        self._thread = None

    def pull_after(self, apdus: int) -> None:
        """Fault: answer `apdus` more command APDUs, then take the card away before the next answer."""
        with self._lock:
            self._pull_after = apdus

    @property
    def inserted(self) -> bool:
        return self._socket is not None

    def _serve(self, connection: socket.socket, card: VirtualCard) -> None:
        try:
            while True:
                message = self._receive(connection)
                if message is None:
                    return
                reply = self._handle(card, message)
                if reply is None:
                    continue
                if reply == b"":  # pulled
                    self._drop(connection)
                    return
                connection.sendall(len(reply).to_bytes(2, "big") + reply)
        except OSError:
            return

    def _drop(self, connection: socket.socket) -> None:
        with self._lock:
            if self._socket is connection:
                self._socket, self.card = None, None
        with contextlib.suppress(OSError):
            connection.shutdown(socket.SHUT_RDWR)
        connection.close()

    def _handle(self, card: VirtualCard, message: bytes) -> bytes | None:
        if len(message) == 1:
            if message[0] == 4:
                return ATR
            if message[0] in (0, 2):
                card.reset()
            return None
        with self._lock:
            if self._pull_after is not None:
                if self._pull_after == 0:
                    self._pull_after = None
                    return b""
                self._pull_after -= 1
        return card.process(message)

    def _receive(self, connection: socket.socket) -> bytes | None:
        header = _receive_exactly(connection, 2, self.quick_ack)
        if header is None:
            return None
        return _receive_exactly(connection, int.from_bytes(header, "big"), self.quick_ack)


def _receive_exactly(connection: socket.socket, count: int, quick_ack: bool) -> bytes | None:
    data = bytearray()
    while len(data) < count:
        if quick_ack:
            # vpcd writes length and APDU in two sends: acknowledging at once spares each APDU the
            # ~40 ms that Nagle's algorithm would wait for our delayed ACK (measured in bench_idcard).
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        chunk = connection.recv(count - len(data))
        if not chunk:
            return None
        data.extend(chunk)
    return bytes(data)
