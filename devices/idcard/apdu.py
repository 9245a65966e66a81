"""ISO 7816-4 command and response APDUs: the few this package needs. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass

SW_OK = 0x9000
SW_WRONG_LENGTH = 0x6700
SW_SECURITY_NOT_SATISFIED = 0x6982
SW_NO_CURRENT_EF = 0x6986
SW_WRONG_DATA = 0x6A80
SW_FILE_NOT_FOUND = 0x6A82
SW_RECORD_NOT_FOUND = 0x6A83
SW_WRONG_P1P2 = 0x6B00
SW_INS_NOT_SUPPORTED = 0x6D00
SW_CLA_NOT_SUPPORTED = 0x6E00


@dataclass(frozen=True)
class Response:
    data: bytes
    sw: int

    @classmethod
    def of(cls, raw: bytes) -> Response:
        if len(raw) < 2:
            raise ValueError(f"a response APDU has at least SW1 SW2, got {len(raw)} bytes")
        return cls(raw[:-2], int.from_bytes(raw[-2:], "big"))

    def to_bytes(self) -> bytes:
        return self.data + self.sw.to_bytes(2, "big")

    @property
    def ok(self) -> bool:
        return self.sw == SW_OK


def select_aid(aid: bytes) -> bytes:
    """SELECT by DF name (P1 04), first or only occurrence, FCI requested."""
    return bytes([0x00, 0xA4, 0x04, 0x00, len(aid)]) + aid + b"\x00"


def select_file(file_id: int) -> bytes:
    """SELECT an EF under the current DF by its 2-byte identifier, no response data (P2 0C)."""
    return bytes([0x00, 0xA4, 0x02, 0x0C, 0x02]) + file_id.to_bytes(2, "big")


def read_binary(offset: int, length: int) -> bytes:
    """READ BINARY of the current EF; `length` 1..256 (256 is sent as Le 00)."""
    if not 0 <= offset <= 0x7FFF or not 1 <= length <= 256:
        raise ValueError("READ BINARY offset 0..32767, length 1..256")
    return bytes([0x00, 0xB0, offset >> 8, offset & 0xFF, length & 0xFF])


def read_record(record: int, short_file_id: int) -> bytes:
    """READ RECORD `record` (P1) of the EF with short identifier `short_file_id` (P2 = SFI<<3 | 4)."""
    return bytes([0x00, 0xB2, record, (short_file_id << 3) | 0x04, 0x00])
