"""What can happen to the kiosk: the applicant's touches, devices, the network, and the clock.

`Result` events answer an effect; they carry the session serial of the effect so that an answer arriving
after its session ended is dropped rather than bringing personal data back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.flow.model import (
    Applicant,
    CardRefusal,
    CaseSummary,
    Certificate,
    Device,
    IdCard,
    IdentifyMethod,
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


class Event:
    """Base of every event."""


# The applicant --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Touched(Event):
    """Any touch: starts a session on the attract screen, resets the inactivity timer elsewhere."""


@dataclass(frozen=True)
class LanguageChosen(Event):
    language: Language


@dataclass(frozen=True)
class ElderModeToggled(Event):
    pass


@dataclass(frozen=True)
class TextSizeChanged(Event):
    step: int  # +1 larger, -1 smaller


@dataclass(frozen=True)
class IdentifyMethodChosen(Event):
    method: IdentifyMethod


@dataclass(frozen=True)
class PhoneEntered(Event):
    phone: str = field(repr=False)


@dataclass(frozen=True)
class CodeEntered(Event):
    code: str = field(repr=False)


@dataclass(frozen=True)
class PickupCodeEntered(Event):
    """The locker's pickup code typed on the pickup screen's digit pad."""

    code: str = field(repr=False)


@dataclass(frozen=True)
class ServiceChosen(Event):
    service: Service


@dataclass(frozen=True)
class SearchSubmitted(Event):
    query: str


@dataclass(frozen=True)
class Browsed(Event):
    """A theme, department or group of applicants touched: the catalogue's items of it."""

    facet: str  # one of model.FACETS
    value: str


@dataclass(frozen=True)
class ItemChosen(Event):
    item_id: str


@dataclass(frozen=True)
class PrintGuideRequested(Event):
    pass


@dataclass(frozen=True)
class ApplyChosen(Event):
    pass


@dataclass(frozen=True)
class FieldChanged(Event):
    name: str
    value: str = field(repr=False)


@dataclass(frozen=True)
class FormConfirmed(Event):
    pass


@dataclass(frozen=True)
class CaptureRequested(Event):
    material_code: str


@dataclass(frozen=True)
class LibraryDocumentUsed(Event):
    material_code: str
    document_id: str


@dataclass(frozen=True)
class MaterialRemoved(Event):
    material_code: str


@dataclass(frozen=True)
class SubmitRequested(Event):
    pass


@dataclass(frozen=True)
class CertificatePrintRequested(Event):
    certificate_id: str


@dataclass(frozen=True)
class SupplementChosen(Event):
    """补正: the applicant gives the missing materials of one of their cases (from 进度查询)."""

    case_id: str


@dataclass(frozen=True)
class RatingGiven(Event):
    case_id: str
    score: int


@dataclass(frozen=True)
class ComplaintGiven(Event):
    case_id: str
    reason: str  # one of machine.COMPLAINT_REASONS


@dataclass(frozen=True)
class HallComplaintOpened(Event):
    """对大厅投诉 touched: under the card prompt (no sign-in) or on the complaint screen."""


@dataclass(frozen=True)
class HallComplaintGiven(Event):
    """A complaint about the hall: a topic touched, a contact phone typed on the digit pad or none."""

    topic: str  # one of machine.HALL_TOPICS
    phone: str = field(default="", repr=False)


@dataclass(frozen=True)
class Back(Event):
    pass


@dataclass(frozen=True)
class Home(Event):
    pass


@dataclass(frozen=True)
class Finish(Event):
    """The applicant ends the session (`confirmed`: after being asked, as a half-made application would
    be lost)."""

    confirmed: bool = False


@dataclass(frozen=True)
class FinishCancelled(Event):
    """继续办理: the person stays; the question goes."""


# Devices and the network (not tied to a session) ------------------------------------------------


@dataclass(frozen=True)
class CardInserted(Event):
    card: IdCard


@dataclass(frozen=True)
class CardRemoved(Event):
    pass


@dataclass(frozen=True)
class CardRefused(Event):
    """A card was placed but cannot start a session (expired, unreadable, taken off mid-read)."""

    reason: CardRefusal


@dataclass(frozen=True)
class QrScanned(Event):
    text: str = field(repr=False)


@dataclass(frozen=True)
class DeviceFault(Event):
    device: Device
    reason: str


@dataclass(frozen=True)
class DeviceRecovered(Event):
    device: Device


@dataclass(frozen=True)
class ServiceUnreachable(Event):
    pass


@dataclass(frozen=True)
class ServiceBack(Event):
    pass


@dataclass(frozen=True)
class OutboxChanged(Event):
    pending: int


@dataclass(frozen=True)
class Tick(Event):
    seconds: float


# Results of effects ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result(Event):
    serial: int


@dataclass(frozen=True)
class Identified(Result):
    applicant: Applicant
    token: str = field(repr=False)
    library: tuple[LibraryDocument, ...] = ()
    offline: bool = False
    age: int | None = None  # from the ID number's birth date (None: not known)


@dataclass(frozen=True)
class IdentifyFailed(Result):
    reason: str  # a message key


@dataclass(frozen=True)
class CodeSent(Result):
    pass


@dataclass(frozen=True)
class ItemsFound(Result):
    items: tuple[ItemSummary, ...]


@dataclass(frozen=True)
class ItemLoaded(Result):
    item: ItemDetail


@dataclass(frozen=True)
class MaterialCaptured(Result):
    material_code: str
    image_path: str


@dataclass(frozen=True)
class CaptureFailed(Result):
    material_code: str
    reason: str  # a message key: capture_unclear, capture_no_page


@dataclass(frozen=True)
class Submitted(Result):
    outcome: SubmitOutcome


@dataclass(frozen=True)
class CasesLoaded(Result):
    cases: tuple[CaseSummary, ...]


@dataclass(frozen=True)
class CertificatesLoaded(Result):
    certificates: tuple[Certificate, ...]


@dataclass(frozen=True)
class TicketTaken(Result):
    ticket: Ticket


@dataclass(frozen=True)
class LockerOpened(Result):
    pickup: LockerPickup


@dataclass(frozen=True)
class Rated(Result):
    case_id: str


@dataclass(frozen=True)
class ComplaintFiled(Result):
    case_id: str
    reply_by: str  # the date (ISO) by which the department answers


@dataclass(frozen=True)
class HallComplaintFiled(Result):
    reply_by: str  # the date (ISO) by which the hall's office answers
    reachable: bool  # a phone was given: the person is told the answer


@dataclass(frozen=True)
class Printed(Result):
    kind: str


@dataclass(frozen=True)
class CertificateVerified(Result):
    verification: Verification


@dataclass(frozen=True)
class OperationFailed(Result):
    reason: str  # a message key
    params: tuple[tuple[str, str], ...] = ()
