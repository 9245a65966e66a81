"""The clerk's intake at the window (收件登记): find the item, type the applicant, tick the materials
handed in (with their scans), file the case, print the receipt (收件凭证).

Thin: the rules are domain.applicant, domain.item_search and domain.intake; the filing is the same
`cases.submit` the API's POST /cases runs (idempotent on the form's key, so a double click files once);
the record beside the case is cases.intake's. Only window clerks use these pages.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData, UploadFile

from case_service.api import idempotency
from case_service.api.deps import ServicesDep, SessionDep, bearer_token
from case_service.api.presenters import case_out
from case_service.cases import intake as records
from case_service.cases import service as cases
from case_service.catalogue import files as item_files
from case_service.catalogue import service as catalogue
from case_service.documents.receipt import render_receipt
from case_service.domain import item_search
from case_service.domain.applicant import check_credit_code, check_id_number, normalise_phone
from case_service.domain.errors import ConflictError, DomainError, InvalidInputError, NotFoundError
from case_service.domain.filenames import safe_filename
from case_service.domain.intake import (
    FORM_LABELS,
    IN_HAND,
    STATUS_LABELS,
    Mark,
    authorisation_material,
    default_status,
    reconcile,
    review,
)
from case_service.domain.states import Role
from case_service.runtime import Services
from case_service.storage.rawsql import RawTransaction
from case_service.web import window_devices
from case_service.web.routes import _context, sign_in_then
from hall.privacy import mask_id_number, mask_phone

router = APIRouter(prefix="/web/intake", include_in_schema=False)
TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
STATIC = Path(__file__).parent / "static"
# Item facts shown in the search results, by catalogue field (待部门核实 where the field is unverified).
FACTS = {"legal_limit_days": "法定时限", "promised_limit_days": "承诺时限", "fee_status": "收费"}
# What each text box takes at most (the same numbers are the inputs' maxlength).
LIMITS = {
    "name": 64,
    "id_number": 18,
    "phone": 32,
    "company_name": 64,
    "credit_code": 18,
    "legal_rep": 64,
    "rep_id": 18,
    "agent_name": 64,
    "agent_id": 18,
    "agent_phone": 32,
}
# The boxes a card read at the window's reader may fill (with the number sealed, the box masked).
SEALABLE = ("id_number", "rep_id", "agent_id")
# The API's error codes, in the words a clerk reads (the message itself is for developers).
CODE_MESSAGES = {
    "not_found": "找不到该事项或办件，请重新查询",
    "conflict": "该事项当前不能在窗口收件（暂停办理、已下放或不在窗口办理）",
    "illegal_transition": "办件当前状态不允许此操作",
    "forbidden": "您没有办理此业务的权限",
    "invalid_input": "填写的内容有误，请检查后重试",
    "payload_too_large": "文件太大，请压缩后再上传",
    "unsupported_media": "只能上传 PDF、JPG 或 PNG 文件",
}


def chinese_message(err: DomainError) -> str:
    return CODE_MESSAGES.get(err.code, "办理失败，请重试或联系管理员")


@dataclass
class Filled:
    """What the clerk typed and chose, kept whole for the page that shows an error."""

    values: dict[str, str]
    marks: list[Mark]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # material -> (filename, data)
    letter_in_hand: bool = False
    # ID numbers read at the window's reader, sealed for this clerk (the boxes show them masked).
    sealed: dict[str, str] = field(default_factory=dict)
    # Pages from the window's document camera, by material index: the JPEG in base64, kept in the form.
    captures: dict[int, str] = field(default_factory=dict)


def _render(
    request: Request, template: str, ctx: cases.Context, *, status_code: int = 200, **values: Any
) -> HTMLResponse:
    """A page: never shows text from the query string in the official banners."""
    base = {
        "user": ctx.principal.subject,
        "roles": sorted(role.value for role in ctx.principal.roles),
        "today": ctx.today,
        "message": None,
        "error": None,
        "limits": LIMITS,
        "status_labels": STATUS_LABELS,
        "form_labels": FORM_LABELS,
        "sealable": SEALABLE,
        "sealed": {},
        "captures": {},
    }
    return TEMPLATES.TemplateResponse(request, template, {**base, **values}, status_code=status_code)


def _refused(request: Request, ctx: cases.Context) -> HTMLResponse | None:
    if Role.CLERK in ctx.principal.roles:
        return None
    return _render(request, "message.html", ctx, status_code=403, text="收件登记需要综合窗口工作人员权限")


@router.get("/intake.js", include_in_schema=False)
def script() -> FileResponse:
    """The pages' one script (the staff pages' CSP allows scripts from this origin only)."""
    return FileResponse(STATIC / "intake.js", media_type="text/javascript")


@router.get("", response_model=None)
def search_page(request: Request, session: SessionDep, services: ServicesDep, q: str = "") -> Response:
    ctx = _context(request, session, services)
    if ctx is None:
        return sign_in_then("/web/intake")
    refused = _refused(request, ctx)
    if refused:
        return refused
    query = q.strip()[:50]
    rows: list[dict[str, Any]] = []
    if query:
        items, _total = catalogue.search(session, status="active", limit=5000)
        by_code = {item.code: item for item in items}
        entries = [
            item_search.Entry(item.code, item.name, item.department, item.kind, (item.category,))
            for item in items
        ]
        for entry in item_search.search(entries, query):
            fields = catalogue.item_as_dict(by_code[entry.code])
            facts = [
                {"label": label, "value": fields[name], "pending": name in fields["unverified"]}
                for name, label in FACTS.items()
            ]
            rows.append({"item": fields, "facts": facts})
    return _render(request, "intake/search.html", ctx, q=query, rows=rows)


def _item(session: SessionDep, code: str) -> dict[str, Any] | None:
    try:
        item = catalogue.current(session, code[:32])
    except NotFoundError:
        return None
    return catalogue.item_as_dict(item) if item.status == "active" else None


def _blank(item: dict[str, Any]) -> Filled:
    marks = [
        Mark(m["name"], default_status(m, False), m.get("form", "original"), int(m.get("copies", 1)))
        for m in item["materials"]
    ]
    return Filled(values={"kind": "person"}, marks=marks)


@router.get("/new", response_model=None)
def intake_form(request: Request, session: SessionDep, services: ServicesDep, item: str = "") -> Response:
    back = f"/web/intake/new?{urllib.parse.urlencode({'item': item[:32]})}"
    ctx = _context(request, session, services)
    if ctx is None:
        return sign_in_then(back)
    refused = _refused(request, ctx)
    if refused:
        return refused
    found = _item(session, item)
    if found is None:
        return _render(request, "message.html", ctx, status_code=404, text="找不到该事项，或该事项暂不受理")
    return _form_page(request, ctx, found, _blank(found), errors={}, library=frozenset(), key=_new_key())


def _new_key() -> str:
    return secrets.token_urlsafe(16)


def _form_page(
    request: Request,
    ctx: cases.Context,
    item: dict[str, Any],
    filled: Filled,
    *,
    errors: dict[str, str],
    library: frozenset[str],
    key: str,
    status_code: int = 200,
    notice: str | None = None,
    action: str = "/web/intake/new",
) -> HTMLResponse:
    """The intake form of `item`; a package's form (web.packages) posts the same form to `action`."""
    marks = {mark.name: mark for mark in filled.marks}
    rows = [
        {"spec": spec, "mark": marks.get(spec["name"]), "index": i}
        for i, spec in enumerate(item["materials"])
    ]
    summary = "请更正以下问题后再提交（已选择的扫描件需重新选择）" if errors else None
    # The item's blank forms and samples, served by the catalogue (the generic form marked 通用表样).
    stored = item_files.uploads(ctx.session, [item["code"]]).get(item["code"], [])
    listed_files = item_files.listing(item, stored) if action == "/web/intake/new" else []
    files = [
        {
            "name": listed.name,
            "label": listed.label,
            "generic": listed.generic,
            "url": item_files.url(item["code"], listed.name),
        }
        for listed in listed_files
    ]
    return _render(
        request,
        "intake/form.html",
        ctx,
        status_code=status_code,
        item=item,
        v=filled.values,
        rows=rows,
        errors=errors,
        library=library,
        key=key,
        error=summary,
        message=notice,
        letter=authorisation_material(item["materials"]),
        letter_in_hand=filled.letter_in_hand,
        sealed=filled.sealed,
        captures=filled.captures,
        files=files,
        file_urls={file["name"]: file for file in files},
        action=action,
    )


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    text = value if isinstance(value, str) else ""
    return text.strip()[: LIMITS.get(name, 64)]


async def _read_form(form: FormData, item: dict[str, Any], max_bytes: int) -> tuple[Filled, dict[str, str]]:
    """The form as typed (cut to the boxes' lengths), its uploads read, and the upload problems."""
    values = {name: _text(form, name) for name in LIMITS}
    values["kind"] = "company" if form.get("kind") == "company" else "person"
    values["agent"] = "yes" if form.get("agent") == "yes" else ""
    marks: list[Mark] = []
    files: dict[str, tuple[str, bytes]] = {}
    errors: dict[str, str] = {}
    captures: dict[int, str] = {}
    sealed = {
        name: str(form.get(f"sealed_{name}"))[:200]
        for name in SEALABLE
        if form.get(f"sealed_{name}") and values.get(name)
    }
    for index, spec in enumerate(item["materials"]):
        prefix = f"m{index}"
        status = str(form.get(f"{prefix}_status") or "")
        form_kind = str(form.get(f"{prefix}_form") or spec.get("form", "original"))
        try:
            count = int(str(form.get(f"{prefix}_count") or "0"))
        except ValueError:
            count = 0
        upload = form.get(f"{prefix}_file")
        captured = _captured(form.get(f"{prefix}_capture"), max_bytes)
        if captured is not None:
            captures[index] = base64.b64encode(captured).decode()
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read(max_bytes + 1)
            if len(data) > max_bytes:
                errors[f"{prefix}"] = f"「{spec['name']}」的扫描件超过 {max_bytes // (1024 * 1024)} MB"
            elif cases.sniff_type(data) is None:
                errors[f"{prefix}"] = f"「{spec['name']}」的扫描件不是 PDF、JPG 或 PNG 文件"
            else:
                files[spec["name"]] = (upload.filename, data)
        if spec["name"] not in files and captured is not None:
            files[spec["name"]] = (f"高拍仪-{index + 1}.jpg", captured)
        marks.append(Mark(spec["name"], status, form_kind, count, spec["name"] in files))
    letter = form.get("letter_in_hand") == "yes"
    return Filled(values, marks, files, letter_in_hand=letter, sealed=sealed, captures=captures), errors


def _captured(value: object, max_bytes: int) -> bytes | None:
    """A camera page carried in the form (base64 JPEG), or None."""
    if not isinstance(value, str) or not value or len(value) > max_bytes * 4 // 3 + 4:
        return None
    try:
        data = base64.b64decode(value, validate=True)
    except binascii.Error:
        return None
    return data if cases.sniff_type(data) == "image/jpeg" else None


def _unsealed(
    values: dict[str, str], sealed: dict[str, str], services: Services, subject: str
) -> dict[str, str]:
    """The values with each ID number read at the reader in full (where the box still shows it masked)."""
    whole = dict(values)
    for name, token in sealed.items():
        number = window_devices.unseal(services, subject, token, values.get(name, ""))
        if number is not None:
            whole[name] = number
    return whole


@dataclass(frozen=True)
class Who:
    """The applicant as the case is filed, and who stood at the window."""

    name: str
    id_number: str
    phone: str | None
    company: dict[str, str] | None
    people: dict[str, str]


def _check_applicant(values: dict[str, str], ctx: cases.Context) -> tuple[Who | None, dict[str, str]]:
    errors: dict[str, str] = {}

    def checked(name: str, check: Any, *, required: bool = True) -> str:
        value = values.get(name, "")
        if not value:
            if required:
                errors[name] = "必填"
            return ""
        try:
            return str(check(value))
        except InvalidInputError as err:
            errors[name] = err.message
            return ""

    people: dict[str, str] = {}
    company = None
    if values["kind"] == "company":
        company_name = checked("company_name", str)
        credit = checked("credit_code", check_credit_code)
        legal_rep = checked("legal_rep", str)
        rep_id = checked("rep_id", lambda value: check_id_number(value, ctx.today))
        phone = checked("phone", normalise_phone, required=False)
        company = {"name": company_name, "credit_code": credit}
        people.update(legal_rep=legal_rep, legal_rep_id=rep_id)
        filed_name = company_name
    else:
        filed_name = checked("name", str)
        rep_id = checked("id_number", lambda value: check_id_number(value, ctx.today))
        phone = checked("phone", normalise_phone, required=False)
        people.update(name=filed_name, id_number=rep_id)
    if phone:
        people["phone"] = phone
    if values.get("agent") == "yes":
        people["agent_name"] = checked("agent_name", str)
        people["agent_id"] = checked("agent_id", lambda value: check_id_number(value, ctx.today))
        agent_phone = checked("agent_phone", normalise_phone, required=False)
        if agent_phone:
            people["agent_phone"] = agent_phone
    if errors:
        return None, errors
    return Who(filed_name, rep_id, phone or None, company, people), errors


@router.post("/new", response_model=None)
async def submit_intake(request: Request, session: SessionDep, services: ServicesDep) -> Response:
    form = await request.form(max_files=50, max_fields=400)
    code = str(form.get("item") or "")[:32]
    back = f"/web/intake/new?{urllib.parse.urlencode({'item': code})}" if code else "/web/intake"
    ctx = _context(request, session, services)
    if ctx is None:
        return sign_in_then(back)
    refused = _refused(request, ctx)
    if refused:
        return refused
    item = _item(session, code)
    if item is None:
        return _render(request, "message.html", ctx, status_code=404, text="找不到该事项，或该事项暂不受理")
    filled, errors = await _read_form(form, item, services.settings.case.max_upload_bytes)
    key = str(form.get("key") or "")[:64] or _new_key()
    step = str(form.get("step") or "")
    checking = step == "check"
    submission = Submission(
        item, filled, errors, key, checking, capturing(step, item), bearer_token(request) or ""
    )
    return await run_in_threadpool(_decide, request, ctx, services, submission)


def capturing(step: str, item: dict[str, Any]) -> int | None:
    """The material whose page the document camera takes (the button `capture:m<index>`), or None."""
    if step.startswith("capture:m") and step[9:].isdigit() and int(step[9:]) < len(item["materials"]):
        return int(step[9:])
    return None


@dataclass
class Submission:
    item: dict[str, Any]
    filled: Filled
    errors: dict[str, str]
    key: str
    checking: bool
    capturing: int | None = None  # the material whose page the document camera takes now
    token: str = ""
    action: str = "/web/intake/new"  # where the form posts (a package's form: web.packages)


def _take_page(
    request: Request, ctx: cases.Context, services: Services, submission: Submission, library: frozenset[str]
) -> HTMLResponse:
    """高拍仪拍摄: the page under the window's camera becomes the material's scan; the form comes back."""
    item, filled, index = submission.item, submission.filled, submission.capturing
    assert index is not None
    name = item["materials"][index]["name"]
    errors = dict(submission.errors)
    notice = None
    try:
        page = window_devices.capture(services, submission.token)
    except window_devices.CaptureError as err:
        errors[f"m{index}"] = f"「{name}」：{err.message}"
    else:
        filled.captures[index] = base64.b64encode(page.jpeg).decode()
        filled.marks = [
            Mark(mark.name, "received", mark.form, mark.count) if mark.name == name else mark
            for mark in filled.marks
        ]
        blank = "（看起来是空白页，请核对）" if page.blank else ""
        notice = f"已拍摄「{name}」{blank}"
    return _form_page(
        request,
        ctx,
        item,
        filled,
        errors=errors,
        library=library,
        key=submission.key,
        status_code=422 if errors else 200,
        notice=notice,
        action=submission.action,
    )


def applicant_and_library(
    ctx: cases.Context, services: Services, item: dict[str, Any], filled: Filled
) -> tuple[Who | None, dict[str, str], frozenset[str]]:
    """The applicant the form names (or what is wrong with them) and which of the item's materials their
    library already holds."""
    values = _unsealed(filled.values, filled.sealed, services, ctx.principal.subject)
    who, applicant_errors = _check_applicant(values, ctx)
    names = [spec["name"] for spec in item["materials"]]
    library = records.library_names(ctx, who.id_number, names) if who else frozenset()
    return who, applicant_errors, library


def check_checklist(
    item: dict[str, Any], filled: Filled, library: frozenset[str], errors: dict[str, str]
) -> None:
    """The checklist's problems (missing, 容缺 not allowed, agent's letter) added to `errors`."""
    agent = filled.values.get("agent") == "yes"
    for problem in review(
        item["materials"], filled.marks, agent=agent, in_library=library, letter_in_hand=filled.letter_in_hand
    ):
        errors.setdefault(f"checklist-{len(errors)}", problem)


def _decide(request: Request, ctx: cases.Context, services: Services, submission: Submission) -> Response:
    item, filled, errors, key = submission.item, submission.filled, submission.errors, submission.key
    who, applicant_errors, library = applicant_and_library(ctx, services, item, filled)
    if submission.capturing is not None:
        return _take_page(request, ctx, services, submission, library)
    errors.update(applicant_errors)
    if submission.checking:
        # 查询材料库: what the library holds becomes "reused"; the rest stays as the clerk marked it.
        filled.marks = [
            Mark(mark.name, "reused", mark.form, mark.count) if mark.name in library else mark
            for mark in filled.marks
        ]
        notice = (
            f"申请人材料库中已有 {len(library)} 项材料，已标为复用"
            if library
            else "申请人材料库中暂无本事项的材料"
        )
        status = 422 if errors else 200
        return _form_page(
            request,
            ctx,
            item,
            filled,
            errors=errors,
            library=library,
            key=key,
            status_code=status,
            notice=None if errors else notice,
            action=submission.action,
        )
    check_checklist(item, filled, library, errors)
    if errors or who is None:
        return _form_page(
            request, ctx, item, filled, errors=errors, library=library, key=key, status_code=422
        )
    ctx.session.commit()  # the reads' transaction ends before the filing's own one writes
    window = window_devices.clerk_window(services, submission.token)
    try:
        case_id = _file(ctx, services, item["code"], who, key, window=window)
    except DomainError as err:
        ctx.session.rollback()
        text = (
            "此收件单已提交过，请返回重新登记"
            if isinstance(err, ConflictError) and "Idempotency" in err.message
            else chinese_message(err)
        )
        errors["filing"] = text
        return _form_page(
            request, ctx, item, filled, errors=errors, library=library, key=_new_key(), status_code=409
        )
    case = cases.load(ctx, case_id)
    if records.read(ctx, case) is None:  # not a second click on the same form
        received = {mark.name for mark in filled.marks if mark.status == "received"}
        for name, (filename, data) in filled.files.items():
            if name not in received:  # a scan chosen, then the material marked otherwise: not taken
                continue
            content_type = cases.sniff_type(data)
            assert content_type is not None
            cases.add_material(
                ctx, case, name=name, filename=safe_filename(filename), content_type=content_type, data=data
            )
        linked = [
            material.name for material, _blob, reused in cases.case_materials(ctx.session, case) if reused
        ]
        records.record(
            ctx,
            case,
            marks=reconcile(filled.marks, linked),
            applicant_kind=filled.values["kind"],
            company=who.company,
            people=who.people,
            letter_in_hand=filled.letter_in_hand,
        )
        ctx.session.commit()
    return RedirectResponse(f"/web/intake/receipt/{case.number}", status_code=303)


def _file(
    ctx: cases.Context, services: Services, code: str, who: Who, key: str, *, window: int | None
) -> int:
    """The API's filing (cases.submit in one RawTransaction), idempotent on the form's key; `window`: the
    clerk's window, recorded on the case (figures by window)."""
    filer = cases.Filer(ctx.calendar, services.cipher, ctx.today, ctx.principal, services.index_keys)
    applicant = cases.Applicant(who.name, who.id_number, who.phone)
    with RawTransaction(services.filing_engine or services.engine) as tx:
        answer = idempotency.run_raw(
            tx,
            scope=ctx.principal.idempotency_scope,
            key=f"web-intake:{key}",
            request_hash=idempotency.fingerprint("web intake", code, who.name, who.id_number, who.phone),
            produce=lambda: case_out(
                filer,
                cases.submit(tx, filer, item_code=code, channel="window", applicant=applicant, window=window),
            ),
        )
    return int(json.loads(bytes(answer.body))["id"])


def _receipt(ctx: cases.Context, number: str) -> dict[str, Any] | None:
    try:
        case = cases.load(ctx, number[:32])
    except DomainError:
        return None
    found = records.read(ctx, case)
    if found is None:
        return None
    people = found["people"]
    masked = {
        name: mask_id_number(value)
        if name.endswith(("id", "id_number"))
        else mask_phone(value)
        if name.endswith("phone")
        else value
        for name, value in people.items()
    }
    marks: list[Mark] = found["materials"]
    return {
        "case": case,
        "record": found,
        "people": masked,
        "received": [mark for mark in marks if mark.status in IN_HAND],
        "tolerated": [mark for mark in marks if mark.status == "tolerated"],
        "missing": [mark for mark in marks if mark.status == "missing"],
    }


def _receipt_or_answer(
    request: Request, number: str, session: SessionDep, services: ServicesDep
) -> tuple[cases.Context, dict[str, Any]] | Response:
    """The receipt of `number` for a signed-in clerk, else what to answer (sign in, refused, not found)."""
    ctx = _context(request, session, services)
    if ctx is None:
        return sign_in_then(f"/web/intake/receipt/{urllib.parse.quote(number[:32])}")
    refused = _refused(request, ctx)
    if refused:
        return refused
    found = _receipt(ctx, number)
    if found is None:
        return _render(request, "message.html", ctx, status_code=404, text="找不到该办件的收件记录")
    return ctx, found


@router.get("/receipt/{number}", response_model=None)
def receipt_page(request: Request, number: str, session: SessionDep, services: ServicesDep) -> Response:
    answer = _receipt_or_answer(request, number, session, services)
    if isinstance(answer, Response):
        return answer
    ctx, found = answer
    return _render(request, "intake/receipt.html", ctx, **found)


@router.get("/receipt/{number}/pdf", response_model=None)
def receipt_pdf(request: Request, number: str, session: SessionDep, services: ServicesDep) -> Response:
    answer = _receipt_or_answer(request, number, session, services)
    if isinstance(answer, Response):
        return answer
    ctx, found = answer
    pdf = render_receipt(found, today=ctx.today)
    filename = urllib.parse.quote(f"收件凭证-{found['case'].number}.pdf")
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f"inline; filename*=UTF-8''{filename}"},
    )
