"""The case page: everything about one case, its notes, the actions this user may take, and release.

Thin: reads through the case operations and each form posts one operation, then returns to the page."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from case_service.api.deps import ServicesDep, SessionDep, bearer_token
from case_service.api.presenters import case_out
from case_service.cases import notes as case_notes
from case_service.cases import notices
from case_service.cases import service as cases
from case_service.documents import preview
from case_service.documents.notices import NoticeError
from case_service.domain import deadlines
from case_service.domain.errors import (
    ConflictError,
    DomainError,
    ForbiddenError,
    IllegalTransitionError,
    InvalidInputError,
    NotFoundError,
)
from case_service.domain.flows import Flow
from case_service.domain.identity import normalise_id_number
from case_service.domain.states import ACTION_ROLES, STATE_LABELS, Action, CaseState, Role, allowed_actions
from case_service.storage.models import Case, MaterialBlob, User
from case_service.web import flash, hall_link, higher_result, window_devices
from case_service.web.packages import case_panel as package_panel
from case_service.web.review_panel import certificate_panel, opinion_detail, review_panel
from case_service.web.routes import _context, _login_redirect, form_action_input, sign_in_then
from case_service.web.site_visit_panel import panel as site_visit_panel
from case_service.web.site_visit_panel import timeline_detail as site_visit_detail
from hall.calendar import CHINA_TZ
from hall.http_errors import body_of, error_code, error_message
from hall.privacy import DecryptionError, mask_id_number

router = APIRouter(prefix="/web/case", include_in_schema=False)

NOT_WITHIN_AUTHORITY = "not_within_authority"
LOCKER_API = "/api/v1/ext/lockers"
READ_AT_WINDOW = "窗口读卡器读取身份证"
TYPED = "手工录入身份证号"
OUT_OF_SCOPE = "没有找到该办件，或该办件不在您的办理范围内"
DOCUMENT_TITLES = {
    notices.NoticeKind.ACCEPTANCE: "受理通知书",
    notices.NoticeKind.NON_ACCEPTANCE: "不予受理通知书",
    notices.NoticeKind.SUPPLEMENT: "补正材料一次性告知书",
    notices.NoticeKind.DECISION: "行政许可决定书",
    notices.NoticeKind.SERVICE_RECEIPT: "送达回证",
    notices.NoticeKind.EXTENSION: "延期告知书",
    notices.NoticeKind.SUSPENSION: "特别程序告知书(中止计时)",
    notices.NoticeKind.RESUMPTION: "恢复办理告知书",
}
ACTION_LABELS = {
    Action.ACCEPT: "受理",
    Action.NOT_ACCEPT: "不予受理",
    Action.REQUEST_SUPPLEMENT: "一次性告知补正",
    Action.SUPPLEMENT: "已补正",
    Action.START_REVIEW: "开始审核",
    Action.APPROVE: "准予许可",
    Action.DENY: "不予许可",
    Action.MAKE_CERTIFICATE: "证照已制作",
    Action.SEAL: "加盖统一印章",
    Action.RELEASE: "出件",
    Action.READY_FOR_PICKUP: "已存入智能柜",
    Action.RETURN_TO_WINDOW: "退回窗口",
    Action.DELIVER: "送达签收",
    Action.WITHDRAW: "撤回申请",
    Action.SUSPEND: "中止计时",
    Action.RESUME: "恢复计时",
    Action.EXTEND: "延长10个工作日",
    Action.REGISTER: "受理并当场办结",
    Action.HANDLE: "办结",
    Action.FORWARD: "初审通过并转报上级机关",
    Action.RECORD_RESULT: "登记上级机关办理结果",
    Action.SEND_BACK: "退回窗口",
    Action.RESUBMIT: "重新提交审核",
}
AUDIT_LABELS = {
    "case.submit": "收件登记",
    "case.auto_accept": "依法自动受理(行政许可法第三十二条)",
    "case.note": "内部备注",
    "case.site_visit_schedule": "安排现场核查(出具现场核查通知书)",
    "case.site_visit_record": "记录现场核查结果",
    "material.upload": "上传材料",
    "case.release_contact.read": "智能柜读取取件联系方式",
    "case.mail_dispatch": "邮寄交寄",
    "document.read": "打印/查看文书",
    "material.read": "查看材料",
    "case.opinion": "签署审核意见",
    "case.joint_open": "发起联办(联办部门任务)",
    "case.joint_opinion": "联办部门意见",
    **{f"case.{action.value}": label for action, label in ACTION_LABELS.items()},
}
# The deliver form is the hand-over and mail forms below; the page does not offer a bare button for it.
# The higher authority's result is recorded with its document (web/higher_result, its own form).
# The decision and the send-back are the review section's forms (web/review.py, case/review.html),
# making the certificate is its form (web/certificate_form.py, case/certificate.html).
FORM_ACTIONS = frozenset(
    {
        Action.DELIVER,
        Action.READY_FOR_PICKUP,
        Action.RECORD_RESULT,
        Action.APPROVE,
        Action.DENY,
        Action.SEND_BACK,
        Action.MAKE_CERTIFICATE,
    }
)


def _say(err: DomainError) -> str:
    """The refusal in the clerk's words: the rules' own messages name states and roles in English."""
    if isinstance(err, IllegalTransitionError):
        return "办件当前状态不能办理此操作，请刷新页面后按可办理操作办理"
    if isinstance(err, ForbiddenError):
        return "您没有办理此操作的权限，或该办件不在您的办理范围内"
    if isinstance(err, NotFoundError):
        return OUT_OF_SCOPE
    return err.message


def _back(
    case_id: int | str, *, message: str = "", error: str = "", kept: dict[str, str] | None = None
) -> RedirectResponse:
    return flash.redirect(f"/web/case/{case_id}", message=message, error=error, kept=kept)


def _deadline(ctx: cases.Context, label: str, due: dt.date | None, *, is_open: bool) -> dict[str, Any]:
    if due is None:
        return {"label": label, "due": None, "left": None}
    status = deadlines.assess(ctx.calendar, due, ctx.today) if is_open else None
    return {
        "label": label,
        "due": due,
        "estimated": not ctx.calendar.knows(due),
        "level": status.level.value if status else "",
        "left": status.working_days_left if status else None,
    }


def _documents(ctx: cases.Context, case: Case, services: ServicesDep) -> list[dict[str, str]]:
    found = []
    for kind, title in DOCUMENT_TITLES.items():
        try:
            notices.build(kind, case, settings=services.settings.case, calendar=ctx.calendar, today=ctx.today)
        except (ConflictError, NoticeError):
            continue
        found.append({"title": title, "href": f"/api/v1/cases/{case.id}/documents/{kind.value}.pdf"})
    return found


def _local(at: dt.datetime) -> dt.datetime:
    """Stored in UTC (SQLite gives it back naive); shown in the hall's time."""
    return (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone(CHINA_TZ)


def _timeline(ctx: cases.Context, case: Case) -> list[dict[str, Any]]:
    shown: list[dict[str, Any]] = []
    for entry in cases.history(ctx, case):
        after = entry.after or {}
        detail = after.get("document") or after.get("reason") or after.get("basis") or ""
        if entry.action == "case.opinion":
            detail = opinion_detail(after)
        if entry.action.startswith("case.site_visit_"):
            detail = site_visit_detail(entry.action, after)
        if entry.action == "case.mail_dispatch":
            detail = f"{after.get('carrier', '')} {after.get('waybill', '')}"
        row: dict[str, Any] = {
            "at": _local(entry.at),
            "actor": entry.actor,
            "what": AUDIT_LABELS.get(entry.action, entry.action),
            "state": STATE_LABELS.get(CaseState(after["state"]), "") if after.get("state") else "",
            "detail": detail,
            "times": 1,
        }
        last = shown[-1] if shown else None
        if last and all(last[key] == row[key] for key in ("actor", "what", "state", "detail")):
            last["times"] += 1  # the same read again (material previews on each view): one row
            continue
        shown.append(row)
    return shown


def _my_actions(ctx: cases.Context, case: Case) -> list[str]:
    resume_to = CaseState(case.resume_to) if case.resume_to else None
    mine = []
    for action in allowed_actions(CaseState(case.state), resume_to=resume_to, flow=Flow(case.flow)):
        if ACTION_ROLES[action] & ctx.principal.roles and action not in FORM_ACTIONS:
            if action is Action.EXTEND and case.extended:
                continue
            if action is Action.REQUEST_SUPPLEMENT and case.supplement_notice is not None:
                continue  # told once (一次性告知): no second notice
            mine.append(action.value)
    return mine


@router.get("/{case_ref}", response_model=None)
def case_page(case_ref: str, request: Request, session: SessionDep, services: ServicesDep) -> Response:
    ctx = _context(request, session, services)
    if ctx is None:
        return _login_redirect(request)
    try:
        was = cases.load(ctx, case_ref).state
        case = cases.accept_if_lapsed(ctx, case_ref)
    except (NotFoundError, ForbiddenError):
        session.rollback()
        return flash.page(request, "message.html", ctx, text=OUT_OF_SCOPE)
    lapsed_now = was != case.state
    session.commit()
    out = case_out(ctx, case)
    materials = material_rows(session, case)
    missing = cases.completeness(ctx, case).missing if case.state == CaseState.SUBMITTED else ()
    notes = case_notes.notes_of(ctx, case)
    dispatch = next((note for note in reversed(notes) if note.kind == "mail"), None)
    is_open = case.is_open
    stage = f"本环节({deadlines.STAGE_LABELS.get(case.stage, case.stage)})" if case.stage else "本环节"
    deadline_rows = [
        _deadline(ctx, stage, case.stage_due_on, is_open=is_open),
        _deadline(ctx, "承诺办结", case.decision_due_on, is_open=is_open and case.decided_on is None),
        _deadline(ctx, "法定办结", case.legal_due_on, is_open=is_open and case.decided_on is None),
    ]
    return flash.page(
        request,
        "case/page.html",
        ctx,
        c=out,
        case=case,
        lapsed_now=lapsed_now,
        materials=materials,
        missing=missing,
        documents=_documents(ctx, case, services),
        timeline=_timeline(ctx, case),
        deadlines=deadline_rows,
        notes=[{"note": note, "at": _local(note.created_at)} for note in notes if note.kind == "note"],
        dispatch=dispatch,
        dispatch_address=case_notes.mail_address(ctx, dispatch) if dispatch else "",
        actions=_my_actions(ctx, case),
        labels={action.value: label for action, label in ACTION_LABELS.items()},
        carriers=case_notes.CARRIERS,
        locker_sizes=LOCKER_SIZES,
        item_materials=cases.item_material_names(ctx, case),
        is_clerk=any(r.value == "clerk" for r in ctx.principal.roles),
        higher_result=higher_result.form_of(ctx, case),
        review=review_panel(ctx, case),
        site_visit=site_visit_panel(ctx, case),
        package=package_panel(ctx, case),
        certificate=certificate_panel(ctx, case, services.settings.case.authority),
    )


def material_rows(session: Session, case: Case) -> list[dict[str, Any]]:
    """The case's materials as the pages list them (case/_materials.html)."""
    return [
        {"material": material, "type": blob.content_type, "size": blob.size, "reused": reused}
        for material, blob, reused in cases.case_materials(session, case)
    ]


def preview_of(blob: MaterialBlob) -> Response:
    """An image as it is, a PDF's first page as a small PNG."""
    if blob.content_type == "application/pdf":
        return Response(preview.first_page_png(blob.data), media_type="image/png")
    return Response(blob.data, media_type=blob.content_type)


@router.get("/{case_id}/materials/{material_id}/preview", response_model=None)
def material_preview(
    *, request: Request, case_id: int, material_id: int, session: SessionDep, services: ServicesDep
) -> Response:
    """An image as it is, a PDF's first page as a small PNG; each read is audited (cases.read_material)."""
    ctx = _context(request, session, services)
    if ctx is None:
        return Response(status_code=401)
    try:
        case = cases.load(ctx, case_id)
        _material, blob = cases.read_material(ctx, case, material_id)
        answer = preview_of(blob)
    except DomainError:
        session.rollback()
        return Response(status_code=404)
    session.commit()
    return answer


def _not_accept_reason(ground: str, reason: str, authority: str) -> str:
    """Art. 32(1)(2): outside this authority's remit, the notice names the authority to apply to."""
    if ground == NOT_WITHIN_AUTHORITY:
        authority = authority.strip()
        if not authority:
            raise InvalidInputError("不属于本机关职权范围的，须写明应当向哪个行政机关申请")
        return (
            f"申请事项依法不属于本行政机关职权范围，请向{authority}申请"
            "（《中华人民共和国行政许可法》第三十二条第一款第（二）项）。"
            + (f"{reason.strip()}" if reason.strip() else "")
        )
    if not reason.strip():
        raise InvalidInputError("请填写不予受理的理由")
    return reason.strip()


# The acceptance's decisions at a window: the first one made by a clerk signed in at a window records that
# window on a case filed elsewhere (kiosk, online), for the figures by window.
RECEIVING_ACTIONS = frozenset({Action.ACCEPT, Action.NOT_ACCEPT, Action.REQUEST_SUPPLEMENT, Action.REGISTER})


@router.post("/{case_id}/act/{action}", response_model=None)
def act(
    *,
    request: Request,
    case_id: int,
    action: Action,
    session: SessionDep,
    services: ServicesDep,
    reason: Annotated[str, Form(max_length=2000)] = "",
    ground: Annotated[str, Form(max_length=32)] = "",
    authority: Annotated[str, Form(max_length=200)] = "",
    channel: Annotated[str, Form(max_length=16)] = "",
    suspension_kind: Annotated[str, Form(max_length=32)] = "",
    defect_material: Annotated[list[str] | None, Form(max_length=100)] = None,
    defect_problem: Annotated[list[str] | None, Form(max_length=100)] = None,
    back: Annotated[str, Form(max_length=8)] = "",
    expected_days: Annotated[str, Form(max_length=4)] = "",
) -> Response:
    """Every action button of the staff pages: the case page's forms, and the work list's (`back=work`:
    the answer goes back to the work list)."""
    ctx = _context(request, session, services)
    to_work = back == "work"
    if ctx is None:
        return sign_in_then("/web/work" if to_work else f"/web/case/{case_id}")
    try:
        if action is Action.NOT_ACCEPT:
            reason = _not_accept_reason(ground, reason, authority)
        data = form_action_input(
            action,
            reason=reason,
            defect_material=defect_material or [],
            defect_problem=defect_problem or [],
            suspension_kind=suspension_kind,
            channel=channel,
            expected_days=expected_days,
        )
        window = None
        if action in RECEIVING_ACTIONS and Role.CLERK in ctx.principal.roles:
            window = window_devices.clerk_window(services, bearer_token(request) or "")
        case = cases.act(ctx, case_id, action, data)
        if window is not None and case.received_window is None:
            case.received_window = window  # a kiosk's or online filing received at this window
    except DomainError as err:
        session.rollback()
        typed = {"action": action.value, "ground": ground, "authority": authority, "reason": reason}
        typed |= {
            f"defect:{material}": problem
            for material, problem in zip(defect_material or [], defect_problem or [], strict=False)
        }
        typed |= {"expected_days": expected_days, "suspension_kind": suspension_kind}
        if to_work:
            return flash.redirect("/web/work", error=_say(err))
        return _back(case_id, error=_say(err), kept=typed)
    session.commit()
    label = ACTION_LABELS.get(action, action.value)
    done = f"{label}: 办件现为{case_out(ctx, case).state_label}"
    if to_work:
        return flash.redirect("/web/work", message=f"{case.number} {done}")
    return _back(case.id, message=done)


def _server_name(session: SessionDep, username: str) -> str:
    user = session.scalar(select(User).where(User.username == username))
    return user.display_name if user and user.display_name else username


@router.post("/{case_id}/handover", response_model=None)
def handover(
    *,
    request: Request,
    case_id: int,
    session: SessionDep,
    services: ServicesDep,
    who: Annotated[str, Form(max_length=8)] = "self",
    id_number: Annotated[str, Form(max_length=18)] = "",
    agent_name: Annotated[str, Form(max_length=64)] = "",
    agent_id_number: Annotated[str, Form(max_length=18)] = "",
    authorisation: Annotated[str, Form(max_length=8)] = "",
    sealed_id_number: Annotated[str, Form(max_length=300)] = "",
    sealed_agent_id_number: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """一窗出件 at the window: the applicant's ID checked against the case, or an agent with a checked
    authorisation letter; the 送达回证 records the method and the clerk who served it. A card laid on the
    window's reader fills the box masked and the form carries the number sealed (web/window_devices);
    the receipt says whether the ID was read from the card or typed."""
    ctx = _context(request, session, services)
    if ctx is None:
        return sign_in_then(f"/web/case/{case_id}")
    subject = ctx.principal.subject
    read = window_devices.unseal(services, subject, sealed_id_number, id_number) if sealed_id_number else None
    agent_read = (
        window_devices.unseal(services, subject, sealed_agent_id_number, agent_id_number)
        if sealed_agent_id_number
        else None
    )
    try:
        case = cases.load(ctx, case_id)
        if case.release_channel != "window":
            raise ConflictError("本办件不是窗口领取，请按所选出件方式送达")
        if who == "agent":
            if not agent_name.strip():
                raise InvalidInputError("请填写代领人姓名")
            checked = normalise_id_number(agent_read or agent_id_number)
            if authorisation != "yes":
                raise InvalidInputError("代领须核验申请人的授权委托书")
            receipt = {
                "recipient": case.applicant_name,
                "signed_by": f"{agent_name.strip()}(代领人)",
                "agent_id": mask_id_number(checked),
                "authorisation": "授权委托书已核验",
                "id_source": READ_AT_WINDOW if agent_read else TYPED,
            }
        else:
            checked = normalise_id_number(read or id_number)
            try:
                stored = ctx.cipher.decrypt(case.applicant_id_enc, context=cases.ID_CONTEXT)
            except DecryptionError as err:
                raise ConflictError("申请人身份证号无法解密，请联系管理员") from err
            if stored.upper() != checked:
                raise InvalidInputError("领取人身份证号与申请人不一致：本人领取须持申请人本人身份证")
            receipt = {
                "recipient": case.applicant_name,
                "id_checked": mask_id_number(checked),
                "id_source": READ_AT_WINDOW if read else TYPED,
            }
        receipt |= {"method": "window", "by": _server_name(session, ctx.principal.subject)}
        case = cases.act(ctx, case_id, Action.DELIVER, cases.ActionInput(receipt=receipt))
    except DomainError as err:
        session.rollback()
        typed = {"who": who, "agent_name": agent_name}  # ID numbers are not kept: typed or read again
        return _back(case_id, error=_say(err), kept=typed)
    session.commit()
    return _back(case.id, message="已当面送达，请打印送达回证由领取人签名")


@router.post("/{case_id}/mail", response_model=None)
def mail_dispatch(
    *,
    request: Request,
    case_id: int,
    session: SessionDep,
    services: ServicesDep,
    address: Annotated[str, Form(max_length=300)] = "",
    carrier: Annotated[str, Form(max_length=32)] = "",
    waybill: Annotated[str, Form(max_length=30)] = "",
) -> Response:
    ctx = _context(request, session, services)
    if ctx is None:
        return sign_in_then(f"/web/case/{case_id}")
    try:
        case = cases.load(ctx, case_id, for_update=True)
        case_notes.record_mail_dispatch(ctx, case, address=address, carrier=carrier, waybill=waybill)
    except DomainError as err:
        session.rollback()
        typed = {"address": address, "carrier": carrier, "waybill": waybill}
        return _back(case_id, error=_say(err), kept=typed)
    session.commit()
    return _back(case_id, message=f"已交寄 {carrier} {waybill}")


@router.post("/{case_id}/mail/delivered", response_model=None)
def mail_delivered(
    *,
    request: Request,
    case_id: int,
    session: SessionDep,
    services: ServicesDep,
    signed_by: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """The carrier's proof of delivery confirmed: the case is delivered by mail."""
    ctx = _context(request, session, services)
    if ctx is None:
        return sign_in_then(f"/web/case/{case_id}")
    try:
        case = cases.load(ctx, case_id)
        dispatch = case_notes.mail_dispatch(ctx, case)
        if dispatch is None or dispatch.data is None:
            raise ConflictError("尚未登记邮寄运单，不能确认妥投")
        if not signed_by.strip():
            raise InvalidInputError("请填写妥投回执上的签收人")
        receipt = {
            "recipient": case.applicant_name,
            "signed_by": signed_by.strip(),
            "method": "mail",
            "carrier": dispatch.data["carrier"],
            "waybill": dispatch.data["waybill"],
            "by": _server_name(session, ctx.principal.subject),
        }
        case = cases.act(ctx, case_id, Action.DELIVER, cases.ActionInput(receipt=receipt))
    except DomainError as err:
        session.rollback()
        return _back(case_id, error=_say(err))
    session.commit()
    return _back(case.id, message="已确认邮寄妥投")


LOCKER_SIZES = {"S": "小格", "M": "中格", "L": "大格", "XL": "特大格"}
LOCKER_REFUSALS = {
    "OPEN_NOT_DETECTED": "柜门没有打开：请换一个格口再试；仍打不开请联系大厅管理员检修该格口",
}


@router.post("/{case_id}/locker", response_model=None)
def locker_deposit(
    *,
    request: Request,
    case_id: int,
    session: SessionDep,
    services: ServicesDep,
    size: Annotated[str, Form(max_length=2)] = "M",
) -> Response:
    """智能柜存件: the hall controller allocates a free compartment of the size and opens its door; once
    the clerk puts the result in and closes the door, the controller marks the case ready for pickup and
    sends the pickup code (hall_controller/lockers)."""
    ctx = _context(request, session, services)
    if ctx is None:
        return sign_in_then(f"/web/case/{case_id}")
    try:
        case = cases.load(ctx, case_id)
        if case.state != CaseState.READY_FOR_RELEASE or case.release_channel != "locker":
            raise ConflictError("本办件不是待存入智能柜的状态")
        if size not in LOCKER_SIZES:
            raise InvalidInputError("请选择格口大小")
        body = {"case_id": str(case.id), "size": size}
        answer = hall_link.call(services, "POST", LOCKER_API + "/deposits", bearer_token(request) or "", body)
    except DomainError as err:
        session.rollback()
        return _back(case_id, error=_say(err))
    if answer.status_code != 200:
        refusal = body_of(answer)
        code, said = error_code(refusal), error_message(refusal)
        text = LOCKER_REFUSALS.get(code) or f"智能柜拒绝存件: {said or answer.status_code}"
        return _back(case_id, error=text, kept={"size": size})
    opened = answer.json()
    return _back(
        case_id,
        message=f"{opened['bank_id']} {opened['number']}号格口已打开：请放入证照并关好柜门，"
        "关门后办件自动转为待取件并短信通知申请人",
    )


@router.post("/{case_id}/notes", response_model=None)
def add_note(
    *,
    request: Request,
    case_id: int,
    session: SessionDep,
    services: ServicesDep,
    body: Annotated[str, Form(max_length=case_notes.NOTE_LIMIT)] = "",
) -> Response:
    ctx = _context(request, session, services)
    if ctx is None:
        return sign_in_then(f"/web/case/{case_id}")
    try:
        case = cases.load(ctx, case_id)
        case_notes.add_note(ctx, case, body)
    except DomainError as err:
        session.rollback()
        return _back(case_id, error=_say(err), kept={"body": body})
    session.commit()
    return _back(case_id, message="备注已保存")
