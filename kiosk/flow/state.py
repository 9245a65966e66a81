"""What the kiosk is showing and what it holds about the person in front of it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from kiosk.flow.model import (
    Applicant,
    CapturedMaterial,
    CaseSummary,
    Certificate,
    Device,
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


class Screen(StrEnum):
    ATTRACT = "attract"
    LANGUAGE = "language"
    IDENTIFY = "identify"
    MENU = "menu"
    GUIDE = "guide"
    ITEM = "item"
    APPLY_FORM = "apply_form"
    APPLY_CAPTURE = "apply_capture"
    APPLY_DONE = "apply_done"
    PROGRESS = "progress"
    CERTIFICATES = "certificates"
    TICKET = "ticket"
    PICKUP = "pickup"
    RATING = "rating"
    COMPLAINT = "complaint"
    HALL_COMPLAINT = "hall_complaint"  # about the hall itself: signed in or not
    VERIFY = "verify"
    FAULT = "fault"


TEXT_SCALES = (1.0, 1.2, 1.4, 1.6)
ELDER_TEXT_SCALE = 1.4


@dataclass(frozen=True)
class Notice:
    """A line shown under the title: a message key and its parameters."""

    key: str
    params: tuple[tuple[str, str], ...] = ()
    error: bool = False


@dataclass(frozen=True)
class Session:
    """Everything about one applicant. Dropped whole when the session ends (see `Wipe`)."""

    language: Language = Language.ZH
    elder: bool = False
    # Of the age (by the ID card's birth date) the hall serves first: offered elder mode and a priority
    # ticket (优先号).
    senior: bool = False
    text_scale: float = 1.0
    applicant: Applicant | None = None
    token: str = field(default="", repr=False)
    offline: bool = False
    identify_method: IdentifyMethod | None = None
    phone: str = field(default="", repr=False)
    service: Service | None = None
    query: str = ""
    # Browsing: the facet and value shown ((), or e.g. ("category", "公民类")).
    browse: tuple[str, ...] = ()
    items: tuple[ItemSummary, ...] = ()
    # The whole catalogue (the last unfiltered list): its themes and departments to browse, its words for
    # the pinyin keyboard.
    catalogue: tuple[ItemSummary, ...] = ()
    item: ItemDetail | None = None
    form: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    captured: tuple[CapturedMaterial, ...] = ()
    library: tuple[LibraryDocument, ...] = ()
    outcome: SubmitOutcome | None = None
    # 补正: the case whose missing materials are being given (its other materials are not asked again).
    supplement_case: str = ""
    cases: tuple[CaseSummary, ...] = ()
    certificates: tuple[Certificate, ...] = ()
    ticket: Ticket | None = None
    pickup: LockerPickup | None = None
    # The certificate just checked: dropped as soon as the verify screen closes.
    verification: Verification | None = None
    busy: str = ""
    notice: Notice | None = None
    # 结束办理 touched with an application half made: asked to confirm before it is lost.
    confirm_finish: bool = False

    def form_value(self, name: str) -> str:
        return dict(self.form).get(name, "")

    def captured_codes(self) -> frozenset[str]:
        return frozenset(material.material_code for material in self.captured)

    def missing_materials(self) -> tuple[str, ...]:
        """Codes of the required materials not yet captured: the live completeness check."""
        if self.item is None:
            return ()
        have = self.captured_codes()
        return tuple(m.code for m in self.item.materials if m.required and m.code not in have)

    def with_notice(self, key: str, *, error: bool = False, **params: str) -> Session:
        return replace(self, notice=Notice(key, tuple(sorted(params.items())), error), busy="")


@dataclass(frozen=True)
class Fault:
    """A device fault being explained: which device, and the other ways offered (message keys)."""

    device: Device
    alternatives: tuple[str, ...]
    return_to: Screen


@dataclass(frozen=True)
class KioskState:
    screen: Screen = Screen.ATTRACT
    session: Session | None = None
    # Each session gets a serial; results that arrive for an ended session are dropped.
    serial: int = 0
    idle_seconds: float = 0.0
    countdown: float | None = None
    card_present: bool = False
    card_present_seconds: float = 0.0
    card_reminded: bool = False
    service_online: bool = True
    broken: frozenset[Device] = frozenset()
    fault: Fault | None = None
    outbox_pending: int = 0

    @property
    def language(self) -> Language:
        return self.session.language if self.session else Language.ZH
