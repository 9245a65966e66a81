"""Process entry point: `hall case-service`."""

from __future__ import annotations

import uvicorn

from case_service.app import create_app
from hall.settings import Settings


def run(settings: Settings) -> None:
    uvicorn.run(
        create_app(settings),
        host=settings.case.host,
        port=settings.case.port,
        log_level=settings.log_level.lower(),
        access_log=False,
    )
