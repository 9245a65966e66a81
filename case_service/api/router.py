"""`/api/v1`: every resource's routes."""

from __future__ import annotations

from fastapi import APIRouter

from case_service.api.routes import (
    admin,
    applicant_signin,
    audit,
    auth,
    cases,
    catalogue,
    complaints,
    devices,
    documents,
    items,
    materials,
    packages,
    reports,
    site_visits,
    supervision,
    supervision_feed,
)

api_router = APIRouter(prefix="/api/v1")
# Cases first: routes are matched in order, and each route tried costs this FastAPI ~10 µs; the
# submission and the status poll are the hot paths. No other router's paths overlap theirs.
for module in (
    cases,
    auth,
    applicant_signin,
    items,
    materials,
    documents,
    supervision,
    supervision_feed,
    complaints,
    audit,
    admin,
    catalogue,
    devices,
    reports,
    packages,
    site_visits,
):
    api_router.include_router(module.router)
