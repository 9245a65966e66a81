"""Thermal ticket and receipt printers speaking ESC/POS, through python-escpos.

Chinese on ESC/POS: the printer is put into Chinese character mode (``FS &``) and text is sent as
GB 18030 bytes, which Chinese thermal printers print with their built-in font. QR codes use the
printer's native ``GS ( k`` symbol commands. Any python-escpos device works underneath (USB, serial,
network, or `Dummy` for tests), and the paper sensor is read with ``DLE EOT`` where the link can read.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from devices.printing.model import (
    Capability,
    Document,
    JobPhase,
    JobStatus,
    PrinterCondition,
    PrinterError,
    PrinterState,
)

log = logging.getLogger(__name__)

ESCPOS_CONTENT_TYPE = "application/vnd.escpos"
ENTER_CHINESE_MODE = b"\x1c\x26"  # FS &
LEAVE_CHINESE_MODE = b"\x1c\x2e"  # FS .


@dataclass(frozen=True)
class Receipt:
    """A ticket or receipt: a heading, an optional big line (the ticket number), lines, a QR code."""

    heading: str
    lines: Sequence[str] = ()
    big: str = ""
    qr: str = ""
    footer: str = ""


def render_receipt(receipt: Receipt, *, width_chars: int = 32) -> bytes:
    """ESC/POS bytes for `receipt` (32 columns on 58 mm paper, 48 on 80 mm)."""
    from escpos.printer import Dummy

    printer = Dummy()
    printer.hw("INIT")
    printer._raw(ENTER_CHINESE_MODE)
    printer.set(align="center", bold=True)
    _line(printer, receipt.heading)
    if receipt.big:
        printer.set(align="center", bold=True, double_width=True, double_height=True)
        _line(printer, receipt.big)
    printer.set(align="left", bold=False, normal_textsize=True)
    _line(printer, "-" * width_chars)
    for line in receipt.lines:
        _line(printer, line)
    if receipt.qr:
        printer.set(align="center")
        printer.qr(receipt.qr, size=6, native=True)
    if receipt.footer:
        printer.set(align="center")
        _line(printer, receipt.footer)
    printer._raw(LEAVE_CHINESE_MODE)
    printer.cut()
    data: bytes = printer.output
    return data


def _line(printer: Any, text: str) -> None:
    printer._raw(text.encode("gb18030", errors="replace") + b"\n")


class EscposPrinter:
    """A `Printer` over a python-escpos device. Jobs are synchronous: sent means printed or failed."""

    capabilities = frozenset({Capability.RECEIPT})

    def __init__(self, name: str, device: Any) -> None:
        self.name = name
        self._device = device
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._jobs: dict[int, JobStatus] = {}

    def submit(self, document: Document) -> int:
        if document.content_type != ESCPOS_CONTENT_TYPE:
            raise PrinterError(f"{self.name} prints ESC/POS only, not {document.content_type}")
        job_id = next(self._ids)
        with self._lock:
            try:
                self._device._raw(document.data)
            except (OSError, ValueError) as err:  # USB, serial and socket errors all derive from these
                self._jobs[job_id] = JobStatus(job_id, JobPhase.ABORTED, ("device-error",), str(err))
                raise PrinterError(f"{self.name}: sending the receipt failed: {err}") from err
        self._jobs[job_id] = JobStatus(job_id, JobPhase.COMPLETED)
        log.info("receipt job %d printed on %s (%d bytes)", job_id, self.name, len(document.data))
        return job_id

    def job_status(self, job_id: int) -> JobStatus:
        try:
            return self._jobs[job_id]
        except KeyError as err:
            raise PrinterError(f"{self.name} has no job {job_id}") from err

    def cancel(self, job_id: int) -> None:
        status = self.job_status(job_id)
        if not status.phase.final:
            self._jobs[job_id] = JobStatus(job_id, JobPhase.CANCELLED)

    def state(self) -> PrinterState:
        """Paper sensor through DLE EOT 4 where the link can read; otherwise the state is unknown."""
        with self._lock:
            try:
                paper = self._device.paper_status()
            except (NotImplementedError, AttributeError):
                return PrinterState(PrinterCondition.UNKNOWN, message="this link cannot read the printer")
            except (OSError, ValueError) as err:
                return PrinterState(PrinterCondition.STOPPED, ("offline",), message=str(err))
        if paper == 0:
            return PrinterState(PrinterCondition.STOPPED, ("media-empty",))
        if paper == 1:
            return PrinterState(PrinterCondition.IDLE, ("media-low",))
        return PrinterState(PrinterCondition.IDLE)
