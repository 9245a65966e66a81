"""The catalogue: search for the kiosk's guide, one item, its versions; admins change items by version."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from case_service.api import schemas
from case_service.api.deps import PrincipalDep, SessionDep, require_roles
from case_service.api.presenters import item_out, json_response
from case_service.catalogue import service as catalogue
from case_service.domain.states import Role
from hall import case_api

router = APIRouter(prefix="/items", tags=["catalogue"])
CodePath = Annotated[str, Path(max_length=32, examples=["513200-XK-SJ-0511"])]


@router.get("", response_model=case_api.Page[case_api.ItemOut])
def search_items(
    *,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=100, description="name, code or department contains")] = None,
    department: Annotated[str | None, Query(max_length=64, examples=["州市场监管局"])] = None,
    category: Annotated[str | None, Query(max_length=16, examples=["经营类"])] = None,
    status: Annotated[str | None, Query(max_length=16, examples=["active"])] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0, le=schemas.MAX_OFFSET)] = 0,
) -> Response:
    """Public: the catalogue is published (no token needed)."""
    items, total = catalogue.search(
        session, q=q, department=department, category=category, status=status, limit=limit, offset=offset
    )
    return json_response(
        case_api.Page(items=[item_out(item) for item in items], total=total, limit=limit, offset=offset)
    )


@router.get("/{code}", response_model=case_api.ItemOut)
def get_item(code: CodePath, session: SessionDep) -> Response:
    return json_response(item_out(catalogue.current(session, code)))


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
    return item_out(item)


@router.post("/{code}/status", response_model=case_api.ItemOut, dependencies=[require_roles(Role.ADMIN)])
def set_item_status(
    code: CodePath, body: schemas.ItemStatusIn, session: SessionDep, principal: PrincipalDep
) -> case_api.ItemOut:
    """Suspend (暂停), hand down (已下放) or reactivate: a new version, history kept."""
    item, _created = catalogue.put_version(
        session, {"code": code, "status": body.status}, actor=principal.actor
    )
    session.commit()
    return item_out(item)
