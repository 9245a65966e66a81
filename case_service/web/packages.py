"""The window's “一件事一次办” pages: pick a package, record its one set of materials, file it (one case
per item, each in its department's work list), follow every case's state, release the results together
and print the receipt that lists every item.

Thin: the form is the intake form (web.intake) over the package's one set of materials; the rules are
domain.packages'; filing, linking and release are cases.packages'. Only window clerks file and release;
the package view is open to the hall's staff.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from case_service.api.deps import ServicesDep, SessionDep, bearer_token
from case_service.cases import intake as records
from case_service.cases import package_guard
from case_service.cases import packages as package_cases
from case_service.cases import service as cases
from case_service.catalogue import packages as catalogue_packages
from case_service.catalogue.packages import Offered
from case_service.documents.package_receipt import render_package_receipt
from case_service.domain import packages
from case_service.domain.catalogue import normalise_material
from case_service.domain.errors import DomainError, NotFoundError
from case_service.domain.filenames import safe_filename
from case_service.domain.intake import IN_HAND, Mark
from case_service.domain.states import STATE_LABELS, CaseState, Role
from case_service.runtime import Services
from case_service.storage.models import Case
from case_service.web import flash, intake
from case_service.web.routes import _context, sign_in_then
from hall.calendar import CHINA_TZ
from hall.privacy import mask_id_number

router = APIRouter(prefix="/web/packages", include_in_schema=False)
TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")


def form_item(package: Offered) -> dict[str, Any]:
    """The package as the intake form shows an item: its one set of materials as the checklist."""
    definition = package.definition
    return {
        "code": definition.code,
        "name": f"一件事一次办 · {definition.name}",
        "department": f"{definition.lead_department}牵头",
        "kind": "，".join(item["name"] for item in package.items),
        "applicant_type": "",
        "materials": [
            {**normalise_material(spec), "shared_by": len(shared.items)}
            for spec, shared in zip(
                packages.shared_requirements(package.materials), package.materials, strict=True
            )
        ],
    }


def _offered(session: SessionDep, code: str) -> Offered | None:
    try:
        package = catalogue_packages.get(session, code[:16])
    except NotFoundError:
        return None
    return package if package.takes("window") else None


def _render(request: Request, template: str, ctx: cases.Context, **values: Any) -> HTMLResponse:
    status_code = values.pop("status_code", 200)
    base = {
        "user": ctx.principal.subject,
        "roles": sorted(role.value for role in ctx.principal.roles),
        "today": ctx.today,
        "message": None,
        "error": None,
    }
    return TEMPLATES.TemplateResponse(request, template, {**base, **values}, status_code=status_code)


def _refused(request: Request, ctx: cases.Context, roles: frozenset[Role]) -> HTMLResponse | None:
    if ctx.principal.roles & roles:
        return None
    return _render(request, "message.html", ctx, status_code=403, text="您没有办理此业务的权限")


CLERKS = frozenset({Role.CLERK})
STAFF = package_cases.READERS - {Role.APPLICANT}


@router.get("", response_model=None)
def list_page(request: Request, session: SessionDep, services: ServicesDep) -> Response:
    ctx = _context(request, session, services)
    if ctx is None:
        return sign_in_then("/web/packages")
    refused = _refused(request, ctx, CLERKS)
    if refused:
        return refused
    return _render(request, "packages/list.html", ctx, packages=catalogue_packages.offered(session))


def _clerk_and_package(
    request: Request, code: str, session: SessionDep, services: ServicesDep
) -> tuple[cases.Context, Offered] | Response:
    """A signed-in clerk and a package that takes applications at the window, else what to answer."""
    ctx = _context(request, session, services)
    if ctx is None:
        return sign_in_then(f"/web/packages/{urllib.parse.quote(code[:16])}/new")
    refused = _refused(request, ctx, CLERKS)
    if refused:
        return refused
    package = _offered(session, code)
    if package is None:
        return _render(
            request, "message.html", ctx, status_code=404, text="找不到该套餐，或其中有事项暂不受理"
        )
    return ctx, package


@router.get("/{code}/new", response_model=None)
def package_form(request: Request, code: str, session: SessionDep, services: ServicesDep) -> Response:
    answer = _clerk_and_package(request, code, session, services)
    if isinstance(answer, Response):
        return answer
    ctx, package = answer
    item = form_item(package)
    return intake._form_page(
        request,
        ctx,
        item,
        intake._blank(item),
        errors={},
        library=frozenset(),
        key=intake._new_key(),
        action=f"/web/packages/{package.definition.code}/new",
    )


@router.post("/{code}/new", response_model=None)
async def file_package(request: Request, code: str, session: SessionDep, services: ServicesDep) -> Response:
    form = await request.form(max_files=50, max_fields=400)
    answer = _clerk_and_package(request, code, session, services)
    if isinstance(answer, Response):
        return answer
    ctx, package = answer
    item = form_item(package)
    filled, errors = await intake._read_form(form, item, services.settings.case.max_upload_bytes)
    step = str(form.get("step") or "")
    submission = intake.Submission(
        item,
        filled,
        errors,
        str(form.get("key") or "")[:64] or intake._new_key(),
        step == "check",
        intake.capturing(step, item),
        bearer_token(request) or "",
        action=f"/web/packages/{package.definition.code}/new",
    )
    return await run_in_threadpool(_decide, request, ctx, services, package, submission)


def _decide(
    request: Request, ctx: cases.Context, services: Services, package: Offered, submission: intake.Submission
) -> Response:
    item, filled, errors = submission.item, submission.filled, submission.errors
    if submission.checking or submission.capturing is not None:
        return intake._decide(request, ctx, services, submission)  # the library look-up, the camera
    who, applicant_errors, library = intake.applicant_and_library(ctx, services, item, filled)
    errors.update(applicant_errors)
    intake.check_checklist(item, filled, library, errors)

    def again(status_code: int, key: str) -> HTMLResponse:
        return intake._form_page(
            request,
            ctx,
            item,
            filled,
            errors=errors,
            library=library,
            key=key,
            status_code=status_code,
            action=submission.action,
        )

    if errors or who is None:
        return again(422, submission.key)
    ctx.session.commit()  # the reads' transaction ends before the filing's own one writes
    filer = cases.Filer(ctx.calendar, services.cipher, ctx.today, ctx.principal, services.index_keys)
    received = {mark.name for mark in filled.marks if mark.status == "received"}
    uploads = []
    for name, (filename, data) in filled.files.items():
        content_type = cases.sniff_type(data)
        if name in received and content_type is not None:
            uploads.append(package_cases.Upload(name, safe_filename(filename), content_type, data))
    try:
        case_ids = package_cases.file_cases(
            services.filing_engine or services.engine,
            filer,
            package,
            channel="window",
            applicant=cases.Applicant(who.name, who.id_number, who.phone),
            key=submission.key,
        )
    except DomainError as err:
        errors["filing"] = intake.chinese_message(err)
        return again(409, intake._new_key())  # nothing was filed: the corrected form files anew
    window = package_cases.WindowIntake(
        marks=filled.marks,
        applicant_kind=filled.values["kind"],
        company=who.company,
        people=who.people,
        letter_in_hand=filled.letter_in_hand,
    )
    try:
        row = package_cases.link(ctx, package, case_ids, channel="window", uploads=uploads, window=window)
        ctx.session.commit()
    except DomainError as err:
        ctx.session.rollback()
        errors["filing"] = intake.chinese_message(err)
        return again(409, submission.key)  # the cases are filed: the same key links them on the next try
    return RedirectResponse(f"/web/packages/applications/{row.number}", status_code=303)


def _view_or_answer(
    request: Request, number: str, session: SessionDep, services: ServicesDep
) -> tuple[cases.Context, package_cases.View] | Response:
    ctx = _context(request, session, services)
    if ctx is None:
        return sign_in_then(f"/web/packages/applications/{urllib.parse.quote(number[:32])}")
    refused = _refused(request, ctx, STAFF)
    if refused:
        return refused
    try:
        return ctx, package_cases.load(ctx, number)
    except DomainError:
        return _render(request, "message.html", ctx, status_code=404, text="找不到该“一件事”办件")


def package_rows(members: list[Case]) -> list[dict[str, Any]]:
    """A package's cases as the pages list them: the case, its state's label, whether the package's
    release waits on it, and the notice it goes out with when it ended without a result."""
    rows = []
    for case in members:
        state = CaseState(case.state)
        notice = package_cases.NOTICE_OF.get(state)
        rows.append(
            {
                "case": case,
                "state_label": STATE_LABELS.get(state, case.state),
                "waiting": state not in packages.DECIDED,
                "notice": f"/api/v1/cases/{case.id}/documents/{notice.value}.pdf" if notice else None,
            }
        )
    return rows


def _view_values(ctx: cases.Context, view: package_cases.View) -> dict[str, Any]:
    released_at = view.package.released_at
    if released_at is not None:
        released_at = (released_at if released_at.tzinfo else released_at.replace(tzinfo=dt.UTC)).astimezone(
            CHINA_TZ
        )
    return {
        "view": view,
        "rows": package_rows(view.cases),
        "status": view.status,
        "status_label": packages.STATUS_LABELS[view.status],
        "released_at": released_at,
        "may_release": Role.CLERK in ctx.principal.roles and view.status is packages.PackageStatus.READY,
    }


def case_panel(ctx: cases.Context, case: Case) -> dict[str, Any] | None:
    """The case page's “一件事一次办” box: the package `case` was filed in, its state, and its other cases
    with their states, each linked; None for a case filed on its own or a reader who may not read it."""
    found = package_guard.package_of(ctx.session, case)
    if found is None or not ctx.principal.roles & package_cases.READERS:
        return None
    package, members = found
    status = packages.status_of(member.state for member in members)
    return {
        "package": package,
        "status": status,
        "status_label": packages.STATUS_LABELS[status],
        "others": [row for row in package_rows(members) if row["case"].id != case.id],
    }


@router.get("/applications/{number}", response_model=None)
def view_page(request: Request, number: str, session: SessionDep, services: ServicesDep) -> Response:
    answer = _view_or_answer(request, number, session, services)
    if isinstance(answer, Response):
        return answer
    ctx, view = answer
    return flash.page(request, "packages/view.html", ctx, **_view_values(ctx, view))


@router.post("/applications/{number}/release", response_model=None)
def release(request: Request, number: str, session: SessionDep, services: ServicesDep) -> Response:
    answer = _view_or_answer(request, number, session, services)
    if isinstance(answer, Response):
        return answer
    ctx, view = answer
    back = f"/web/packages/applications/{urllib.parse.quote(view.package.number)}"
    try:
        package_cases.release(ctx, view.package.number)
    except DomainError as err:
        session.rollback()
        # The package rule's own words (which cases are still being decided), else the clerk's wording.
        return flash.redirect(
            back, error=err.message if "统一出件" in err.message else intake.chinese_message(err)
        )
    session.commit()
    return flash.redirect(back, message="已统一出件：各项结果已转窗口出件，请一并交付申请人")


@router.get("/applications/{number}/receipt.pdf", response_model=None)
def receipt_pdf(request: Request, number: str, session: SessionDep, services: ServicesDep) -> Response:
    answer = _view_or_answer(request, number, session, services)
    if isinstance(answer, Response):
        return answer
    ctx, view = answer
    first = records.read(ctx, view.cases[0]) if view.cases else None
    people = {}
    if first is not None:
        people = {
            name: mask_id_number(value) if name.endswith(("id", "id_number")) else value
            for name, value in first["people"].items()
            if not name.endswith("phone")
        }
    marks = [Mark(**mark) for mark in view.package.materials]
    pdf = render_package_receipt(
        view,
        company=first["company"] if first else None,
        people=people,
        received=[mark for mark in marks if mark.status in IN_HAND],
        tolerated=[mark for mark in marks if mark.status == "tolerated"],
        today=ctx.today,
    )
    filename = urllib.parse.quote(f"一件事收件凭证-{view.package.number}.pdf")
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f"inline; filename*=UTF-8''{filename}"},
    )
