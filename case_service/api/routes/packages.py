"""“一件事一次办” packages: the catalogue's packages, an application for one (the window, a kiosk or
online), its one set of materials, reading it with its cases, and releasing its results together.

Who may: anyone signed in reads the packages (as the catalogue); a window clerk or an applicant token
files (the applicant only for themselves); the materials come from the same; the hall's staff and the
package's own applicant read an application; only a window clerk releases.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from case_service.api import schemas
from case_service.api.deps import ContextDep, IdempotencyKey, ServicesDep, principal_of, services_of
from case_service.api.openapi import REQUIRES_KEY
from case_service.api.presenters import case_out, json_response
from case_service.api.routes.cases import applicant_of
from case_service.api.routes.materials import _read_limited
from case_service.auth.tokens import Principal
from case_service.cases import packages as package_cases
from case_service.cases import service as cases
from case_service.catalogue import packages as catalogue_packages
from case_service.domain import packages
from case_service.domain.catalogue import CHANNELS
from case_service.domain.errors import ConflictError, ForbiddenError, UnsupportedMediaError
from case_service.domain.filenames import safe_filename
from case_service.runtime import Services
from hall import case_api

router = APIRouter(tags=["packages"])
Code = Annotated[str, Path(min_length=1, max_length=16, examples=["YJS-001"])]
Number = Annotated[str, Path(min_length=1, max_length=32, examples=["YJS20250926-1A2B3C"])]


def _package_out(package: catalogue_packages.Offered) -> case_api.PackageOut:
    definition = package.definition
    return case_api.PackageOut(
        code=definition.code,
        name=definition.name,
        lead_department=definition.lead_department,
        description=definition.description,
        basis=definition.basis,
        available=package.available,
        channels=[channel for channel in CHANNELS if package.takes(channel)],
        items=[
            case_api.PackageItemOut(code=item["code"], name=item["name"], department=item["department"])
            for item in package.items
        ],
        materials=[
            case_api.PackageMaterialOut(
                name=m.name,
                required=m.required,
                tolerated=m.tolerated,
                form=m.form,
                copies=m.copies,
                items=list(m.items),
            )
            for m in package.materials
        ],
    )


def _application_out(ctx: cases.Context, view: package_cases.View) -> case_api.PackageApplicationOut:
    status = view.status
    return case_api.PackageApplicationOut(
        number=view.package.number,
        package_code=view.package.package_code,
        package_name=view.package.package_name,
        lead_department=view.package.lead_department,
        channel=view.package.channel,
        status=status.value,
        status_label=packages.STATUS_LABELS[status],
        waiting=[number for number, _ in view.waiting],
        released_at=view.package.released_at,
        cases=[case_out(ctx, case) for case in view.cases],
    )


@router.get("/packages", response_model=list[case_api.PackageOut])
def list_packages(ctx: ContextDep) -> Response:
    """The catalogue's packages, each with its items and its one set of materials."""
    found = [_package_out(package) for package in catalogue_packages.offered(ctx.session)]
    return Response("[" + ",".join(p.model_dump_json() for p in found) + "]", media_type="application/json")


@router.get("/packages/{code}", response_model=case_api.PackageOut)
def get_package(code: Code, ctx: ContextDep) -> Response:
    return json_response(_package_out(catalogue_packages.get(ctx.session, code)))


@router.post(
    "/packages/{code}/applications",
    status_code=201,
    response_model=case_api.PackageApplicationOut,
    openapi_extra=REQUIRES_KEY,
)
async def file_package(
    code: Code, body: schemas.PackageCreate, request: Request, idempotency_key: IdempotencyKey = None
) -> Response:
    """A window clerk or an applicant token (kiosk, online) applies for a package: one case per item,
    linked. Requires `Idempotency-Key`; a repeat answers with the same application."""
    services = services_of(request)
    principal = principal_of(request, services)
    return await run_in_threadpool(_file, services, principal, code, body, idempotency_key or "")


def _file(
    services: Services, principal: Principal, code: str, body: schemas.PackageCreate, key: str
) -> Response:
    with services.sessions() as session:
        ctx = cases.Context(
            session,
            services.calendars.get(session),
            services.cipher,
            services.today(),
            principal,
            services.index_keys,
        )
        filer = cases.Filer(ctx.calendar, services.cipher, ctx.today, principal, services.index_keys)
        applicant = applicant_of(filer, body.applicant, body.phone)
        package = catalogue_packages.get(session, code)
        if not package.takes(body.channel):
            raise ConflictError(f"package {code} is not offered on the {body.channel} channel")
        session.commit()
        case_ids = package_cases.file_cases(
            services.filing_engine or services.engine,
            filer,
            package,
            channel=body.channel,
            applicant=applicant,
            key=key,
        )
        row = package_cases.link(ctx, package, case_ids, channel=body.channel)
        session.commit()
        view = package_cases.load(ctx, row.number)
        return json_response(_application_out(ctx, view), status_code=201)


@router.get("/package-applications", response_model=case_api.Page[case_api.PackageApplicationOut])
def list_applications(
    ctx: ContextDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=schemas.MAX_OFFSET)] = 0,
) -> Response:
    """An applicant token: that person's applications (the kiosk's and online progress); the hall's
    staff: every application, newest first."""
    views, total = package_cases.listed(ctx, limit=limit, offset=offset)
    page: case_api.Page[case_api.PackageApplicationOut] = case_api.Page(
        items=[_application_out(ctx, view) for view in views], total=total, limit=limit, offset=offset
    )
    return json_response(page)


@router.get("/package-applications/{number}", response_model=case_api.PackageApplicationOut)
def get_application(number: Number, ctx: ContextDep) -> Response:
    """The hall's staff, and the applicant whose application it is (anyone else: 404)."""
    return json_response(_application_out(ctx, package_cases.load(ctx, number)))


@router.post(
    "/package-applications/{number}/materials",
    status_code=201,
    response_model=case_api.PackageApplicationOut,
)
async def add_material(
    *,
    number: Number,
    ctx: ContextDep,
    services: ServicesDep,
    name: Annotated[
        str, Form(min_length=1, max_length=200, description="a material of the package's one set")
    ],
    file: Annotated[UploadFile, File(description="PDF, JPEG or PNG")],
) -> Response:
    """One material of the one set, linked to every case of the application whose item lists it."""
    if not ctx.principal.roles & package_cases.FILERS:
        raise ForbiddenError("materials are handed in by a window clerk or the applicant")
    data = await _read_limited(file, services.settings.case.max_upload_bytes)
    content_type = cases.sniff_type(data)
    if content_type is None:
        raise UnsupportedMediaError("only PDF, JPEG and PNG files are accepted")
    upload = package_cases.Upload(name, safe_filename(file.filename or name), content_type, data)
    package_cases.attach(ctx, number, upload)
    ctx.session.commit()
    return json_response(_application_out(ctx, package_cases.load(ctx, number)), status_code=201)


@router.post("/package-applications/{number}/release", response_model=case_api.PackageApplicationOut)
def release(number: Number, ctx: ContextDep) -> Response:
    """统一出件 (window clerks): every result released together once every case is decided."""
    view = package_cases.release(ctx, number)
    ctx.session.commit()
    return json_response(_application_out(ctx, view))
