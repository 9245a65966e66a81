"""Process entry point: `hall case-service`.

With `HALL_CASE__WORKERS` > 1 uvicorn's supervisor runs that many worker processes on one socket. The
parent migrates and seeds the database once; each worker (a fresh interpreter) loads the settings from
the environment it inherits, which the parent has validated already, and builds its own app. SIGINT or
SIGTERM to the parent stops every worker (uvicorn's supervisor terminates and joins them).
"""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI

from case_service.app import create_app, prepare
from hall.logging import configure_logging
from hall.settings import Settings, get_settings

PROCESS = "case-service"


def run(settings: Settings) -> None:
    workers = settings.case.workers
    if workers > 1:
        prepare(settings)  # once, before the workers: they find the schema and the catalogue in place
    uvicorn.run(
        create_app(settings) if workers == 1 else f"{__name__}:worker_app",
        factory=workers > 1,
        workers=workers if workers > 1 else None,
        host=settings.case.host,
        port=settings.case.port,
        log_level=settings.log_level.lower(),
        access_log=False,
    )


def worker_app() -> FastAPI:
    """One worker's app (uvicorn calls this in each worker process)."""
    settings = get_settings()
    configure_logging(settings.log_level, PROCESS)
    return create_app(settings, prepare_db=False)
