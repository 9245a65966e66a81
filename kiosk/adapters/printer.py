"""A printer of devices/printing (CUPS, or another backend) as the kiosk's Printer port.

A job is followed to its end with devices/printing/follow.py's patience rules: a printer blocked (out of
paper, jammed, offline) longer than the patience allows fails the job, which is cancelled so it does not
print later for someone else, and the applicant is offered another way.
"""

from __future__ import annotations

import logging

from devices.printing.follow import Outcome, Patience, print_and_follow
from devices.printing.model import Document, Printer, PrinterError
from kiosk.flow.model import Device
from kiosk.ports import DeviceFailureError, PrintDocument

log = logging.getLogger(__name__)


class DevicePrinter:
    def __init__(self, printer: Printer, patience: Patience | None = None) -> None:
        self._printer = printer
        self._patience = patience or Patience()

    def print_document(self, document: PrintDocument) -> str:
        try:
            result = print_and_follow(self._printer, Document(document.pdf, document.title), self._patience)
        except PrinterError as err:  # the job's status became unreadable while following it
            raise DeviceFailureError(Device.PRINTER, str(err)[:200]) from err
        if result.outcome is not Outcome.COMPLETED:
            raise DeviceFailureError(Device.PRINTER, (result.reason or result.outcome.value)[:200])
        log.info("printed %r as job %d in %.1f s", document.title, result.job_id, result.seconds)
        return str(result.job_id)

    def problem(self) -> str | None:
        try:
            state = self._printer.state()
        except PrinterError as err:
            return f"unreachable: {str(err)[:100]}"
        if state.ready:
            return None
        return ",".join(state.blocking) or (
            "not accepting jobs" if not state.accepting else state.condition.value
        )
