"""The catalogue as a spreadsheet, for administrators: export it; import a filled-in sheet (dry run first)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Path, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.orm import Session

from case_service.api import schemas
from case_service.api.deps import PrincipalDep, ServicesDep, SessionDep, require_roles
from case_service.catalogue import exchange, spreadsheet
from case_service.domain.errors import InvalidInputError, PayloadTooLargeError
from case_service.domain.states import Role

router = APIRouter(prefix="/admin/catalogue", tags=["catalogue"], dependencies=[require_roles(Role.ADMIN)])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _attachment(data: bytes, media_type: str, filename: str) -> Response:
    return Response(
        data, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@router.get("/export.xlsx", response_class=Response, responses={200: {"content": {XLSX: {}}}})
def export_xlsx(session: SessionDep) -> Response:
    """Every current item: sheet 事项 (one row per item) and sheet 申请材料 (one row per material)."""
    return _attachment(exchange.export_xlsx(session), XLSX, "catalogue.xlsx")


@router.get("/export/{sheet}.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def export_csv(sheet: Annotated[Literal["items", "materials"], Path()], session: SessionDep) -> Response:
    """One sheet as CSV (UTF-8 with BOM): `items` or `materials`."""
    return _attachment(
        exchange.export_csv(session, sheet), "text/csv; charset=utf-8", f"catalogue-{sheet}.csv"
    )


async def _read(upload: UploadFile | None, limit: int) -> bytes | None:
    if upload is None:
        return None
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLargeError(f"文件超过 {limit // 1024} KiB", details={"max_bytes": limit})
    return data


def _import(
    session: Session,
    workbook: bytes | None,
    items: bytes | None,
    materials: bytes | None,
    *,
    confirm: bool,
    actor: str,
    source: str,
) -> schemas.CatalogueImportOut:
    if workbook is not None:
        items_table, materials_table = spreadsheet.read_xlsx(workbook)
    elif items is not None:
        items_table = spreadsheet.read_csv(items)
        materials_table = spreadsheet.read_csv(materials) if materials is not None else None
    else:
        raise InvalidInputError("请上传 .xlsx 表格(workbook),或事项 CSV(items)及材料 CSV(materials)")
    plan, created = exchange.import_tables(
        session, items_table, materials_table, confirm=confirm, actor=actor, source=source
    )
    if confirm:
        session.commit()
    return schemas.CatalogueImportOut(
        new=plan.new,
        changed=[schemas.ItemChangeOut(code=code, fields=fields) for code, fields in plan.changed.items()],
        unchanged=plan.unchanged,
        errors=plan.errors,
        versions_created=created,
        applied=confirm,
    )


@router.post("/import", response_model=schemas.CatalogueImportOut)
async def import_catalogue(
    *,
    session: SessionDep,
    services: ServicesDep,
    principal: PrincipalDep,
    workbook: Annotated[UploadFile | None, File(description="the .xlsx as exported")] = None,
    items: Annotated[UploadFile | None, File(description="or: the items sheet as CSV")] = None,
    materials: Annotated[
        UploadFile | None, File(description="with items: the materials sheet as CSV")
    ] = None,
    confirm: Annotated[
        bool, Form(description="false (default): a dry run that only shows the changes")
    ] = False,
) -> schemas.CatalogueImportOut:
    """Shows (dry run) or makes the new versions a filled-in sheet asks for. A row with an error is named
    in Chinese (第3行：…); with any error, a confirmed import changes nothing. Items not in the sheet and
    columns left out of it stay as they are."""
    limit = services.settings.case.max_upload_bytes
    workbook_data, items_data, materials_data = [
        await _read(upload, limit) for upload in (workbook, items, materials)
    ]
    upload = workbook or items
    source = upload.filename if upload is not None else None
    return await run_in_threadpool(
        _import,
        session,
        workbook_data,
        items_data,
        materials_data,
        confirm=confirm,
        actor=principal.actor,
        source=source or "upload",
    )
