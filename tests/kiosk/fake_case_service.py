"""An in-memory case service with a small catalogue, beneath the kiosk's unit tests (tests/kiosk/harness.py):
the kiosk itself always talks HTTP to a running case service (kiosk/adapters/http_case.py)."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from hall.privacy import mask_name
from hall.signing import (
    CertificateClaims,
    Ed25519Signer,
    Ed25519Verifier,
    TokenRejectedError,
    sign_claims,
    token_from_scan,
    verify_token,
)
from kiosk import documents
from kiosk.certificate_check import OFFLINE_REASONS
from kiosk.flow.model import (
    Applicant,
    CaseSummary,
    Certificate,
    IdCard,
    ItemDetail,
    ItemSummary,
    Language,
    LibraryDocument,
    Material,
    SubmitOutcome,
    Verification,
    VerifyReason,
)
from kiosk.ports import Identification, PrintDocument, RejectedError, ServiceUnavailableError

DEMO_CODE = "123456"  # the one-time code the simulated SMS gateway "sends"

CATALOGUE = (
    ItemDetail(
        item_id="food-business-licence",
        name_zh="食品经营许可证核发",
        name_en="Food business licence",
        department_zh="市场监督管理局",
        department_en="Market Regulation Bureau",
        materials=(
            Material("application", "食品经营许可申请书", "Application form"),
            Material("premises", "经营场所使用证明", "Proof of the premises"),
            Material("layout", "经营设施布局图", "Layout of the premises"),
            Material("photo", "门头照片", "Photo of the shop front", required=False),
        ),
        time_limit_days=10,
        fee_zh="不收费",
        fee_en="Free",
        steps_zh=("申请", "受理", "审查", "决定", "制证", "送达"),
        steps_en=("Apply", "Acceptance", "Review", "Decision", "Certificate", "Delivery"),
    ),
    ItemDetail(
        item_id="sole-trader-registration",
        name_zh="个体工商户设立登记",
        name_en="Sole trader registration",
        department_zh="市场监督管理局",
        department_en="Market Regulation Bureau",
        materials=(
            Material("application", "个体工商户登记申请书", "Registration form"),
            Material("premises", "经营场所使用证明", "Proof of the premises"),
        ),
        time_limit_days=3,
        fee_zh="不收费",
        fee_en="Free",
        steps_zh=("申请", "受理", "核准", "发照"),
        steps_en=("Apply", "Acceptance", "Approval", "Licence"),
    ),
    ItemDetail(
        item_id="pension-enrolment",
        name_zh="城乡居民基本养老保险参保登记",
        name_en="Residents' basic pension enrolment",
        department_zh="人力资源和社会保障局",
        department_en="Human Resources and Social Security Bureau",
        materials=(Material("household", "户口簿", "Household register"),),
        time_limit_days=5,
        fee_zh="不收费",
        fee_en="Free",
        steps_zh=("申请", "受理", "登记"),
        steps_en=("Apply", "Acceptance", "Enrolment"),
    ),
    ItemDetail(
        item_id="id-card-renewal",
        name_zh="居民身份证换领",
        name_en="ID card renewal",
        department_zh="公安局",
        department_en="Public Security Bureau",
        materials=(Material("photo", "数码相片回执", "Photo receipt"),),
        time_limit_days=20,
        fee_zh="20 元",
        fee_en="CNY 20",
        steps_zh=("窗口采集指纹", "受理", "制证", "领证"),
        steps_en=("Fingerprints at a window", "Acceptance", "Production", "Collection"),
        kiosk_apply=False,
    ),
)
# Life events and everyday words that lead to items ("I want to open a shop").
LIFE_EVENTS = {
    "food-business-licence": ("开店", "餐饮", "开饭店", "shop", "restaurant", "food"),
    "sole-trader-registration": ("开店", "创业", "个体", "shop", "business", "start"),
    "pension-enrolment": ("退休", "养老", "retire", "pension"),
    "id-card-renewal": ("身份证", "过期", "id card", "renew"),
}


@dataclass
class _Case:
    case_id: str
    item: ItemDetail
    id_number: str
    accepted: bool
    missing: tuple[str, ...]
    rated: bool = False
    originals_printed: int = 0
    holder: str = field(default="", repr=False)
    status: str = "valid"  # of its certificate: valid, revoked, superseded
    payload: dict[str, Any] = field(default_factory=dict, repr=False)


class SimCaseService:
    def __init__(self, *, reachable: bool = True) -> None:
        self._lock = threading.Lock()
        self._reachable = reachable
        self._tokens: dict[str, Applicant] = {}
        self._cases: dict[str, _Case] = {}
        self._by_key: dict[str, SubmitOutcome] = {}
        self.submit_calls = 0
        # (certificate id, print id, outcome, reason) as the kiosk reported them.
        self.print_results: list[tuple[str, str, str, str]] = []
        self.complaints: list[tuple[str, str]] = []  # (case, summary) filed
        self.hall_complaints: dict[str, tuple[str, str, str]] = {}  # key -> (token, topic, phone) filed
        self._signer = Ed25519Signer.generate()

    # Test and demo controls -------------------------------------------------------------------------

    def set_reachable(self, reachable: bool) -> None:
        self._reachable = reachable

    def certificate_qr(self, certificate_id: str, *, valid_days: int = 5 * 365) -> str:
        """The signed QR text printed on a certificate of this service (as the real one prints it)."""
        case = self._cases[certificate_id.removeprefix("cert-")]
        issued = date.today() - timedelta(days=1)
        claims = CertificateClaims(
            self._signer.key_id,
            certificate_id,
            case.holder,
            case.item.name_zh,
            issued,
            issued + timedelta(days=valid_days),
        )
        return sign_claims(claims, self._signer)

    def set_certificate_status(self, certificate_id: str, status: str) -> None:
        self._cases[certificate_id.removeprefix("cert-")].status = status

    def case_count(self) -> int:
        return len(self._cases)

    # The port --------------------------------------------------------------------------------------

    def _check(self) -> None:
        if not self._reachable:
            raise ServiceUnavailableError("simulated outage")

    def _issue(self, applicant: Applicant) -> Identification:
        token = secrets.token_urlsafe(16)
        with self._lock:
            self._tokens[token] = applicant
            library = tuple(
                LibraryDocument(f"lib-{case.case_id}-{code}", code, f"{case.item.name_zh} · {code}")
                for case in self._cases.values()
                if case.id_number == applicant.id_number
                for code in _given_codes(case.payload)
            )
        return Identification(applicant, token, library)

    def _applicant(self, token: str) -> Applicant:
        applicant = self._tokens.get(token)
        if applicant is None:
            raise RejectedError("identify_rejected", "unknown or expired token")
        return applicant

    def identify_card(self, card: IdCard) -> Identification:
        self._check()
        return self._issue(Applicant(card.name, card.id_number, address=card.address))

    def identify_qr(self, text: str) -> Identification:
        self._check()
        prefix, _, rest = text.partition(":")
        id_number, _, name = rest.partition(":")
        if prefix != "eid" or len(id_number) != 18 or not name:
            raise RejectedError("qr_invalid")
        return self._issue(Applicant(name, id_number))

    def send_code(self, phone: str) -> None:
        self._check()

    def identify_phone(self, phone: str, code: str) -> Identification:
        self._check()
        if code != DEMO_CODE:
            raise RejectedError("code_wrong")
        return self._issue(Applicant("手机用户", "110101199003071234", phone=phone))

    def search_items(self, query: str) -> tuple[ItemSummary, ...]:
        self._check()
        words = query.strip().lower()
        found = []
        for item in CATALOGUE:
            events = LIFE_EVENTS[item.item_id]
            haystack = " ".join((item.name_zh, item.name_en.lower(), item.department_zh, *events))
            if not words or words in haystack or any(word in words for word in events):
                found.append(item.summary())
        return tuple(found)

    def item(self, item_id: str) -> ItemDetail:
        self._check()
        for item in CATALOGUE:
            if item.item_id == item_id:
                return item
        raise RejectedError("not_found")

    def submit(self, token: str, payload: dict[str, Any], idempotency_key: str) -> SubmitOutcome:
        self._check()
        with self._lock:
            self.submit_calls += 1
            if idempotency_key in self._by_key:
                return self._by_key[idempotency_key]
            applicant = self._applicant(token)
            if payload.get("case_id"):
                return self._supplement(applicant, payload, idempotency_key)
            item = next((i for i in CATALOGUE if i.item_id == payload.get("item_id")), None)
            if item is None:
                raise RejectedError("not_found")
            given = _given_codes(payload)
            missing = tuple(m.code for m in item.materials if m.required and m.code not in given)
            case_id = f"KS{len(self._cases) + 1:06d}"
            self._cases[case_id] = _Case(
                case_id, item, applicant.id_number, not missing, missing, payload=payload
            )
            self._cases[case_id].holder = applicant.name
            outcome = SubmitOutcome(case_id=case_id, accepted=not missing, missing=missing)
            self._by_key[idempotency_key] = outcome
            return outcome

    def _supplement(self, applicant: Applicant, payload: dict[str, Any], key: str) -> SubmitOutcome:
        """补正 of an existing case: the new materials join what the case already holds."""
        case = self._cases.get(str(payload["case_id"]))
        if case is None or case.id_number != applicant.id_number:
            raise RejectedError("not_found")
        given = _given_codes(payload)
        case.missing = tuple(code for code in case.missing if code not in given)
        case.accepted = not case.missing
        materials = [*case.payload.get("materials", []), *payload["materials"]]
        case.payload = {**case.payload, "materials": materials}
        outcome = SubmitOutcome(case_id=case.case_id, accepted=case.accepted, missing=case.missing)
        self._by_key[key] = outcome
        return outcome

    def outcome_document(
        self, token: str, outcome: SubmitOutcome, language: Language
    ) -> PrintDocument | None:
        self._check()
        case = self._cases.get(outcome.case_id)
        return documents.outcome(case.item, outcome, language) if case else None

    def _mine(self, token: str) -> list[_Case]:
        applicant = self._applicant(token)
        return [case for case in self._cases.values() if case.id_number == applicant.id_number]

    def cases(self, token: str) -> tuple[CaseSummary, ...]:
        self._check()
        summaries = []
        for case in self._mine(token):
            stage = "accepted" if case.accepted else "supplement"
            summaries.append(
                CaseSummary(
                    case.case_id,
                    case.item.name_zh,
                    case.item.name_en,
                    "已受理 · 审查中" if case.accepted else "待补正材料",
                    "2026-12-04" if case.accepted else "—",
                    "部门审查" if stage == "accepted" else "补齐材料后重新提交",
                    "Review by the department" if stage == "accepted" else "Bring the missing materials",
                    finished=case.accepted,
                    rated=case.rated,
                    item_id=case.item.item_id,
                    stage_en="Accepted, under review" if case.accepted else "Materials missing",
                    missing=case.missing,
                )
            )
        return tuple(summaries)

    def certificates(self, token: str) -> tuple[Certificate, ...]:
        self._check()
        return tuple(
            Certificate(f"cert-{case.case_id}", case.item.name_zh, case.item.name_en, case.originals_printed)
            for case in self._mine(token)
            if case.accepted
        )

    def certificate_document(self, token: str, certificate_id: str) -> PrintDocument:
        self._check()
        for case in self._mine(token):
            if f"cert-{case.case_id}" == certificate_id and case.accepted:
                copy = case.originals_printed > 0
                with self._lock:
                    case.originals_printed += 1
                mark = "（副本 COPY）" if copy else "（正本）"
                document = documents.outcome(
                    case.item, SubmitOutcome(case.case_id, accepted=True), Language.ZH
                )
                print_id = str(case.originals_printed)
                return replace(document, title=case.item.name_zh + mark, copy=copy, print_id=print_id)
        raise RejectedError("not_found")

    def certificate_printed(self, certificate_id: str, print_id: str, outcome: str, reason: str = "") -> None:
        self._check()
        with self._lock:
            self.print_results.append((certificate_id, print_id, outcome, reason))

    def rate(self, token: str, case_id: str, score: int) -> None:
        self._check()
        for case in self._mine(token):
            if case.case_id == case_id:
                case.rated = True
                return
        raise RejectedError("not_found")

    def file_complaint(self, token: str, case_id: str, summary: str) -> str:
        self._check()
        if not any(case.case_id == case_id for case in self._mine(token)):
            raise RejectedError("not_found")
        self.complaints.append((case_id, summary))
        return "2026-01-09"

    def file_about_hall(self, token: str, topic: str, phone: str, idempotency_key: str) -> str:
        self._check()
        self.hall_complaints[idempotency_key] = (token, topic, phone)  # the same key files it once
        return "2026-01-09"

    def verify_certificate(self, scanned: str) -> Verification:
        self._check()
        verifiers = {self._signer.key_id: self._signer.public}
        try:
            claims = verify_token(token_from_scan(scanned), verifiers)
        except TokenRejectedError as err:
            return Verification(OFFLINE_REASONS[err.reason])
        case = self._cases.get(claims.number.removeprefix("cert-"))
        if case is None or not case.accepted:
            return Verification(VerifyReason.UNKNOWN)
        reason = VerifyReason.VALID
        if case.status == "revoked":
            reason = VerifyReason.REVOKED
        elif case.status == "superseded":
            reason = VerifyReason.SUPERSEDED
        elif claims.valid_until is not None and claims.valid_until < date.today():
            reason = VerifyReason.EXPIRED
        return Verification(
            reason,
            holder_masked=mask_name(claims.holder),
            certificate_name=case.item.name_zh,
            number=claims.number,
            valid_from=claims.issued_on.isoformat(),
            valid_until=claims.valid_until.isoformat() if claims.valid_until else "",
            authority=case.item.department_zh,
        )

    def certificate_keys(self) -> dict[str, Any]:
        self._check()
        public: Ed25519Verifier = self._signer.public
        entry = {"key_id": public.key_id, "algorithm": public.algorithm, "pem": public.pem().decode("ascii")}
        return {"keys": [entry]}

    def reachable(self) -> bool:
        return self._reachable


def _given_codes(payload: dict[str, Any]) -> set[str]:
    return {str(material.get("code")) for material in payload.get("materials", [])}
