"""What the kiosk needs from the world, as Protocols: the case service, the hall controller, the devices.

Each has adapters to the real parts and to the hall simulator's devices (`kiosk/adapters/`), and in-process
simulated ones for unit tests (`kiosk/sim/`, `tests/kiosk/fake_case_service.py`). Implementations raise only
the errors below; the runner turns them into events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from kiosk.flow.model import (
    Applicant,
    CardRefusal,
    CaseSummary,
    Certificate,
    Device,
    IdCard,
    ItemDetail,
    ItemSummary,
    Language,
    LibraryDocument,
    LockerPickup,
    Service,
    SubmitOutcome,
    Ticket,
    Verification,
)


class PortError(Exception):
    """Base of the errors a port may raise."""


class ServiceUnavailableError(PortError):
    """The case service (or the hall controller) cannot be reached now; try again later."""


class RejectedError(PortError):
    """The other side answered no. `reason` is a message key for the applicant."""

    def __init__(self, reason: str, detail: str = "", params: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(detail or reason)
        self.reason = reason
        self.params = params  # the message's parameters (e.g. minutes of a lock-out)


class DeviceFailureError(PortError):
    """A device is missing or broken (not: the applicant did something we can fix by retrying)."""

    def __init__(self, device: Device, reason: str) -> None:
        super().__init__(f"{device.value}: {reason}")
        self.device = device
        self.reason = reason


class CardRefusedError(PortError):
    """A card is on the reader but cannot start a session; nothing of it is kept."""

    def __init__(self, reason: CardRefusal) -> None:
        super().__init__(f"card refused: {reason.value}")
        self.reason = reason


@dataclass(frozen=True)
class Identification:
    applicant: Applicant
    token: str = field(repr=False)
    library: tuple[LibraryDocument, ...] = ()


@dataclass(frozen=True)
class PrintDocument:
    """A document ready for a printer: PDF bytes and a title for the job."""

    title: str
    pdf: bytes = field(repr=False)
    copy: bool = False
    # A certificate print: the case service's print record, whose outcome the kiosk reports back.
    print_id: str = ""


class CaseService(Protocol):
    def identify_card(self, card: IdCard) -> Identification: ...

    def identify_qr(self, text: str) -> Identification: ...

    def send_code(self, phone: str) -> None: ...

    def identify_phone(self, phone: str, code: str) -> Identification: ...

    def search_items(self, query: str) -> tuple[ItemSummary, ...]: ...

    def item(self, item_id: str) -> ItemDetail: ...

    def submit(self, token: str, payload: dict[str, Any], idempotency_key: str) -> SubmitOutcome:
        """Sending the same key twice must create one case (the service answers with the first)."""
        ...

    def outcome_document(
        self, token: str, outcome: SubmitOutcome, language: Language
    ) -> PrintDocument | None:
        """The service's own receipt or one-time notice, when it issues one."""
        ...

    def cases(self, token: str) -> tuple[CaseSummary, ...]: ...

    def certificates(self, token: str) -> tuple[Certificate, ...]: ...

    def certificate_document(self, token: str, certificate_id: str) -> PrintDocument:
        """The original the first time, a marked copy after that."""
        ...

    def certificate_printed(self, certificate_id: str, print_id: str, outcome: str, reason: str = "") -> None:
        """Reports how the print of `certificate_document` ended: completed, failed or cancelled."""
        ...

    def rate(self, token: str, case_id: str, score: int) -> None: ...

    def file_complaint(self, token: str, case_id: str, summary: str) -> str:
        """投诉 about the applicant's own case; the date (ISO) by which the department answers."""
        ...

    def file_about_hall(self, token: str, topic: str, phone: str, idempotency_key: str) -> str:
        """投诉 about the hall itself, routed to the hall's office (ADR 0012), in the name of `token`'s person
        ("": nobody signed in, the kiosk's own); `phone` "" for none. Returns the date (ISO) by which the
        office answers. The same key files it once."""
        ...

    def verify_certificate(self, scanned: str) -> Verification:
        """Online check of a scanned certificate QR: signature, revoked, superseded, expired. Public."""
        ...

    def certificate_keys(self) -> dict[str, Any]:
        """The published public keys (`GET /certificates/keys`), cached for offline checks."""
        ...

    def reachable(self) -> bool: ...


class CardReader(Protocol):
    def current_card(self) -> IdCard | None:
        """The card on the reader now (read completely and checked), or None. Raises CardRefusedError
        for a card that cannot start a session, DeviceFailureError for a broken reader."""
        ...


class Scanner(Protocol):
    def next_code(self) -> str | None:
        """A QR code shown since the last call, or None. Raises DeviceFailureError."""
        ...


class Camera(Protocol):
    def capture_page(self) -> bytes:
        """A clean page (found, flattened, deskewed) as PNG bytes.

        Raises RejectedError("capture_no_page" / "capture_unclear") when the applicant can fix it,
        DeviceFailureError when the camera cannot.
        """
        ...


class Printer(Protocol):
    def print_document(self, document: PrintDocument) -> str:
        """Prints and waits until the job is done; returns the job id.

        Raises DeviceFailureError when the job did not complete (it is then cancelled, never left queued).
        """
        ...

    def problem(self) -> str | None:
        """Why the printer cannot print now (e.g. media-empty), or None."""
        ...


class HallLink(Protocol):
    def take_ticket(self, service: Service, id_number: str, priority: str = "ordinary") -> Ticket:
        """`priority`: the controller's class ("elderly" for a senior whose card was read here)."""
        ...

    def open_locker(self, value: str, method: str = "id_card") -> LockerPickup:
        """`method`: "id_card" (the read number), "code" (the typed pickup code) or "qr" (the SMS QR's
        text). Raises RejectedError("nothing_to_pick_up", "locker_wrong_code", ...) when refused."""
        ...

    def report_fault(self, device: Device, reason: str) -> None: ...

    def report_recovered(self, device: Device) -> None: ...


class Voice(Protocol):
    def say(self, text: str, language: Language) -> None: ...


@dataclass
class Ports:
    case_service: CaseService
    card_reader: CardReader
    scanner: Scanner
    camera: Camera
    printer: Printer
    hall: HallLink
    voice: Voice
