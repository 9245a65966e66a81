"""The catalogue: search for the kiosk's guide, one item, its versions; admins change items by version."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Path, Query, UploadFile
from fastapi.responses import Response

from case_service.api import schemas
from case_service.api.deps import PrincipalDep, ServicesDep, SessionDep, require_roles
from case_service.api.presenters import item_out, json_response
from case_service.catalogue import files as item_files
from case_service.catalogue import service as catalogue
from case_service.domain.errors import PayloadTooLargeError
from case_service.domain.states import Role
from hall import case_api

router = APIRouter(prefix="/items", tags=["catalogue"])
CodePath = Annotated[str, Path(max_length=32, examples=["513200-XK-SJ-0511"])]
NamePath = Annotated[str, Path(max_length=200, examples=["公司登记(备案)申请书.pdf"])]


@router.get("", response_model=case_api.Page[case_api.ItemOut])
def search_items(
    *,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=100, description="name, code or department contains")] = None,
    department: Annotated[str | None, Query(max_length=64, examples=["州市场监管局"])] = None,
    category: Annotated[str | None, Query(max_length=16, examples=["经营类"])] = None,
    life_event: Annotated[
        str | None, Query(max_length=16, examples=["开办企业"], description="one of the item's life events")
    ] = None,
    status: Annotated[str | None, Query(max_length=16, examples=["active"])] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0, le=schemas.MAX_OFFSET)] = 0,
) -> Response:
    """Public: the catalogue is published (no token needed)."""
    items, total = catalogue.search(
        session,
        q=q,
        department=department,
        category=category,
        life_event=life_event,
        status=status,
        limit=limit,
        offset=offset,
    )
    stored = item_files.uploads(session, [item.code for item in items])
    return json_response(
        case_api.Page(
            items=[item_out(item, stored.get(item.code, [])) for item in items],
            total=total,
            limit=limit,
            offset=offset,
        )
    )


@router.get("/{code}", response_model=case_api.ItemOut)
def get_item(code: CodePath, session: SessionDep) -> Response:
    return json_response(
        item_out(catalogue.current(session, code), item_files.uploads(session, [code]).get(code, []))
    )


@router.get("/{code}/versions", response_model=list[case_api.ItemOut])
def item_versions(code: CodePath, session: SessionDep) -> list[case_api.ItemOut]:
    return [item_out(item) for item in catalogue.versions(session, code)]


@router.put("/{code}", response_model=case_api.ItemOut, dependencies=[require_roles(Role.ADMIN)])
def put_item(
    code: CodePath, body: schemas.ItemIn, session: SessionDep, principal: PrincipalDep
) -> case_api.ItemOut:
    """Creates the item or a new version of it; cases keep the version they were filed under."""
    proposed = {"code": code, **body.model_dump(mode="json")}
    item, _created = catalogue.put_version(session, proposed, actor=principal.actor)
    session.commit()
    return item_out(item, item_files.uploads(session, [code]).get(code, []))


@router.post("/{code}/status", response_model=case_api.ItemOut, dependencies=[require_roles(Role.ADMIN)])
def set_item_status(
    code: CodePath, body: schemas.ItemStatusIn, session: SessionDep, principal: PrincipalDep
) -> case_api.ItemOut:
    """Suspend (暂停), hand down (已下放) or reactivate: a new version, history kept."""
    item, _created = catalogue.put_version(
        session, {"code": code, "status": body.status}, actor=principal.actor
    )
    session.commit()
    return item_out(item, item_files.uploads(session, [code]).get(code, []))


def _file_response(data: bytes, content_type: str, name: str) -> Response:
    # RFC 6266/5987: the Chinese name travels percent-encoded; the ASCII fallback keeps only the ending.
    fallback = "file" + item_files.extension(name)
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"
    headers = {"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"}
    return Response(data, media_type=content_type, headers=headers)


@router.get(
    "/{code}/files/{name}",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, 404: {"description": "no such file"}},
)
def get_item_file(code: CodePath, name: NamePath, session: SessionDep) -> Response:
    """Public: a blank form, filled sample or result sample of the item (the kiosk and online applicants
    download them). The application form is the hall's generic one (通用表样) until a department's is
    uploaded under its name."""
    data, content_type = item_files.fetch(session, code, name)
    return _file_response(data, content_type, name)


@router.put(
    "/{code}/files/{name}",
    response_model=case_api.ItemOut,
    dependencies=[require_roles(Role.ADMIN)],
)
async def put_item_file(
    *,
    code: CodePath,
    name: NamePath,
    session: SessionDep,
    principal: PrincipalDep,
    services: ServicesDep,
    file: Annotated[UploadFile, File(description="the file's content (PDF, Word, Excel, JPEG or PNG)")],
) -> Response:
    """An administrator uploads or replaces the item's file under `name` (a department's official form
    takes the generic form's place when it has the same name)."""
    limit = services.settings.case.max_upload_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLargeError(f"文件超过 {limit // 1024} KiB", details={"max_bytes": limit})
    item_files.upload(session, code, name, data, actor=principal.actor)
    session.commit()
    return json_response(
        item_out(catalogue.current(session, code), item_files.uploads(session, [code]).get(code, []))
    )


@router.delete(
    "/{code}/files/{name}", response_model=case_api.ItemOut, dependencies=[require_roles(Role.ADMIN)]
)
def delete_item_file(
    code: CodePath, name: NamePath, session: SessionDep, principal: PrincipalDep
) -> Response:
    """Removes an administrator's upload; the generic form is served again under the form's name."""
    item_files.remove(session, code, name, actor=principal.actor)
    session.commit()
    return json_response(
        item_out(catalogue.current(session, code), item_files.uploads(session, [code]).get(code, []))
    )
