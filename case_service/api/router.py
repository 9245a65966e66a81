"""`/api/v1`: every resource's routes."""

from __future__ import annotations

from fastapi import APIRouter

from case_service.api.routes import (
    admin,
    applicant_signin,
    audit,
    auth,
    cases,
    documents,
    items,
    materials,
    supervision,
)

api_router = APIRouter(prefix="/api/v1")
for module in (auth, applicant_signin, items, cases, materials, documents, supervision, audit, admin):
    api_router.include_router(module.router)
