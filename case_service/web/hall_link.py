"""The staff pages' one way to the hall controller's HTTP API: with the signed-in user's own staff token
(the controller verifies it itself, hall_controller/auth.py), at HALL_CONTROLLER__HOST:PORT."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from case_service.domain.errors import DomainError
from case_service.runtime import Services

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 5.0


class ControllerError(DomainError):
    code = "controller_unavailable"


def call(
    services: Services,
    method: str,
    path: str,
    token: str,
    body: Any = None,
    *,
    timeout: float = TIMEOUT_SECONDS,
) -> httpx.Response:
    """`path` from the controller's root (`/api/v1/ext/...`); ControllerError when it does not answer
    within `timeout` seconds (each of connecting and reading)."""
    url = services.settings.controller_url + path
    try:
        return httpx.request(
            method, url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=timeout
        )
    except httpx.HTTPError as err:
        log.warning("hall controller unreachable: %s", type(err).__name__)
        raise ControllerError("无法连接大厅控制器，请稍后再试") from err
