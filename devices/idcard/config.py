"""The identity-card reader's settings: `HALL_DEVICES__IDCARD__*`."""

from __future__ import annotations

from pydantic import Field

from hall.config_base import Section


class IdCardSettings(Section):
    # "sam": a 2nd-generation ID card reader (SAM module) on a serial port; "pcsc": a PC/SC reader.
    interface: str = Field(default="sam", pattern="^(sam|pcsc)$")
    serial_port: str = "/dev/ttyUSB0"  # a device path or any pyserial URL
    baudrate: int = Field(default=115200, ge=9600, le=921600)
    timeout_seconds: float = Field(default=1.0, gt=0, le=30)
    # Which PC/SC reader, by name prefix; empty takes the first reader holding a card.
    pcsc_reader: str = ""
