"""Following a job to completion or failure, with the kiosk's patience as a rule.

`assess` is pure: given the job's status, the printer's state and how long the printer has been blocked,
it decides whether to keep waiting, report success, or give up (cancelling the job) so the applicant can
be offered another way. `follow_job` polls a `Printer` and applies it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from devices.printing.model import Document, JobPhase, JobStatus, Printer, PrinterError, PrinterState

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Patience:
    # How long a blocking reason (media-empty, jam, offline) may last before the kiosk gives up.
    blocked_for: float = 20.0
    # The longest a job may take in all.
    overall: float = 180.0
    poll_every: float = 0.25


@dataclass(frozen=True)
class Verdict:
    done: bool
    outcome: Outcome | None = None
    reason: str = ""
    cancel: bool = False


KEEP_WAITING = Verdict(False)


def assess(
    job: JobStatus,
    printer: PrinterState | None,
    *,
    blocked_seconds: float,
    elapsed: float,
    patience: Patience,
) -> Verdict:
    if job.phase is JobPhase.COMPLETED:
        return Verdict(True, Outcome.COMPLETED)
    if job.phase is JobPhase.CANCELLED:
        return Verdict(True, Outcome.CANCELLED, job.message or "cancelled")
    if job.phase is JobPhase.ABORTED:
        reason = ",".join(printer.blocking) if printer and printer.blocking else job.message or "aborted"
        return Verdict(True, Outcome.FAILED, reason)
    if printer is not None and printer.blocking and blocked_seconds >= patience.blocked_for:
        return Verdict(True, Outcome.FAILED, ",".join(printer.blocking), cancel=True)
    if job.phase is JobPhase.STOPPED and blocked_seconds >= patience.blocked_for:
        return Verdict(True, Outcome.FAILED, job.message or "the printer stopped", cancel=True)
    if elapsed >= patience.overall:
        return Verdict(True, Outcome.FAILED, "timed out", cancel=True)
    return KEEP_WAITING


@dataclass(frozen=True)
class FollowResult:
    job_id: int
    outcome: Outcome
    reason: str
    seconds: float
    # Every distinct printer problem seen while following, for the kiosk's health report.
    problems_seen: tuple[str, ...] = ()


def follow_job(
    printer: Printer,
    job_id: int,
    patience: Patience | None = None,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    on_state: Callable[[JobStatus, PrinterState | None], None] | None = None,
) -> FollowResult:
    patience = patience or Patience()
    started = clock()
    blocked_since: float | None = None
    problems: dict[str, None] = {}
    while True:
        job = printer.job_status(job_id)
        try:
            state: PrinterState | None = printer.state()
        except PrinterError as err:
            log.warning("printer %s state unreadable while following job %d: %s", printer.name, job_id, err)
            state = None
        if on_state is not None:
            on_state(job, state)
        now = clock()
        if state is not None and state.blocking:
            problems.update(dict.fromkeys(state.blocking))
            blocked_since = now if blocked_since is None else blocked_since
        elif job.phase is JobPhase.STOPPED:
            blocked_since = now if blocked_since is None else blocked_since
        else:
            blocked_since = None
        verdict = assess(
            job,
            state,
            blocked_seconds=0.0 if blocked_since is None else now - blocked_since,
            elapsed=now - started,
            patience=patience,
        )
        if verdict.done:
            assert verdict.outcome is not None
            if verdict.cancel:
                _cancel_quietly(printer, job_id)
            log.info("job %d on %s: %s %s", job_id, printer.name, verdict.outcome, verdict.reason)
            return FollowResult(job_id, verdict.outcome, verdict.reason, now - started, tuple(problems))
        sleep(patience.poll_every)


def _cancel_quietly(printer: Printer, job_id: int) -> None:
    try:
        printer.cancel(job_id)
    except PrinterError as err:
        log.warning("could not cancel job %d on %s: %s", job_id, printer.name, err)


def print_and_follow(
    printer: Printer,
    document: Document,
    patience: Patience | None = None,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> FollowResult:
    """Submits and follows to the end; a refused submission is a failed result, never an exception.

    What a kiosk calls for a certificate: the outcome goes straight to the case service's print record.
    """
    started = clock()
    try:
        job_id = printer.submit(document)
    except PrinterError as err:
        log.warning("printer %s refused %r: %s", printer.name, document.title, err)
        return FollowResult(0, Outcome.FAILED, str(err), clock() - started)
    return follow_job(printer, job_id, patience, clock=clock, sleep=sleep)
