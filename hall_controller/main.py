"""Process entry point: `hall controller`."""

from __future__ import annotations

import logging

import uvicorn

from hall.net import require_broker
from hall.settings import Settings
from hall_controller.app import create_app
from hall_controller.heap import freeze_heap
from hall_controller.link import controller_login

log = logging.getLogger(__name__)


def run(settings: Settings) -> None:
    username, password = controller_login(settings)
    require_broker(
        settings.resolved_mqtt_url,
        username=username,
        password=password,
        ca_file=settings.mqtt_ca_file,
    )
    app = create_app(settings)
    freeze_heap()  # modules, classes, the app: they live as long as the process (hall_controller.heap)
    uvicorn.run(
        app,
        host=settings.controller.host,
        port=settings.controller.port,
        log_level=settings.log_level.lower(),
        access_log=False,
    )
