"""Helpers for the controller's tests: settings for a broker, a running controller, polling."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from case_service.auth.tokens import Principal, PrincipalKind, TokenSigner
from case_service.domain.states import Role
from hall.settings import Settings
from hall_controller.controller import HallController
from hall_controller.extensions import ControllerContext, Extension


def new_hall_id() -> str:
    """Every test its own hall, so tests share a broker without seeing each other."""
    return f"t-{secrets.token_hex(4)}"


def controller_settings(broker_url: str, data_dir: Path, hall: str, **values: Any) -> Settings:
    controller = values.pop("controller", {})
    return Settings(
        hall_id=hall,
        mqtt_url=broker_url,
        data_dir=data_dir,
        controller={"heartbeat_seconds": 10.0, **controller},
        **values,
    )


@contextmanager
def running_controller(
    settings: Settings,
    extensions: Sequence[Callable[[ControllerContext], Extension]] = (),
    clock: Callable[[], float] = time.time,
) -> Iterator[HallController]:
    controller = HallController(settings, extensions, clock=clock)
    controller.start()
    try:
        assert controller.link.connected.wait(15), "controller did not connect"
        yield controller
    finally:
        controller.stop()


def wait_until(predicate: Callable[[], object], timeout: float = 10.0, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Runs a FastAPI app under uvicorn on a free loopback port; yields its base URL."""
    import threading

    import uvicorn

    from hall.net import free_port, wait_for_http

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=2)
    )
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        assert wait_for_http(f"{url}/healthz", 20), "app did not start"
        yield url
    finally:
        server.should_exit = True
        thread.join(10)


def staff_token(
    settings: Settings, username: str = "clerk1", roles: Sequence[str] = ("clerk",), ttl: int = 3600
) -> str:
    """A staff token as the case service would issue it (signed with the settings' HALL_SECRET_KEY)."""
    principal = Principal(PrincipalKind.STAFF, username, frozenset(Role(role) for role in roles))
    token, _expires = TokenSigner(settings.secret_key.get_secret_value()).issue(principal, ttl)
    return token


def staff_headers(
    settings: Settings, username: str = "clerk1", roles: Sequence[str] = ("clerk",)
) -> dict[str, str]:
    return {"Authorization": f"Bearer {staff_token(settings, username, roles)}"}
