"""What the flow asks the outside world to do. The runner performs them off the UI thread and answers
with `Result` events carrying the same `serial`."""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.flow.model import (
    CapturedMaterial,
    Device,
    IdCard,
    IdentifyMethod,
    ItemDetail,
    Language,
    Service,
    SubmitOutcome,
    Ticket,
)


class Effect:
    """Base of every effect."""


@dataclass(frozen=True)
class Speak(Effect):
    key: str
    language: Language
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Identify(Effect):
    serial: int
    method: IdentifyMethod
    card: IdCard | None = None
    credential: str = field(default="", repr=False)  # QR text, or phone + ":" + code


@dataclass(frozen=True)
class SendCode(Effect):
    serial: int
    phone: str = field(repr=False)


@dataclass(frozen=True)
class SearchItems(Effect):
    serial: int
    query: str
    # Browsing: only the items whose `facet` (category, department, applicant_type) is `value`.
    facet: str = ""
    value: str = ""


@dataclass(frozen=True)
class LoadItem(Effect):
    serial: int
    item_id: str


@dataclass(frozen=True)
class Capture(Effect):
    serial: int
    material_code: str


@dataclass(frozen=True)
class Submission:
    item_id: str
    form: tuple[tuple[str, str], ...] = field(repr=False)
    materials: tuple[CapturedMaterial, ...]
    # 补正: the existing case these materials complete ("" for a new application).
    case_id: str = ""


@dataclass(frozen=True)
class Submit(Effect):
    serial: int
    token: str = field(repr=False)
    submission: Submission


@dataclass(frozen=True)
class LoadCases(Effect):
    serial: int
    token: str = field(repr=False)


@dataclass(frozen=True)
class LoadCertificates(Effect):
    serial: int
    token: str = field(repr=False)


@dataclass(frozen=True)
class TakeTicket(Effect):
    serial: int
    service: Service
    id_number: str = field(repr=False)
    # The controller's priority class asked for: "elderly" for a senior (the card read here proves it).
    priority: str = "ordinary"


@dataclass(frozen=True)
class OpenLocker(Effect):
    serial: int
    value: str = field(repr=False)  # the ID number, the typed code or the QR's text
    method: str = "id_card"


@dataclass(frozen=True)
class Rate(Effect):
    serial: int
    token: str = field(repr=False)
    case_id: str
    score: int


@dataclass(frozen=True)
class FileComplaint(Effect):
    serial: int
    token: str = field(repr=False)
    case_id: str
    reason: str  # one of machine.COMPLAINT_REASONS


@dataclass(frozen=True)
class FileHallComplaint(Effect):
    """About the hall itself, in the signed-in person's name (`token`) or, with none, the kiosk's."""

    serial: int
    token: str = field(repr=False)
    topic: str  # one of machine.HALL_TOPICS
    phone: str = field(repr=False)  # "" for none: nobody can be told


@dataclass(frozen=True)
class PrintGuide(Effect):
    serial: int
    item: ItemDetail
    language: Language


@dataclass(frozen=True)
class PrintOutcome(Effect):
    """The acceptance receipt, or the one-time notice listing every missing material."""

    serial: int
    token: str = field(repr=False)
    item: ItemDetail
    outcome: SubmitOutcome
    language: Language
    # 补正 of an existing case: a receipt for the materials, not an acceptance (that is the clerk's).
    supplement: bool = False


@dataclass(frozen=True)
class PrintCertificate(Effect):
    serial: int
    token: str = field(repr=False)
    certificate_id: str


@dataclass(frozen=True)
class PrintTicket(Effect):
    serial: int
    ticket: Ticket
    language: Language


@dataclass(frozen=True)
class VerifyCertificate(Effect):
    """Online at the case service first; offline with the cached public keys when it is unreachable."""

    serial: int
    text: str = field(repr=False)


@dataclass(frozen=True)
class ReportFault(Effect):
    device: Device
    reason: str


@dataclass(frozen=True)
class ReportRecovered(Effect):
    device: Device


@dataclass(frozen=True)
class Wipe(Effect):
    """Forget the session: memory is dropped by the flow; the runner deletes scratch files and tokens."""

    serial: int


@dataclass(frozen=True)
class FlushOutbox(Effect):
    pass
