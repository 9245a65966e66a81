"""The plain data the kiosk's flow works with. Frozen, so a state can be compared and never mutated."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from enum import StrEnum

from devices.idcard.attestation import CardRead
from hall.privacy import mask_id_number, mask_name


class Language(StrEnum):
    ZH = "zh"
    EN = "en"


class Device(StrEnum):
    CARD_READER = "card_reader"
    SCANNER = "scanner"
    CAMERA = "camera"
    PRINTER = "printer"


class Service(StrEnum):
    """The nine things a person can do at the kiosk (VERIFY needs no sign-in)."""

    GUIDE = "guide"
    APPLY = "apply"
    PROGRESS = "progress"
    CERTIFICATES = "certificates"
    TICKET = "ticket"
    PICKUP = "pickup"
    RATING = "rating"
    VERIFY = "verify"
    COMPLAINT = "complaint"  # 投诉 about one of the person's cases


class IdentifyMethod(StrEnum):
    CARD = "card"
    QR = "qr"
    PHONE = "phone"


@dataclass(frozen=True)
class IdCard:
    """What the card reader read. `repr` never shows the number in full."""

    name: str
    id_number: str = field(repr=False)
    address: str = field(default="", repr=False)
    read: CardRead | None = field(default=None, repr=False, compare=False)  # the chip's record, to attest

    @property
    def masked_id(self) -> str:
        return mask_id_number(self.id_number)


def age_on(id_number: str, today: dt.date) -> int | None:
    """Whole years since the birth date an 18-digit ID number holds (digits 7-14); None if it holds none."""
    try:
        born = dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None
    if len(id_number) != 18 or born > today:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@dataclass(frozen=True)
class Applicant:
    name: str
    id_number: str = field(repr=False)
    phone: str = field(default="", repr=False)
    address: str = field(default="", repr=False)

    @property
    def masked_id(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)


@dataclass(frozen=True)
class Material:
    code: str
    name_zh: str
    name_en: str
    required: bool = True


@dataclass(frozen=True)
class ItemSummary:
    item_id: str
    name_zh: str
    name_en: str
    department_zh: str
    department_en: str
    # The catalogue's own groupings, to browse by: its theme (经营类, 公民类, 工程类) and for whom (自然人,
    # 法人或其他组织). "" where the source has none.
    category: str = ""
    applicant_type: str = ""
    # The life events (生活事件: 就业, 开办企业 …) in which people need the item: none, one or several.
    life_events: tuple[str, ...] = ()
    # Their everyday words (开店, 招工 …): the pinyin keyboard offers them, the service's search finds them.
    words: tuple[str, ...] = ()


# What the guide browses by: ItemSummary's fields the catalogue fills (its theme, department, for whom,
# life event).
FACETS = ("category", "department_zh", "applicant_type", "life_events")


def facet_values(item: ItemSummary, facet: str) -> tuple[str, ...]:
    """The values an item has for a facet (a life event facet has several, the others one)."""
    value = getattr(item, facet, "") if facet in FACETS else ""
    return tuple(value) if isinstance(value, tuple) else (str(value),)


@dataclass(frozen=True)
class ItemDetail:
    item_id: str
    name_zh: str
    name_en: str
    department_zh: str
    department_en: str
    materials: tuple[Material, ...]
    time_limit_days: int
    fee_zh: str
    fee_en: str
    steps_zh: tuple[str, ...]
    steps_en: tuple[str, ...]
    # Form fields an applicant fills (pre-filled from the card where the names match).
    form_fields: tuple[str, ...] = ("name", "id_number", "phone", "address")
    kiosk_apply: bool = True
    category: str = ""
    applicant_type: str = ""
    life_events: tuple[str, ...] = ()
    words: tuple[str, ...] = ()

    def summary(self) -> ItemSummary:
        return ItemSummary(
            self.item_id,
            self.name_zh,
            self.name_en,
            self.department_zh,
            self.department_en,
            self.category,
            self.applicant_type,
            self.life_events,
            self.words,
        )


@dataclass(frozen=True)
class LibraryDocument:
    """A material the applicant has given before (their document library), reusable in a new case."""

    document_id: str
    material_code: str
    title: str


@dataclass(frozen=True)
class CapturedMaterial:
    material_code: str
    # A scratch file of this session (wiped with it), or a library document id.
    image_path: str = ""
    library_document_id: str = ""


@dataclass(frozen=True)
class CaseSummary:
    case_id: str
    item_name_zh: str
    item_name_en: str
    stage: str
    due_date: str
    next_step_zh: str
    next_step_en: str
    finished: bool = False
    rated: bool = False
    item_id: str = ""
    stage_en: str = ""  # the stage in English where the source has it ("" -> `stage`)
    # 补正: the case waits for these materials (codes) from the applicant.
    missing: tuple[str, ...] = ()
    # The due date lies in a year whose holidays are not yet announced: shown as estimated (预计).
    due_estimated: bool = False

    @property
    def needs_supplement(self) -> bool:
        return bool(self.missing)


@dataclass(frozen=True)
class Certificate:
    certificate_id: str
    title_zh: str
    title_en: str
    originals_printed: int = 0


@dataclass(frozen=True)
class SubmitOutcome:
    """The case service's answer to a submission, or `queued` when it was unreachable."""

    case_id: str = ""
    # Every listed required material is in (the case is still only submitted: the window accepts it).
    accepted: bool = False
    missing: tuple[str, ...] = ()
    queued: bool = False
    # The date (ISO) by which the window decides whether to accept the case (受理审查), from the service.
    review_by: str = ""
    # ... estimated: it lies in a year whose holidays are not yet announced (the service's due_estimated).
    review_estimated: bool = False


@dataclass(frozen=True)
class Ticket:
    number: str
    waiting: int
    estimate_minutes: int
    # The controller's priority class of the ticket: "ordinary", or "elderly" (优先号) …
    priority: str = "ordinary"


@dataclass(frozen=True)
class LockerPickup:
    locker: str  # the bank's id, e.g. "locker-bank-03"
    compartment: str

    @property
    def bank_number(self) -> str:
        """The number painted on the bank ("3" for locker-bank-03): what a person looks for, not the
        device id; the whole id when it ends in no number."""
        digits = re.search(r"(\d+)$", self.locker)
        return str(int(digits.group(1))) if digits else self.locker


class VerifyReason(StrEnum):
    """Why a scanned certificate is (not) valid; each has a message key `verify_<value>`."""

    VALID = "valid"
    FORGED = "forged"  # the signature does not match: altered, or not signed by the key it names
    DAMAGED = "damaged"  # not a certificate QR, or unreadable / unsupported
    UNKNOWN_KEY = "unknown_key"
    UNKNOWN = "unknown"  # signed, but the case service holds no such certificate (or another revision)
    REVOKED = "revoked"
    SUPERSEDED = "superseded"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Verification:
    """A scanned certificate's verdict and what it may show. The holder's name is masked at the port."""

    reason: VerifyReason
    holder_masked: str = ""
    certificate_name: str = ""
    number: str = ""
    valid_from: str = ""
    valid_until: str = ""  # "" = no end date
    authority: str = ""
    superseded_by: str = ""
    # Checked offline with cached public keys: signature and dates only, revocation not known.
    offline: bool = False

    @property
    def valid(self) -> bool:
        return self.reason is VerifyReason.VALID

    @property
    def message_key(self) -> str:
        """Offline, "valid" can only mean a good signature: revocation was not checked."""
        return "verify_valid_offline" if self.offline and self.valid else f"verify_{self.reason.value}"


class CardRefusal(StrEnum):
    """Why a card on the reader starts no session; each has its own message (card_<value>)."""

    EXPIRED = "expired"  # past the card's validity
    UNREADABLE = "unreadable"  # damaged data, a bad check digit, an unsupported card
    REMOVED = "removed"  # taken off the reader part-way through the read
