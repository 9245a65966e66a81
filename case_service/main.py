"""Process entry point: `hall case-service`.

With `HALL_CASE__WORKERS` > 1 uvicorn's supervisor runs that many worker processes on one socket. The
parent migrates and seeds the database once; each worker (a fresh interpreter) loads the settings from
the environment it inherits, which the parent has validated already, and builds its own app. SIGINT or
SIGTERM to the parent stops every worker (uvicorn's supervisor terminates and joins them).
"""

from __future__ import annotations

from pathlib import Path

import uvicorn
from fastapi import FastAPI
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from case_service.app import create_app, prepare
from hall.errors import StartupError
from hall.logging import configure_logging
from hall.privacy import hide_url_passwords
from hall.settings import Settings, get_settings

PROCESS = "case-service"


def _open_database(settings: Settings) -> FastAPI | None:
    """Migrates and seeds the database (and builds the app with one worker); a database that cannot be
    reached or created ends the start in one line, naming the URL with its password hidden."""
    url = make_url(settings.resolved_database_url)
    shown = hide_url_passwords(url.render_as_string(hide_password=False))
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        folder = Path(url.database).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            reason = err.strerror or err
            raise StartupError(f"cannot create the folder of the database {shown}: {reason}") from err
    try:
        if settings.case.workers > 1:
            prepare(settings)  # once, before the workers: they find the schema and the catalogue in place
            return None
        return create_app(settings)
    except DBAPIError as err:
        reason = str(err.orig).strip().splitlines()[0] if err.orig else type(err).__name__
        raise StartupError(f"cannot open the database {shown}: {hide_url_passwords(reason)}") from err


def run(settings: Settings) -> None:
    workers = settings.case.workers
    app = _open_database(settings)
    uvicorn.run(
        app if app is not None else f"{__name__}:worker_app",
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
