"""A simulated printer behind the `Printer` protocol: jobs take time, paper runs out, paper jams.

Time comes from an injectable clock, so tests step through a job deterministically. Each sheet takes
`seconds_per_page`; a job advances only while nothing blocks the printer; toner falls per page.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from devices.printing.model import (
    Capability,
    Document,
    JobPhase,
    JobStatus,
    Marker,
    PrinterCondition,
    PrinterError,
    PrinterState,
)

PAGE_RE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


@dataclass
class _Job:
    job_id: int
    pages: int
    sheets_done: int = 0
    partial: float = 0.0
    phase: JobPhase = JobPhase.PENDING
    message: str = ""


class SimulatedPrinter:
    def __init__(
        self,
        name: str,
        capabilities: frozenset[Capability] = frozenset({Capability.A4}),
        *,
        sheets: int = 100,
        toner: int = 80,
        seconds_per_page: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.capabilities = capabilities
        self.sheets = sheets
        self.toner = float(toner)
        self.seconds_per_page = seconds_per_page
        self._clock = clock
        self._last = clock()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._jobs: dict[int, _Job] = {}
        self._faults: set[str] = set()
        self.printed: list[Document] = []

    # The printer's panel, for tests and the demo.
    def run_out_of_paper(self) -> None:
        with self._lock:
            self._advance()
            self.sheets = 0

    def load_paper(self, sheets: int = 100) -> None:
        with self._lock:
            self._advance()
            self.sheets = sheets

    def jam(self) -> None:
        with self._lock:
            self._advance()
            self._faults.add("media-jam")

    def clear_jam(self) -> None:
        with self._lock:
            self._advance()
            self._faults.discard("media-jam")

    def go_offline(self) -> None:
        with self._lock:
            self._faults.add("offline")

    def come_online(self) -> None:
        with self._lock:
            self._last = self._clock()
            self._faults.discard("offline")

    def submit(self, document: Document) -> int:
        with self._lock:
            if "offline" in self._faults:
                raise PrinterError(f"{self.name} is offline")
            self._advance()
            pages = max(1, len(PAGE_RE.findall(document.data)))
            job = _Job(next(self._ids), pages)
            self._jobs[job.job_id] = job
            self.printed.append(document)
            return job.job_id

    def job_status(self, job_id: int) -> JobStatus:
        with self._lock:
            self._advance()
            job = self._jobs.get(job_id)
            if job is None:
                raise PrinterError(f"{self.name} has no job {job_id}")
            return JobStatus(job.job_id, job.phase, (), job.message)

    def cancel(self, job_id: int) -> None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                raise PrinterError(f"{self.name} has no job {job_id}")
            if not job.phase.final:
                job.phase = JobPhase.CANCELLED

    def state(self) -> PrinterState:
        with self._lock:
            if "offline" in self._faults:
                raise PrinterError(f"{self.name} does not answer")
            self._advance()
            reasons = self._blocking()
            if 0 <= self.toner <= 10:
                reasons.append("toner-low")
            active = any(job.phase is JobPhase.PROCESSING for job in self._jobs.values())
            condition = PrinterCondition.PROCESSING if active else PrinterCondition.IDLE
            if self._blocking():
                condition = PrinterCondition.STOPPED
            marker = Marker("Black Toner", round(self.toner), "toner", "#000000")
            return PrinterState(condition, tuple(reasons), (marker,))

    def _blocking(self) -> list[str]:
        reasons = sorted(self._faults - {"offline"})
        if self.sheets <= 0:
            reasons.insert(0, "media-empty")
        return reasons

    def _advance(self) -> None:
        """Moves active jobs forward by the time passed, one at a time, a sheet per `seconds_per_page`."""
        now = self._clock()
        budget = now - self._last
        self._last = now
        for job in self._jobs.values():
            if job.phase.final:
                continue
            job.phase = JobPhase.PROCESSING
            while budget > 0 and job.sheets_done < job.pages and not self._stopped():
                needed = self.seconds_per_page - job.partial
                if budget < needed:
                    job.partial += budget
                    budget = 0
                    break
                budget -= needed
                job.partial = 0.0
                job.sheets_done += 1
                self.sheets -= 1
                self.toner = max(0.0, self.toner - 0.5)
            if job.sheets_done >= job.pages:
                job.phase = JobPhase.COMPLETED
                job.message = ""
                continue
            job.message = ",".join(self._blocking()) or ("offline" if "offline" in self._faults else "")
            return

    def _stopped(self) -> bool:
        return bool(self._blocking()) or "offline" in self._faults
