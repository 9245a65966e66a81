"""The kiosk's printer port on CUPS with a real IPP Everywhere printer (ippeveprinter)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from devices.printing.cups_backend import CupsPrinter
from devices.printing.follow import Patience
from kiosk import documents
from kiosk.adapters.printer import DevicePrinter
from kiosk.flow.model import Device, Language, Ticket
from kiosk.ports import DeviceFailureError
from tests.fixtures.cups import CupsServer, IppEverywherePrinter

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FAST = Patience(blocked_for=2.0, overall=60.0, poll_every=0.1)


def test_ticket_prints_then_out_of_paper_is_a_device_fault(
    cups_server: CupsServer, ipp_printer: IppEverywherePrinter
) -> None:
    port = DevicePrinter(CupsPrinter(ipp_printer.queue, host=cups_server.host, port=cups_server.port), FAST)
    assert port.problem() is None
    job = port.print_document(documents.ticket(Ticket("A012", 3, 12), Language.ZH))
    assert job and len(ipp_printer.printed()) == 1

    # Paper runs out during the next job: after the patience the job fails and is cancelled.
    ipp_printer.hold()
    with ThreadPoolExecutor(1) as pool:
        printing = pool.submit(port.print_document, documents.ticket(Ticket("A013", 4, 16), Language.EN))
        ipp_printer.wait_until_printing()
        ipp_printer.set_reasons("media-empty")
        with pytest.raises(DeviceFailureError) as failed:
            printing.result(timeout=60)
    assert failed.value.device is Device.PRINTER and failed.value.reason == "media-empty"
    assert port.problem() == "media-empty"  # what the watcher reports to the hall until it is fixed
    ipp_printer.release()
    assert len(ipp_printer.printed()) == 1  # the failed job was cancelled, not printed later
