"""The audit chain: verification names the first broken link."""

from __future__ import annotations

from fastapi import APIRouter

from case_service.api import schemas
from case_service.api.deps import SessionDep, require_roles
from case_service.domain.states import Role
from case_service.storage import audit

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get(
    "/verify", response_model=schemas.ChainOut, dependencies=[require_roles(Role.ADMIN, Role.MANAGER)]
)
def verify_chain(session: SessionDep) -> schemas.ChainOut:
    report = audit.verify(session)
    return schemas.ChainOut(
        ok=report.ok, checked=report.checked, first_broken_seq=report.first_broken_seq, problem=report.problem
    )
