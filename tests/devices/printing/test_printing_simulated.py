"""Following jobs on the simulated printer, with a stepped clock: no real time passes."""

from __future__ import annotations

import pytest

from devices.printing.chooser import choose_printer
from devices.printing.follow import Outcome, Patience, follow_job, print_and_follow
from devices.printing.model import Capability, Document, JobPhase, PrinterError, PrinterUnavailableError
from firmware_sim.printing.simulated import SimulatedPrinter

TWO_PAGES = b"%PDF-1.4\n1 0 obj <</Type /Page>> 2 0 obj <</Type /Page>> 3 0 obj <</Type /Pages>>"


class SteppedClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.hooks: dict[float, object] = {}

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        for at in sorted(self.hooks):
            if at <= self.now:
                self.hooks.pop(at)()  # type: ignore[operator]


@pytest.fixture
def clock() -> SteppedClock:
    return SteppedClock()


def test_two_page_job_takes_two_page_times(clock: SteppedClock) -> None:
    printer = SimulatedPrinter("sim-a4", seconds_per_page=2.0, clock=clock)

    job = printer.submit(Document(TWO_PAGES, "notice"))
    result = follow_job(printer, job, Patience(poll_every=0.5), clock=clock, sleep=clock.sleep)

    assert result.outcome is Outcome.COMPLETED
    assert 4.0 <= result.seconds <= 4.5
    assert printer.sheets == 98


def test_paper_runs_out_mid_job_then_the_kiosk_gives_up(clock: SteppedClock) -> None:
    printer = SimulatedPrinter("sim-a4", sheets=1, seconds_per_page=1.0, clock=clock)

    job = printer.submit(Document(TWO_PAGES, "certificate"))
    result = follow_job(
        printer, job, Patience(blocked_for=5.0, poll_every=0.5), clock=clock, sleep=clock.sleep
    )

    assert (result.outcome, result.reason) == (Outcome.FAILED, "media-empty")
    assert printer.job_status(job).phase is JobPhase.CANCELLED


def test_paper_loaded_in_time_finishes_the_job(clock: SteppedClock) -> None:
    printer = SimulatedPrinter("sim-a4", seconds_per_page=1.0, clock=clock)
    printer.jam()
    clock.hooks[3.0] = printer.clear_jam

    job = printer.submit(Document(TWO_PAGES, "certificate"))
    result = follow_job(
        printer, job, Patience(blocked_for=10.0, poll_every=0.5), clock=clock, sleep=clock.sleep
    )

    assert result.outcome is Outcome.COMPLETED
    assert result.problems_seen == ("media-jam",)


def test_offline_printer_refuses_and_is_not_chosen(clock: SteppedClock) -> None:
    offline = SimulatedPrinter("sim-1", clock=clock)
    offline.go_offline()
    empty = SimulatedPrinter("sim-2", sheets=0, clock=clock)
    good = SimulatedPrinter("sim-3", clock=clock)
    receipt = SimulatedPrinter("sim-r", frozenset({Capability.RECEIPT}), clock=clock)

    with pytest.raises(PrinterError):
        offline.submit(Document(TWO_PAGES, "x"))
    assert choose_printer([offline, empty, receipt, good], Capability.A4) is good
    assert choose_printer([offline, empty, receipt, good], Capability.RECEIPT) is receipt
    with pytest.raises(PrinterUnavailableError, match=r"sim-1: unreadable; sim-2: not ready: media-empty"):
        choose_printer([offline, empty], Capability.A4)


def test_toner_falls_and_is_reported_low(clock: SteppedClock) -> None:
    printer = SimulatedPrinter("sim-a4", toner=11, seconds_per_page=1.0, clock=clock)

    follow_job(
        printer,
        printer.submit(Document(TWO_PAGES, "x")),
        Patience(poll_every=0.5),
        clock=clock,
        sleep=clock.sleep,
    )

    state = printer.state()
    assert state.markers[0].level == 10
    assert "toner-low" in state.reasons
    assert state.ready


def test_print_and_follow_turns_a_refusal_into_a_failed_result(clock: SteppedClock) -> None:
    printer = SimulatedPrinter("sim-a4", clock=clock)
    printer.go_offline()

    result = print_and_follow(printer, Document(TWO_PAGES, "certificate"), clock=clock, sleep=clock.sleep)

    assert (result.outcome, result.job_id) == (Outcome.FAILED, 0)
    assert "offline" in result.reason
    printer.come_online()
    done = print_and_follow(
        printer, Document(TWO_PAGES, "certificate"), Patience(poll_every=0.5), clock=clock, sleep=clock.sleep
    )
    assert done.outcome is Outcome.COMPLETED
