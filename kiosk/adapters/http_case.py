"""The case service over HTTP (API v1): the kiosk's device token, applicant tokens from the ID card,
the catalogue, cases with their materials (idempotent), completeness, notices, certificates, ratings.

Every transport problem and 5xx becomes ServiceUnavailableError (the kiosk keeps the submission in its
outbox); every refusal becomes RejectedError with a message key for the applicant.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
import time
from dataclasses import replace
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from devices.idcard.attestation import attest
from hall.case_api import CaseOut, CaseState, CaseStatus, CompletenessOut, ItemOut, Page, TokenOut
from kiosk.certificate_check import service_reason
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

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)

# Seed 003: 受理—审核—准予许可决定—制作证照—加盖印章—出件
STEPS_ZH = ("受理", "审核", "准予许可决定", "制作证照", "加盖印章", "出件")
STEPS_EN = ("Acceptance", "Review", "Decision", "Certificate", "Unified seal", "Release")
S = CaseState
FINISHED_STATES = {S.DELIVERED, S.DENIED, S.NOT_ACCEPTED, S.WITHDRAWN, S.REGISTERED}
# The case service labels its states and next steps in Chinese only; the kiosk's English for each state.
STATE_EN: dict[CaseState, tuple[str, str]] = {
    S.SUBMITTED: ("Submitted", "The window checks your application"),
    S.SUPPLEMENT_REQUIRED: ("Materials missing", "Give everything the notice lists, at once"),
    S.ACCEPTED: ("Accepted", "The department reviews it"),
    S.NOT_ACCEPTED: ("Not accepted", "Finished: not accepted"),
    S.IN_REVIEW: ("Under review", "Review under way; the decision follows"),
    S.APPROVED: ("Approved", "The certificate is being made"),
    S.DENIED: ("Denied", "Finished: denied; you may seek reconsideration or go to court"),
    S.CERTIFICATE_MADE: ("Certificate made", "Waiting for the unified seal"),
    S.SEALED: ("Sealed", "Ready to print here or collect at the window"),
    S.READY_FOR_RELEASE: ("Ready", "Collect at the window, or as you chose"),
    S.READY_FOR_PICKUP: ("In a locker", "Open the locker with your ID card or pickup code"),
    S.DELIVERED: ("Delivered", "Finished"),
    S.WITHDRAWN: ("Withdrawn", "Finished: withdrawn"),
    S.SUSPENDED: ("Suspended", "Hearing, testing or expert review: not counted in the time limit"),
    S.REGISTERED: ("Done on the spot", "Finished: the receipt was issued at the window"),
    S.FORWARDED: ("Forwarded", "Sent to the higher authority; waiting for its result"),
    S.RESULT_RECEIVED: ("Result received", "The higher authority's result is ready for release"),
    S.HANDLED: ("Handled", "Collect the result at the window, or as you chose"),
    S.RETURNED: ("Back at the window", "The window checks the application again; it may call you"),
}
MAX_SCAN_LENGTH = 2000  # the verify endpoint's limit
SEARCH_PAGE = 100
CERTIFICATE_STATES = {S.SEALED, S.READY_FOR_RELEASE, S.READY_FOR_PICKUP, S.DELIVERED}


def fee_text(item: ItemOut) -> tuple[str, str]:
    """What the item costs, in Chinese and English, as its guide says: free only when the department says
    so (不收费), never because nothing is known (an unknown fee is 待部门核实)."""
    if item.fee_status == "待部门核实" or "fee_status" in item.unverified or "fees" in item.unverified:
        return "待部门核实", "to be confirmed by the department"
    if item.fee_status == "不收费" or not item.fees:
        return "不收费", "Free"
    charged = "；".join(f"{fee.get('name', '')} {fee.get('amount', '')}".strip() for fee in item.fees)
    return charged, charged


class HttpCaseService:
    def __init__(
        self,
        base_url: str,
        *,
        device_id: str,
        secret: str,
        timeout: float = 5.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._client = httpx.Client(
            base_url=base_url.rstrip("/") + "/api/v1", timeout=timeout, transport=transport
        )
        self._device_id = device_id
        self._secret = secret
        self._device_token = ""
        self._device_token_until = 0.0
        self._lock = threading.Lock()
        self._print_tokens: dict[str, str] = {}  # print id -> the applicant token that asked for it

    def close(self) -> None:
        self._client.close()

    # Transport -------------------------------------------------------------------------------------

    def _request(self, method: str, path: str, *, token: str = "", **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            response = self._client.request(method, path, headers=headers, **kwargs)
        except httpx.TransportError as err:
            raise ServiceUnavailableError(f"{method} {path}: {type(err).__name__}") from err
        if response.status_code >= 500 or response.status_code == 429:
            raise ServiceUnavailableError(f"{method} {path}: HTTP {response.status_code}")
        if response.status_code in (401, 403):
            raise RejectedError("identify_rejected", f"{method} {path}: HTTP {response.status_code}")
        if response.status_code == 404:
            raise RejectedError("not_found", f"{method} {path}: not found")
        if response.status_code >= 400:
            raise RejectedError(
                "service_error", f"{method} {path}: HTTP {response.status_code} {_detail(response)}"
            )
        return response

    def _json(self, method: str, path: str, *, token: str = "", **kwargs: Any) -> Any:
        response = self._request(method, path, token=token, **kwargs)
        try:
            return response.json()
        except ValueError as err:
            raise ServiceUnavailableError(f"{method} {path}: not JSON") from err

    def _read(self, model: type[M], method: str, path: str, *, token: str = "", **kwargs: Any) -> M:
        """The answer as the contract's model (hall/case_api.py); anything else is the service failing."""
        answer = self._json(method, path, token=token, **kwargs)
        try:
            return model.model_validate(answer)
        except ValidationError as err:
            raise ServiceUnavailableError(f"{method} {path}: not a {model.__name__}") from err

    def device_token(self) -> str:
        """The kiosk's own device token (cached until near its expiry), for the hall controller too."""
        with self._lock:
            if self._device_token and time.monotonic() < self._device_token_until:
                return self._device_token
            body = {"device_id": self._device_id, "secret": self._secret}
            answer = self._read(TokenOut, "POST", "/auth/device-token", json=body)
            self._device_token = answer.access_token
            self._device_token_until = time.monotonic() + max(60.0, answer.expires_at - time.time() - 60)
            return self._device_token

    # The port --------------------------------------------------------------------------------------

    def reachable(self) -> bool:
        try:
            response = self._client.get("/items", params={"limit": 1}, timeout=2.0)
        except httpx.TransportError:
            return False
        return response.status_code < 500

    def identify_card(self, card: IdCard) -> Identification:
        """The card's chip record, attested with this kiosk's credential against a fresh nonce."""
        if card.read is None:
            raise RejectedError("identify_rejected", "the reader gave no chip record to attest")
        try:
            challenge = self._json("POST", "/auth/card-challenge", token=self.device_token())
            body = attest(
                card.read,
                device_id=self._device_id,
                device_secret=self._secret,
                nonce=str(challenge["nonce"]),
            )
            answer = self._read(
                TokenOut, "POST", "/auth/applicant-token", token=self.device_token(), json=body
            )
        except RejectedError as err:
            raise RejectedError("identify_rejected", str(err)) from err
        token = answer.access_token
        applicant = Applicant(card.name, card.id_number, address=card.address)
        return Identification(applicant, token, self._library(token))

    def _library(self, token: str) -> tuple[LibraryDocument, ...]:
        try:
            found = self._json("GET", "/me/materials", token=token)
        except RejectedError:
            return ()
        return tuple(LibraryDocument(str(m["id"]), str(m["name"]), str(m["name"])) for m in found)

    def _sign_in(self, path: str, body: dict[str, str], refusals: dict[int, str], off: str) -> Any:
        """A sign-in call: each refusal status becomes its message key; "not configured" becomes `off`."""
        try:
            response = self._client.post(
                path, json=body, headers={"Authorization": f"Bearer {self.device_token()}"}
            )
        except httpx.TransportError as err:
            raise ServiceUnavailableError(f"POST {path}: {type(err).__name__}") from err
        detail = _detail(response) or _error_message(response)
        if response.status_code == 503 and "not configured" in detail:
            raise RejectedError(off, detail)
        if response.status_code >= 500:
            raise ServiceUnavailableError(f"POST {path}: HTTP {response.status_code}")
        if response.status_code >= 400:
            reason = refusals.get(response.status_code, "identify_rejected")
            raise RejectedError(reason, f"POST {path}: HTTP {response.status_code} {detail}")
        return response.json()

    def _identified(self, answer: dict[str, Any], phone: str = "") -> Identification:
        token = str(answer["access_token"])
        person = answer["applicant"]
        applicant = Applicant(str(person["name"]), str(person["id_number"]), phone=phone)
        return Identification(applicant, token, self._library(token))

    def identify_qr(self, text: str) -> Identification:
        refusals = {401: "qr_invalid", 422: "qr_invalid", 429: "code_too_many"}
        answer = self._sign_in("/auth/applicant-token/eid", {"qr": text}, refusals, "qr_invalid")
        return self._identified(answer)

    def send_code(self, phone: str) -> None:
        refusals = {422: "phone_invalid", 429: "code_too_many"}
        self._sign_in("/auth/sms-code", {"phone": phone}, refusals, "phone_not_allowed")

    def identify_phone(self, phone: str, code: str) -> Identification:
        refusals = {401: "code_wrong", 404: "phone_unknown", 422: "code_invalid", 429: "code_too_many"}
        body = {"phone": phone, "code": code}
        answer = self._sign_in("/auth/applicant-token/phone", body, refusals, "phone_not_allowed")
        return self._identified(answer, phone)

    def search_items(self, query: str) -> tuple[ItemSummary, ...]:
        """Every matching item, page by page (the service answers at most `SEARCH_PAGE` at a time)."""
        params: dict[str, Any] = {"status": "active", "limit": SEARCH_PAGE, "offset": 0}
        if query:
            params["q"] = query
        found: list[ItemSummary] = []
        while True:
            page = self._read(Page[ItemOut], "GET", "/items", params=params)
            found += (
                ItemSummary(
                    item.code,
                    item.name,
                    item.name,
                    item.department,
                    item.department,
                    item.category,
                    item.applicant_type,
                    tuple(item.life_events),
                    tuple(item.life_event_words),
                )
                for item in page.items
            )
            params["offset"] += len(page.items)
            if not page.items or params["offset"] >= page.total:
                return tuple(found)

    def item(self, item_id: str) -> ItemDetail:
        item = self._read(ItemOut, "GET", f"/items/{item_id}")
        materials = tuple(
            Material(str(m["name"]), str(m["name"]), str(m["name"]), bool(m.get("required", True)))
            for m in item.materials
        )
        fee_zh, fee_en = fee_text(item)
        return ItemDetail(
            item_id=item.code,
            name_zh=item.name,
            name_en=item.name,
            department_zh=item.department,
            department_en=item.department,
            materials=materials,
            time_limit_days=item.promised_limit_days,
            fee_zh=fee_zh,
            fee_en=fee_en,
            steps_zh=STEPS_ZH,
            steps_en=STEPS_EN,
            kiosk_apply="kiosk" in item.channels,
            category=item.category,
            applicant_type=item.applicant_type,
            life_events=tuple(item.life_events),
            words=tuple(item.life_event_words),
        )

    def submit(self, token: str, payload: dict[str, Any], idempotency_key: str) -> SubmitOutcome:
        """The case, then each captured material, each request under a key derived from the submission's."""
        if payload.get("case_id"):
            number = str(payload["case_id"])
        else:
            phone = str(payload.get("form", {}).get("phone") or "") or None
            body = {"item_code": payload["item_id"], "channel": "kiosk", "phone": phone}
            case = self._read(
                CaseOut,
                "POST",
                "/cases",
                token=token,
                json=body,
                headers={"Idempotency-Key": idempotency_key},
            )
            number = case.number
        for index, material in enumerate(payload.get("materials", [])):
            image = material.get("image_png_base64")
            if not image:
                continue  # a library document: the service already holds it for this applicant
            files = {"file": (f"{index + 1}.png", base64.b64decode(image), "image/png")}
            self._json(
                "POST",
                f"/cases/{number}/materials",
                token=token,
                data={"name": material["code"]},
                files=files,
                headers={"Idempotency-Key": f"{idempotency_key}-m{index}"},
            )
        completeness = self._read(CompletenessOut, "GET", f"/cases/{number}/completeness", token=token)
        missing = tuple(completeness.missing)
        if payload.get("case_id") and not missing:
            self._supplemented(token, number)
        status = self._read(CaseStatus, "GET", f"/cases/{number}/status", token=token)
        review_by = status.stage_due_on.isoformat() if status.stage_due_on else ""
        return SubmitOutcome(
            case_id=number,
            accepted=completeness.complete,
            missing=missing,
            review_by=review_by,
            review_estimated=bool(review_by) and status.due_estimated,
        )

    def _supplemented(self, token: str, number: str) -> None:
        """补正 handed in: the case goes back to the clerk. A resend (outbox) finds it already done."""
        status = self._read(CaseStatus, "GET", f"/cases/{number}/status", token=token)
        if status.state is CaseState.SUPPLEMENT_REQUIRED:
            self._json("POST", f"/cases/{number}/actions/supplement", token=token, json={})

    def outcome_document(
        self, token: str, outcome: SubmitOutcome, language: Language
    ) -> PrintDocument | None:
        if outcome.accepted:
            return None  # only submitted: the kiosk's 提交回执 (the 受理通知书 comes once the window accepts)
        try:
            response = self._request("GET", f"/cases/{outcome.case_id}/documents/supplement.pdf", token=token)
        except RejectedError as err:
            log.info("no supplement notice from the service yet (%s): the kiosk prints its own", err)
            return None
        return PrintDocument("补正材料一次性告知书", response.content)

    def _missing(self, token: str, case: CaseOut) -> tuple[str, ...]:
        if case.state is not CaseState.SUPPLEMENT_REQUIRED:
            return ()
        completeness = self._read(CompletenessOut, "GET", f"/cases/{case.number}/completeness", token=token)
        return tuple(completeness.missing)

    def _cases(self, token: str) -> list[CaseOut]:
        return self._read(Page[CaseOut], "GET", "/cases", token=token, params={"limit": 50}).items

    def cases(self, token: str) -> tuple[CaseSummary, ...]:
        return tuple(
            CaseSummary(
                case_id=case.number,
                item_name_zh=case.item_name,
                item_name_en=case.item_name,
                stage=case.state_label or case.state.value,
                # 办结期限: the promised completion date (the stage's own date only while there is none)
                due_date=str(case.decision_due_on or case.stage_due_on or "—"),
                due_estimated=case.due_estimated and bool(case.decision_due_on or case.stage_due_on),
                next_step_zh=case.next_step or "—",
                next_step_en=STATE_EN.get(case.state, ("", case.next_step or "—"))[1],
                finished=case.state in FINISHED_STATES,
                stage_en=STATE_EN.get(case.state, ("", ""))[0],
                item_id=case.item_code,
                missing=self._missing(token, case),
            )
            for case in self._cases(token)
        )

    def certificates(self, token: str) -> tuple[Certificate, ...]:
        found = []
        for case in self._cases(token):
            if case.state not in CERTIFICATE_STATES:
                continue
            try:
                certificate = self._json("GET", f"/cases/{case.number}/certificate", token=token)
            except RejectedError:
                continue
            printed = 0 if certificate.get("print_state") in ("", "none", "not_printed") else 1
            name = str(certificate["certificate_name"])
            found.append(Certificate(str(certificate["number"]), name, name, printed))
        return tuple(found)

    def certificate_document(self, token: str, certificate_id: str) -> PrintDocument:
        """A print of the applicant's own certificate, under their token (the service checks that it is
        theirs); the token is kept to report the print's result."""
        station = {"station": f"kiosk:{self._device_id}"}
        entry = self._json("POST", f"/certificates/{certificate_id}/prints", token=token, json=station)
        pdf = self._request("GET", str(entry["pdf_url"]).removeprefix("/api/v1"), token=token).content
        with self._lock:
            self._print_tokens[str(entry["id"])] = token
        copy = entry.get("kind") != "original"
        title = f"{certificate_id} ({entry.get('kind', '')})"
        return PrintDocument(title, pdf, copy=copy, print_id=str(entry["id"]))

    def certificate_printed(self, certificate_id: str, print_id: str, outcome: str, reason: str = "") -> None:
        body = {"outcome": outcome, "reason": reason[:500]}
        path = f"/certificates/{certificate_id}/prints/{print_id}/result"
        with self._lock:
            token = self._print_tokens.pop(print_id, "")
        self._json("POST", path, token=token, json=body)

    def rate(self, token: str, case_id: str, score: int) -> None:
        """One rating per case and score: a resend (lost answer, double tap) is not counted twice."""
        key = {"Idempotency-Key": f"kiosk-rating-{case_id}-{score}"}
        self._json("POST", f"/cases/{case_id}/evaluations", token=token, json={"score": score}, headers=key)

    def file_complaint(self, token: str, case_id: str, summary: str) -> str:
        """One complaint per case and words: a resend (lost answer, double tap) is not filed twice."""
        digest = hashlib.sha256(f"{case_id}\0{summary}".encode()).hexdigest()[:16]
        body = {"channel": "kiosk", "case_number": case_id, "summary": summary}
        key = {"Idempotency-Key": f"kiosk-complaint-{digest}"}
        answer = self._json("POST", "/complaints", token=token, json=body, headers=key)
        return str(answer["reply_by"])

    def file_about_hall(self, token: str, topic: str, phone: str, idempotency_key: str) -> str:
        """About the hall itself: in the person's name, or the kiosk's own when nobody is signed in."""
        body = {"channel": "kiosk", "topic": topic, "contact_phone": phone}
        key = {"Idempotency-Key": f"kiosk-hall-complaint-{idempotency_key}"}
        answer = self._json("POST", "/complaints", token=token or self.device_token(), json=body, headers=key)
        return str(answer["reply_by"])

    def verify_certificate(self, scanned: str) -> Verification:
        text = scanned.strip()
        if not text or len(text) > MAX_SCAN_LENGTH:
            return Verification(VerifyReason.DAMAGED)
        answer = self._json("GET", "/certificates/verify", params={"t": text})
        reason = service_reason(str(answer.get("reason", "")))
        claims = answer.get("certificate") or {}
        if not claims:
            return Verification(reason)
        number = str(claims.get("number") or "")
        verdict = Verification(
            reason,
            holder_masked=str(claims.get("holder") or ""),  # the service masks it
            certificate_name=str(claims.get("item") or ""),
            number=number,
            valid_from=str(claims.get("issued_on") or ""),
            valid_until=str(claims.get("valid_until") or ""),
            superseded_by=str(answer.get("superseded_by") or ""),
        )
        return _with_printed(verdict, answer.get("printed") or {})

    def certificate_keys(self) -> dict[str, Any]:
        published = self._json("GET", "/certificates/keys")
        if not isinstance(published, dict):
            raise ServiceUnavailableError("GET /certificates/keys: not a key list")
        return published


def _with_printed(verdict: Verification, printed: dict[str, Any]) -> Verification:
    """The certificate's name, validity start and authority as its record states them (the QR does not
    carry them; the public verification answers them when the service knows the certificate)."""
    return replace(
        verdict,
        certificate_name=str(printed.get("certificate_name") or verdict.certificate_name),
        valid_from=str(printed.get("valid_from") or verdict.valid_from),
        authority=str(printed.get("authority") or ""),
    )


def _error_message(response: httpx.Response) -> str:
    """The case service's error body: {"error": {"code", "message", "details"}}."""
    try:
        body = response.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    return str(error.get("message", ""))[:200] if isinstance(error, dict) else ""


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("detail", ""))[:200] if isinstance(body, dict) else ""
