"""What a printer says about itself and its jobs, in terms shared by every backend.

IPP (RFC 8011) reasons arrive with a severity suffix (``media-empty-error``, ``toner-low-warning``,
``offline-report``); `base_reason` strips it so rules can match on the keyword. Reasons that stop a
printer from producing paper are *blocking*; the rest (``toner-low``) are only reported.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

SEVERITY_SUFFIXES = ("-error", "-warning", "-report")
BLOCKING_REASONS = frozenset(
    {
        "media-empty",
        "media-jam",
        "media-needed",
        "offline",
        "cover-open",
        "door-open",
        "input-tray-missing",
        "marker-supply-empty",
        "toner-empty",
        "paused",
        "shutdown",
        "spool-area-full",
        "connecting-to-device",
    }
)
# Reasons CUPS adds about its own work, not about the printer.
BOOKKEEPING_REASONS = frozenset({"none", "cups-waiting-for-job-completed", "moving-to-paused"})


def base_reason(reason: str) -> str:
    for suffix in SEVERITY_SUFFIXES:
        if reason.endswith(suffix):
            return reason.removesuffix(suffix)
    return reason


def meaningful_reasons(reasons: Iterable[str]) -> tuple[str, ...]:
    """Base reasons without CUPS's bookkeeping, in order, without duplicates."""
    seen: dict[str, None] = {}
    for reason in reasons:
        base = base_reason(reason)
        if base and base not in BOOKKEEPING_REASONS and not base.startswith("cups-"):
            seen.setdefault(base, None)
    return tuple(seen)


class Capability(StrEnum):
    A4 = "a4"  # certificates and notices
    RECEIPT = "receipt"  # thermal roll: tickets and receipts (ESC/POS)
    COLOR = "color"
    DUPLEX = "duplex"


class PrinterCondition(StrEnum):
    IDLE = "idle"
    PROCESSING = "processing"
    STOPPED = "stopped"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Marker:
    """A supply (toner, ink, ribbon) and its level in percent (-1 unknown, -2 unavailable, -3 some left)."""

    name: str
    level: int
    kind: str = ""
    color: str = ""

    @property
    def low(self) -> bool:
        return 0 <= self.level <= 10


@dataclass(frozen=True)
class PrinterState:
    condition: PrinterCondition
    reasons: tuple[str, ...] = ()
    markers: tuple[Marker, ...] = ()
    accepting: bool = True
    message: str = ""

    @property
    def blocking(self) -> tuple[str, ...]:
        return tuple(reason for reason in self.reasons if reason in BLOCKING_REASONS)

    @property
    def ready(self) -> bool:
        return self.accepting and self.condition is not PrinterCondition.STOPPED and not self.blocking


class JobPhase(StrEnum):
    PENDING = "pending"
    HELD = "held"
    PROCESSING = "processing"
    STOPPED = "stopped"
    CANCELLED = "cancelled"
    ABORTED = "aborted"
    COMPLETED = "completed"

    @property
    def final(self) -> bool:
        return self in {JobPhase.CANCELLED, JobPhase.ABORTED, JobPhase.COMPLETED}


# IPP job-state enum values (RFC 8011 5.3.7).
IPP_JOB_PHASES = {
    3: JobPhase.PENDING,
    4: JobPhase.HELD,
    5: JobPhase.PROCESSING,
    6: JobPhase.STOPPED,
    7: JobPhase.CANCELLED,
    8: JobPhase.ABORTED,
    9: JobPhase.COMPLETED,
}
IPP_PRINTER_CONDITIONS = {
    3: PrinterCondition.IDLE,
    4: PrinterCondition.PROCESSING,
    5: PrinterCondition.STOPPED,
}


@dataclass(frozen=True)
class JobStatus:
    job_id: int
    phase: JobPhase
    reasons: tuple[str, ...] = ()
    message: str = ""


@dataclass(frozen=True)
class Document:
    """What to print: bytes in a format the printer's queue accepts (PDF for A4, ESC/POS for receipts)."""

    data: bytes
    title: str
    content_type: str = "application/pdf"
    options: dict[str, str] = field(default_factory=dict)


class PrinterError(Exception):
    """The printer or its print service failed; the message says what and where."""


class PrinterUnavailableError(PrinterError):
    """No printer can do the job right now."""


class Printer(Protocol):
    """One printer, real (CUPS, ESC/POS) or simulated. Methods raise `PrinterError` on failure."""

    @property
    def name(self) -> str: ...

    @property
    def capabilities(self) -> frozenset[Capability]: ...

    def submit(self, document: Document) -> int: ...

    def job_status(self, job_id: int) -> JobStatus: ...

    def cancel(self, job_id: int) -> None: ...

    def state(self) -> PrinterState: ...
