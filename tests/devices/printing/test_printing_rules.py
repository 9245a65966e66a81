"""Printer state and job rules without a printer: reasons, markers, patience, choosing a printer."""

from __future__ import annotations

import pytest

from devices.printing.chooser import Candidate, rank
from devices.printing.cups_backend import (
    capabilities_from_attributes,
    device_reachable,
    state_from_attributes,
)
from devices.printing.follow import Outcome, Patience, assess
from devices.printing.model import (
    Capability,
    JobPhase,
    JobStatus,
    Marker,
    PrinterCondition,
    PrinterState,
    base_reason,
    meaningful_reasons,
)
from hall.net import free_port

PATIENCE = Patience(blocked_for=10.0, overall=100.0)
IDLE = PrinterState(PrinterCondition.IDLE)


@pytest.mark.parametrize(
    ("reason", "base"),
    [("media-empty-error", "media-empty"), ("toner-low-warning", "toner-low"), ("offline-report", "offline"),
     ("media-jam", "media-jam")],
)  # fmt: skip
def test_severity_suffixes_are_stripped(reason: str, base: str) -> None:
    assert base_reason(reason) == base


def test_bookkeeping_reasons_are_dropped_and_duplicates_merged() -> None:
    reasons = [
        "cups-waiting-for-job-completed",
        "none",
        "media-empty-warning",
        "media-empty-error",
        "toner-low",
    ]

    assert meaningful_reasons(reasons) == ("media-empty", "toner-low")


def test_ipp_attributes_become_a_state() -> None:
    state = state_from_attributes(
        {
            "printer-state": 5,
            "printer-state-reasons": ["media-jam-error", "toner-low-report"],
            "printer-is-accepting-jobs": True,
            "marker-names": ["Black", "Cyan"],
            "marker-levels": [7, 55],
            "marker-types": ["toner", "toner"],
        }
    )

    assert state.condition is PrinterCondition.STOPPED
    assert state.blocking == ("media-jam",)
    assert not state.ready
    assert [(m.name, m.level, m.low) for m in state.markers] == [("Black", 7, True), ("Cyan", 55, False)]


def test_single_values_and_missing_attributes_are_tolerated() -> None:
    state = state_from_attributes(
        {"printer-state": 3, "printer-state-reasons": "none", "marker-names": "Black"}
    )

    assert state.ready
    assert state.markers == (Marker("Black", -1),)


def test_capabilities_from_media() -> None:
    a4 = capabilities_from_attributes({"media-supported": ["iso_a4_210x297mm", "na_letter_8.5x11in"]})
    roll = capabilities_from_attributes({"media-supported": "roll_max_80x3276.8mm", "color-supported": False})

    assert a4 == frozenset({Capability.A4})
    assert roll == frozenset({Capability.RECEIPT})


def test_device_reachability_only_judges_network_uris() -> None:
    assert device_reachable("cups-pdf:/hall")
    assert device_reachable("usb://Acme/Printer")
    assert not device_reachable(f"ipp://127.0.0.1:{free_port()}/ipp/print", timeout=0.2)


def _job(phase: JobPhase) -> JobStatus:
    return JobStatus(1, phase)


def test_completed_and_cancelled_jobs_end_the_wait() -> None:
    done = assess(_job(JobPhase.COMPLETED), IDLE, blocked_seconds=0, elapsed=1, patience=PATIENCE)
    cancelled = assess(_job(JobPhase.CANCELLED), IDLE, blocked_seconds=0, elapsed=1, patience=PATIENCE)

    assert (done.done, done.outcome) == (True, Outcome.COMPLETED)
    assert (cancelled.outcome, cancelled.cancel) == (Outcome.CANCELLED, False)


def test_blocking_reason_is_tolerated_until_patience_runs_out() -> None:
    empty = PrinterState(PrinterCondition.STOPPED, ("media-empty",))

    waiting = assess(_job(JobPhase.PROCESSING), empty, blocked_seconds=9.9, elapsed=12, patience=PATIENCE)
    given_up = assess(_job(JobPhase.PROCESSING), empty, blocked_seconds=10, elapsed=13, patience=PATIENCE)

    assert not waiting.done
    assert (given_up.outcome, given_up.reason, given_up.cancel) == (Outcome.FAILED, "media-empty", True)


def test_aborted_job_names_the_printer_problem() -> None:
    jammed = PrinterState(PrinterCondition.STOPPED, ("media-jam",))

    verdict = assess(_job(JobPhase.ABORTED), jammed, blocked_seconds=0, elapsed=1, patience=PATIENCE)

    assert (verdict.outcome, verdict.reason) == (Outcome.FAILED, "media-jam")


def test_overall_timeout_cancels() -> None:
    verdict = assess(_job(JobPhase.PENDING), IDLE, blocked_seconds=0, elapsed=100, patience=PATIENCE)

    assert (verdict.outcome, verdict.reason, verdict.cancel) == (Outcome.FAILED, "timed out", True)


def test_ranking_prefers_ready_idle_printers_with_supplies_and_says_why_others_lost() -> None:
    low = PrinterState(PrinterCondition.IDLE, (), (Marker("Black", 3),))
    busy = PrinterState(PrinterCondition.PROCESSING)
    candidates = [
        Candidate("receipt", frozenset({Capability.RECEIPT}), IDLE),
        Candidate(
            "empty", frozenset({Capability.A4}), PrinterState(PrinterCondition.STOPPED, ("media-empty",))
        ),
        Candidate("low", frozenset({Capability.A4}), low),
        Candidate("busy", frozenset({Capability.A4}), busy),
        Candidate("good", frozenset({Capability.A4}), IDLE),
        Candidate("gone", frozenset({Capability.A4}), None),
    ]

    usable, refused = rank(candidates, Capability.A4)

    assert [c.name for c in usable] == ["good", "low", "busy"]
    assert refused == {
        "receipt": "cannot print a4",
        "empty": "not ready: media-empty",
        "gone": "unreadable",
    }
