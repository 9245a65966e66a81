"""The window's counter devices on the clerk's pages: card reads from the window's ID-card reader and pages
from its document camera, both through the hall controller (`/api/v1/ext/window`) with the clerk's own
staff token, as the queue desk does (web/queue_desk.py). The controller gives a clerk only the devices of
the window they are signed in at, and only the reads made while they were.

A read comes sealed to this service (devices/protocol/window.py: neither the broker nor the controller can
read it); it is opened here with the key derived from the PII key (`read_key`; the readers are configured
with its public half, `/web/window/read-key`). It reaches the page by `/web/window/reads` (intake.js asks
about three times a second): the name, the ID number masked, and the number sealed with the PII key for
this clerk (`seal`), which the form sends back so the whole number never shows on the screen nor stays in
the page's text.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import JSONResponse, Response

from case_service.api.deps import ServicesDep, SessionDep, bearer_token
from case_service.cases import service as cases
from case_service.domain.errors import DomainError, ForbiddenError
from case_service.domain.states import Role
from case_service.runtime import Services
from case_service.web import flash
from case_service.web.hall_link import ControllerError, call
from case_service.web.routes import _context, sign_in_then
from devices.protocol import window as contract
from hall.http_errors import body_of, error_code
from hall.privacy import DecryptionError, mask_id_number

log = logging.getLogger(__name__)
router = APIRouter(prefix="/web/window", include_in_schema=False)
API = "/api/v1/ext/window"
REFUSALS = {
    "not_signed_in": "您尚未在窗口签到，读卡器和高拍仪不可用（请先到“窗口叫号”签到）",
    "no_camera": "本窗口的高拍仪不在线，请检查连接或改用上传扫描件",
    "no_page": "高拍仪下没有检测到材料，请将材料平放后再拍",
    "camera_failed": "高拍仪拍摄失败，请重试或改用上传扫描件",
}
CARD_REFUSALS = {
    "expired": "证件已过有效期，请核对证件",
    "invalid": "证件信息校验未通过，请核对证件",
    "unreadable": "读卡失败，请将证件重新放在读卡器上",
}


def _context_of(subject: str) -> str:
    return f"window-read:{subject}"


def seal(services: Services, subject: str, id_number: str) -> str:
    return services.cipher.encrypt(id_number, context=_context_of(subject))


def unseal(services: Services, subject: str, sealed: str, shown: str) -> str | None:
    """The number a read sealed, if the box still shows it masked (else the clerk typed over it: None)."""
    try:
        number = services.cipher.decrypt(sealed, context=_context_of(subject))
    except DecryptionError:
        return None
    return number if mask_id_number(number) == shown else None


def refusal_text(answer: Any) -> str:
    code = error_code(body_of(answer))
    return REFUSALS.get(code, f"大厅控制器拒绝了此操作（{code or answer.status_code}）")


@router.get("/reads", response_model=None)
def reads(
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    after: Annotated[int, Query(ge=-1)] = -1,
) -> JSONResponse:
    """The card reads at the clerk's window newer than `after`, each with the number masked and sealed."""
    ctx = _context(request, session, services)
    if ctx is None:
        return JSONResponse({"signed_in": False, "status": "登录已过期，请重新登录"}, status_code=401)
    if Role.CLERK not in ctx.principal.roles:
        return JSONResponse({"status": "需要综合窗口工作人员权限"}, status_code=403)
    try:
        answer = call(services, "GET", f"{API}/mine?after={after}", bearer_token(request) or "")
    except ControllerError as err:
        return JSONResponse({"status": err.message, "reads": []})
    if answer.status_code != 200:
        return JSONResponse({"status": refusal_text(answer), "reads": []})
    body = answer.json()
    subject = ctx.principal.subject
    shown: list[dict[str, Any]] = []
    for read in body.get("reads", []):
        if read.get("sealed"):
            try:
                card = contract.open_read(
                    read_key(services), contract.CardReadData(sealed=str(read["sealed"]))
                )
            except (contract.SealError, ValueError):
                log.warning(
                    "a card read at window %s did not open (the reader's key is not ours)", body["window"]
                )
                shown.append({"seq": read["seq"], "refused": "读卡器的密钥配置有误，请联系管理员"})
                continue
            shown.append(
                {
                    "seq": read["seq"],
                    "name": card.name,
                    "masked": mask_id_number(card.id_number),
                    "sealed": seal(services, subject, card.id_number),
                    "valid_until": card.valid_until or "长期",
                }
            )
        else:
            reason = str(read.get("refused", {}).get("reason", ""))
            shown.append({"seq": read["seq"], "refused": CARD_REFUSALS.get(reason, "读卡失败")})
    devices = [name for name, on in (("读卡器", body.get("reader")), ("高拍仪", body.get("camera"))) if on]
    status = f"{body['window']}号窗口：" + (
        "、".join(devices) + "在线" if devices else "读卡器和高拍仪均不在线"
    )
    return JSONResponse({"window": body["window"], "seq": body["seq"], "status": status, "reads": shown})


# The window a filing records is asked of the controller at most this long (a controller that does not
# answer costs the clerk about a second, and the case is filed with no window), and an answer is kept per
# clerk session (their token) this long, so a clerk filing case after case asks once in a while.
WINDOW_TIMEOUT_SECONDS = 1.0
WINDOW_CACHE_SECONDS = 15.0
WINDOW_CACHE_LIMIT = 1024


class _Windows:
    """The controller's answers kept a short time, by clerk session; failures are not kept."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._kept: dict[tuple[str, str], tuple[float, int | None]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(services: Services, token: str) -> tuple[str, str]:
        return services.settings.controller_url, hashlib.sha256(token.encode()).hexdigest()

    def get(self, key: tuple[str, str]) -> tuple[bool, int | None]:
        with self._lock:
            kept = self._kept.get(key)
        if kept is None or kept[0] <= self.clock():
            return False, None
        return True, kept[1]

    def put(self, key: tuple[str, str], window: int | None) -> None:
        now = self.clock()
        with self._lock:
            if len(self._kept) >= WINDOW_CACHE_LIMIT:
                self._kept = {k: v for k, v in self._kept.items() if v[0] > now}
                while len(self._kept) >= WINDOW_CACHE_LIMIT:
                    del self._kept[next(iter(self._kept))]
            self._kept[key] = (now + WINDOW_CACHE_SECONDS, window)


WINDOWS = _Windows()


def clerk_window(services: Services, token: str) -> int | None:
    """The window the clerk with this staff token is signed in at, by the controller's queue; None when at
    none, or when the controller does not answer within WINDOW_TIMEOUT_SECONDS (the filing goes on
    without it). An answer is kept WINDOW_CACHE_SECONDS for the same session."""
    key = WINDOWS.key(services, token)
    known, window = WINDOWS.get(key)
    if known:
        return window
    try:
        answer = call(services, "GET", f"{API}/mine?after=-1", token, timeout=WINDOW_TIMEOUT_SECONDS)
    except ControllerError:
        return None
    body = body_of(answer) if answer.status_code == 200 else None
    found = body.get("window") if isinstance(body, dict) else None
    window = found if isinstance(found, int) and not isinstance(found, bool) else None
    WINDOWS.put(key, window)
    return window


def read_key(services: Services) -> X25519PrivateKey:
    """The private key the window's readers seal their reads to, derived from the current PII key."""
    return contract.reader_key(services.cipher.derive(contract.READ_KEY_LABEL))


@router.get("/read-key", response_model=None)
def read_key_page(services: ServicesDep) -> JSONResponse:
    """The public key to configure the window's card readers with (HALL_DEVICES__WINDOW_READ_KEY)."""
    return JSONResponse({"window_read_key": contract.public_key_text(read_key(services))})


@dataclass(frozen=True)
class Capture:
    jpeg: bytes
    width: int
    height: int
    blank: bool


class CaptureError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def capture(services: Services, token: str) -> Capture:
    """The page under the clerk's window's document camera; CaptureError with the clerk's words."""
    try:
        answer = call(services, "POST", f"{API}/mine/capture", token)
    except ControllerError as err:
        raise CaptureError(err.message) from err
    if answer.status_code != 200:
        raise CaptureError(refusal_text(answer))
    body = answer.json()
    try:
        jpeg = base64.b64decode(str(body["data"]), validate=True)
    except (KeyError, binascii.Error) as err:
        raise CaptureError("高拍仪拍摄失败，请重试或改用上传扫描件") from err
    return Capture(jpeg, int(body["width"]), int(body["height"]), bool(body.get("blank")))


@router.post("/capture/{case_id}", response_model=None)
def capture_material(
    *,
    request: Request,
    case_id: int,
    session: SessionDep,
    services: ServicesDep,
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """高拍仪拍摄 on the case page (a supplement's material handed in at the window): the same capture as
    the intake page's (`capture` above), filed at once as that material of the case."""
    ctx = _context(request, session, services)
    if ctx is None:
        return sign_in_then(f"/web/case/{case_id}")
    back = f"/web/case/{case_id}"
    try:
        if Role.CLERK not in ctx.principal.roles:
            raise ForbiddenError("the window's camera is for the window's clerks")
        case = cases.load(ctx, case_id)
        page = capture(services, bearer_token(request) or "")
        cases.add_material(
            ctx, case, name=name, filename="高拍仪拍摄.jpg", content_type="image/jpeg", data=page.jpeg
        )
    except CaptureError as err:
        return flash.redirect(back, error=f"「{name}」：{err.message}")
    except DomainError as err:
        session.rollback()
        from case_service.web.cases import _say  # the case page's words for a refusal

        return flash.redirect(back, error=_say(err))
    session.commit()
    blank = "（看起来是空白页，请核对）" if page.blank else ""
    return flash.redirect(back, message=f"已拍摄「{name}」{blank}")
