"""Staff's internal notes on a case and the mail dispatch record (the address encrypted); each audited."""

from __future__ import annotations

from sqlalchemy import select

from case_service.auth.tokens import PrincipalKind
from case_service.cases.context import Context
from case_service.domain.errors import ConflictError, ForbiddenError, InvalidInputError
from case_service.domain.states import CaseState
from case_service.storage import audit
from case_service.storage.models import Case, CaseNote
from hall.privacy import DecryptionError

MAIL_ADDRESS_CONTEXT = "case.mail_address"
NOTE_LIMIT = 2000
CARRIERS = ("中国邮政EMS", "顺丰速运", "京东物流")


def _staff_only(ctx: Context) -> None:
    if ctx.principal.kind is not PrincipalKind.STAFF:
        raise ForbiddenError("internal notes are for staff only")


def notes_of(ctx: Context, case: Case) -> list[CaseNote]:
    _staff_only(ctx)
    query = select(CaseNote).where(CaseNote.case_id == case.id).order_by(CaseNote.id)
    return list(ctx.session.scalars(query))


def add_note(ctx: Context, case: Case, body: str) -> CaseNote:
    _staff_only(ctx)
    body = body.strip()
    if not body:
        raise InvalidInputError("备注内容不能为空")
    if len(body) > NOTE_LIMIT:
        raise InvalidInputError(f"备注不能超过{NOTE_LIMIT}字")
    note = CaseNote(case_id=case.id, kind="note", author=ctx.principal.subject, body=body)
    ctx.session.add(note)
    ctx.session.flush()
    audit.append(
        ctx.session,
        actor=ctx.principal.actor,
        action="case.note",
        subject_type="case",
        subject_id=case.id,
        after={"note_id": note.id, "chars": len(body)},
    )
    return note


def record_mail_dispatch(ctx: Context, case: Case, *, address: str, carrier: str, waybill: str) -> CaseNote:
    """The posted result: carrier, waybill number and the address (encrypted) of a case released by mail."""
    _staff_only(ctx)
    if case.state != CaseState.READY_FOR_RELEASE or case.release_channel != "mail":
        raise ConflictError(f"办件{case.number}不是待邮寄出件状态")
    address, waybill = address.strip(), waybill.strip()
    if carrier not in CARRIERS:
        raise InvalidInputError(f"请选择快递公司: {'、'.join(CARRIERS)}")
    if not address:
        raise InvalidInputError("请填写邮寄地址")
    if not (6 <= len(waybill) <= 30 and waybill.isascii() and waybill.isalnum()):
        raise InvalidInputError("运单号应为6至30位字母或数字")
    data = {
        "carrier": carrier,
        "waybill": waybill,
        "address_enc": ctx.cipher.encrypt(address, context=MAIL_ADDRESS_CONTEXT),
    }
    note = CaseNote(case_id=case.id, kind="mail", author=ctx.principal.subject, body="", data=data)
    ctx.session.add(note)
    ctx.session.flush()
    audit.append(
        ctx.session,
        actor=ctx.principal.actor,
        action="case.mail_dispatch",
        subject_type="case",
        subject_id=case.id,
        after={"carrier": carrier, "waybill": waybill},
    )
    return note


def mail_dispatch(ctx: Context, case: Case) -> CaseNote | None:
    dispatches = [note for note in notes_of(ctx, case) if note.kind == "mail"]
    return dispatches[-1] if dispatches else None


def mail_address(ctx: Context, note: CaseNote) -> str:
    try:
        return ctx.cipher.decrypt(str((note.data or {})["address_enc"]), context=MAIL_ADDRESS_CONTEXT)
    except (DecryptionError, KeyError):
        return "(地址无法解密)"
