"""The CUPS backend against a real cupsd and a real IPP Everywhere printer (ippeveprinter)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from escpos.printer import Dummy

from devices.printing.chooser import choose_printer
from devices.printing.cups_backend import CupsPrinter
from devices.printing.escpos_backend import EscposPrinter
from devices.printing.follow import Outcome, Patience, follow_job
from devices.printing.model import (
    Capability,
    Document,
    JobPhase,
    Printer,
    PrinterError,
    PrinterUnavailableError,
)
from tests.fixtures.cups import CupsServer, IppEverywherePrinter

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FAST = Patience(blocked_for=2.0, overall=60.0, poll_every=0.1)


def _pdf() -> bytes:
    import datetime as dt

    from case_service.documents.notices import AcceptanceNotice, Issuer, render_notice

    day = dt.date(2026, 11, 21)
    return render_notice(
        AcceptanceNotice(
            Issuer("某某市行政审批局"), "受字1号", "张三丰", "食品经营许可", "C-1", day, day, day
        )
    )


def _printer(server: CupsServer, ipp: IppEverywherePrinter) -> CupsPrinter:
    return CupsPrinter(ipp.queue, host=server.host, port=server.port)


def _wait_for(predicate: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


def test_job_is_followed_to_completion_and_reaches_the_printer(
    cups_server: CupsServer, ipp_printer: IppEverywherePrinter
) -> None:
    printer = _printer(cups_server, ipp_printer)
    ipp_printer.set_marker_level(63)

    assert Capability.A4 in printer.capabilities
    job = printer.submit(Document(_pdf(), "受理通知书"))
    result = follow_job(printer, job, FAST)

    assert result.outcome is Outcome.COMPLETED, result
    printed = ipp_printer.printed()
    assert len(printed) == 1
    assert printed[0].read_bytes().startswith(b"%PDF")
    state = printer.state()
    assert [(m.name, m.level) for m in state.markers] == [("Black", 63)]


def test_media_empty_mid_job_fails_the_job_and_cancels_it(
    cups_server: CupsServer, ipp_printer: IppEverywherePrinter
) -> None:
    printer = _printer(cups_server, ipp_printer)
    ipp_printer.hold()
    job = printer.submit(Document(_pdf(), "证照"))
    _wait_for(lambda: printer.job_status(job).phase is JobPhase.PROCESSING)

    ipp_printer.set_reasons("media-empty")
    _wait_for(lambda: "media-empty" in printer.state().reasons)
    result = follow_job(printer, job, FAST)

    assert (result.outcome, result.reason) == (Outcome.FAILED, "media-empty")
    assert "media-empty" in result.problems_seen
    _wait_for(lambda: printer.job_status(job).phase.final)
    assert printer.job_status(job).phase is JobPhase.CANCELLED
    assert ipp_printer.printed() == []


def test_jam_cleared_in_time_lets_the_job_finish(
    cups_server: CupsServer, ipp_printer: IppEverywherePrinter
) -> None:
    printer = _printer(cups_server, ipp_printer)
    ipp_printer.hold()
    ipp_printer.set_reasons("media-jam")
    job = printer.submit(Document(_pdf(), "证照"))
    _wait_for(lambda: "media-jam" in printer.state().reasons)

    ipp_printer.clear_reasons()
    ipp_printer.release()
    result = follow_job(printer, job, Patience(blocked_for=30.0, overall=60.0, poll_every=0.1))

    assert result.outcome is Outcome.COMPLETED
    assert len(ipp_printer.printed()) == 1


def test_toner_low_is_reported_but_does_not_block(
    cups_server: CupsServer, ipp_printer: IppEverywherePrinter
) -> None:
    printer = _printer(cups_server, ipp_printer)
    ipp_printer.hold()
    ipp_printer.set_marker_level(4)
    ipp_printer.set_reasons("toner-low")
    job = printer.submit(Document(_pdf(), "证照"))
    _wait_for(lambda: "toner-low" in printer.state().reasons)

    state = printer.state()
    assert state.blocking == ()
    assert state.markers[0].low
    ipp_printer.clear_reasons()
    ipp_printer.release()
    assert follow_job(printer, job, FAST).outcome is Outcome.COMPLETED


def test_cancel_stops_a_running_job(cups_server: CupsServer, ipp_printer: IppEverywherePrinter) -> None:
    printer = _printer(cups_server, ipp_printer)
    ipp_printer.hold()
    job = printer.submit(Document(_pdf(), "证照"))
    _wait_for(lambda: printer.job_status(job).phase is JobPhase.PROCESSING)

    printer.cancel(job)

    result = follow_job(printer, job, FAST)
    assert result.outcome is Outcome.CANCELLED
    assert ipp_printer.printed() == []


def test_device_abort_prints_nothing_though_cups_may_call_it_completed(
    cups_server: CupsServer, ipp_printer: IppEverywherePrinter
) -> None:
    """Found here: CUPS 2.4.2's ipp backend ends a job the device aborted (aborted-by-system) as
    "completed" in some runs and "canceled at printer" in others, with nothing else to tell them apart.
    The job must still end promptly, and nothing may come out."""
    printer = _printer(cups_server, ipp_printer)
    ipp_printer.hold()
    ipp_printer.fail_jobs()
    job = printer.submit(Document(_pdf(), "证照"))
    ipp_printer.wait_until_printing()

    ipp_printer.release()
    result = follow_job(printer, job, FAST)

    assert result.reason != "timed out"
    assert result.seconds < 30
    assert ipp_printer.printed() == []


def test_printer_off_the_network_fails_the_job_with_a_reason(
    cups_server: CupsServer, ipp_printer: IppEverywherePrinter
) -> None:
    printer = _printer(cups_server, ipp_printer)
    ipp_printer.stop()

    assert "offline" in printer.state().reasons
    result = follow_job(printer, printer.submit(Document(_pdf(), "证照")), FAST)

    assert (result.outcome, result.reason) == (Outcome.FAILED, "offline")


def test_unknown_queue_and_dead_server_raise_printer_errors(cups_server: CupsServer, tmp_path: Path) -> None:
    with pytest.raises(PrinterError, match="no_such_queue"):
        CupsPrinter("no_such_queue", host=cups_server.host, port=cups_server.port).state()
    from hall.net import free_port

    with pytest.raises(PrinterError):
        CupsPrinter("x", host="127.0.0.1", port=free_port()).state()


def test_kiosk_chooses_the_a4_printer_for_certificates_and_the_thermal_one_for_tickets(
    cups_server: CupsServer, ipp_printer: IppEverywherePrinter
) -> None:
    a4 = _printer(cups_server, ipp_printer)
    thermal = EscposPrinter("ticket-printer", Dummy())
    printers: list[Printer] = [thermal, a4]

    assert choose_printer(printers, Capability.A4) is a4
    assert choose_printer(printers, Capability.RECEIPT) is thermal

    ipp_printer.stop()
    with pytest.raises(PrinterUnavailableError, match=rf"{a4.name}: not ready: offline"):
        choose_printer(printers, Capability.A4)
