"""Process entry point: `hall controller`."""

from __future__ import annotations

import logging

import uvicorn

from hall.net import require_broker
from hall.settings import Settings
from hall_controller.app import create_app
from hall_controller.link import controller_login
from hall_controller.memtrace import start_from_env

log = logging.getLogger(__name__)


def run(settings: Settings) -> None:
    username, password = controller_login(settings)
    require_broker(
        settings.resolved_mqtt_url,
        username=username,
        password=password,
        ca_file=settings.mqtt_ca_file,
    )
    tracing = start_from_env()  # MEMTRACE_FILE: leak hunting only
    uvicorn.run(
        create_app(settings),
        host=settings.controller.host,
        port=settings.controller.port,
        log_level=settings.log_level.lower(),
        access_log=False,
    )
    if tracing is not None:
        tracing.stop()
