"""The controller's web side: health, devices, alarms, commands, metrics and the live dashboard."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import httpx
from fastapi import Body, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from fastapi.templating import Jinja2Templates
from pydantic import Field

from hall import api_docs, http_errors
from hall.models import Strict
from hall.settings import Settings
from hall.tokens import TokenRejectedError
from hall_controller.alarms import AlarmError
from hall_controller.auth import Manager, StaffTokens, staff_token_key
from hall_controller.controller import HallController
from hall_controller.extensions import ControllerContext, Extension, discover_extensions
from hall_controller.floor import floor_snapshot
from hall_controller.views import alarm_view, device_view

log = logging.getLogger(__name__)
TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "web")
STREAM_KEEPALIVE_SECONDS = 15.0
STREAM_COALESCE_SECONDS = 0.25
DASHBOARD_ACKNOWLEDGED = 10  # the last acknowledged alarms the dashboard lists under the open ones
# How long a thread that woke (a keypad's event arrived, the queue's pump was marked) may wait for the GIL
# while another thread runs Python code. CPython's 5 ms let a call wait that long at each of its thread
# hops (MQTT in, dispatcher, pump, MQTT out): keypad → display p99 69–84 ms with 0.005, 17–21 ms with
# 0.0005, on the loaded shared machine with 2,000 devices (bench/results/2026-12-06-queue-latency.md).
GIL_SWITCH_SECONDS = 0.0005


class Acknowledgement(Strict):
    # Kept for old callers; the name recorded is the signed-in manager's.
    by: str | None = Field(default=None, min_length=1, max_length=64)


class Login(Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


def dashboard_snapshot(controller: HallController) -> dict[str, Any]:
    devices = [device_view(record) for record in controller.devices()]
    panels = []
    for extension in controller.extensions:
        try:
            panel = extension.panel()
        except Exception:  # a broken panel must not break the dashboard
            log.exception("panel of extension %s failed", extension.name)
            continue
        if panel is not None:
            panels.append({"name": extension.name, **asdict(panel)})
    return {
        "hall": controller.hall_id,
        "broker": controller.link.connected.is_set(),
        "devices": devices,
        "alarms": [alarm_view(alarm) for alarm in controller.alarms.attention()],
        "acknowledged": [alarm_view(a) for a in controller.alarms.acknowledged(DASHBOARD_ACKNOWLEDGED)],
        "panels": panels,
        "rejected": controller.rejected_total(),
    }


def create_app(
    settings: Settings,
    extensions: Sequence[Callable[[ControllerContext], Extension]] | None = None,
) -> FastAPI:
    factories: list[Callable[[ControllerContext], Extension]] = list(
        discover_extensions() if extensions is None else extensions
    )
    staff_tokens = StaffTokens(staff_token_key(settings))  # production: StartupError without a real key
    controller = HallController(settings, factories)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        previous = sys.getswitchinterval()
        sys.setswitchinterval(GIL_SWITCH_SECONDS)  # for this process while the controller runs
        controller.start()
        yield
        controller.stop()
        sys.setswitchinterval(previous)

    app = FastAPI(
        title=f"Hall controller {settings.hall_id}", lifespan=lifespan, docs_url=None, redoc_url=None
    )
    app.state.controller = controller
    app.state.staff_tokens = staff_tokens

    http_errors.install(app)
    api_docs.install(app)

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "hall": settings.hall_id, "broker": controller.link.connected.is_set()}

    @app.get("/api/v1/devices")
    def list_devices() -> list[dict[str, Any]]:
        return [device_view(record) for record in controller.devices()]

    @app.get("/api/v1/devices/{device_id}")
    def get_device(device_id: str) -> dict[str, Any]:
        record = controller.registry.get(device_id)
        if record is None:
            raise HTTPException(404, f"no device {device_id!r} in hall {settings.hall_id}")
        return device_view(record)

    @app.get("/api/v1/alarms")
    def list_alarms(history: bool = False) -> list[dict[str, Any]]:
        alarms = controller.alarms.history() if history else controller.alarms.attention()
        return [alarm_view(alarm) for alarm in alarms]

    @app.post("/api/v1/auth/login")
    def login(body: Login) -> dict[str, Any]:
        """Staff sign in at the case service (the only call that needs it); the token then works here."""
        try:
            answer = httpx.post(
                f"{settings.case_service_url}/api/v1/auth/login", json=body.model_dump(), timeout=10
            )
        except httpx.HTTPError as err:
            raise HTTPException(503, "the case service cannot be reached to sign in") from err
        if answer.status_code != 200:
            raise HTTPException(
                401 if answer.status_code < 500 else 503, "sign-in refused by the case service"
            )
        token = str(answer.json().get("access_token", ""))
        try:
            staff = staff_tokens.read(token)
        except TokenRejectedError as err:
            log.error(
                "a token from the case service does not verify here: check HALL_CONTROLLER__STAFF_TOKEN_KEY"
            )
            raise HTTPException(503, "this controller cannot verify the case service's tokens") from err
        return {
            "access_token": token,
            "expires_at": staff.expires_at,
            "username": staff.username,
            "roles": sorted(staff.roles),
        }

    @app.post("/api/v1/alarms/{alarm_id}/ack")
    def acknowledge(
        alarm_id: str, body: Annotated[Acknowledgement, Body()], staff: Manager
    ) -> dict[str, Any]:
        try:
            return alarm_view(controller.acknowledge_alarm(alarm_id, staff.username))
        except AlarmError as err:
            raise HTTPException(404, str(err)) from err

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        controller.tick()
        return Response(controller.metrics.render(), media_type="text/plain; version=0.0.4")

    @app.get("/api/v1/dashboard")
    def dashboard_data() -> dict[str, Any]:
        return dashboard_snapshot(controller)

    @app.get("/api/v1/dashboard/floor")
    def dashboard_floor(_staff: Manager) -> dict[str, Any]:
        """The floor view: windows (state, clerk, since when), lockers by state, the day's queue figures.
        Managers only: it names the clerks."""
        return floor_snapshot(controller)

    @app.get("/api/v1/dashboard/stream", include_in_schema=False)
    async def dashboard_stream(request: Request) -> StreamingResponse:
        async def events() -> AsyncIterator[str]:
            version = -1
            last_sent = time.monotonic()
            while not await request.is_disconnected():
                current = controller.changes.version
                if current != version:
                    version = current
                    last_sent = time.monotonic()
                    yield f"data: {json.dumps(dashboard_snapshot(controller), ensure_ascii=False)}\n\n"
                    # Coalesce bursts (a whole hall re-announcing) into a few snapshots.
                    await asyncio.sleep(STREAM_COALESCE_SECONDS)
                    continue
                await asyncio.to_thread(controller.changes.wait_newer, version, 1.0)
                if time.monotonic() - last_sent > STREAM_KEEPALIVE_SECONDS:
                    last_sent = time.monotonic()
                    yield ": keep-alive\n\n"

        return StreamingResponse(
            events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
        )

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def dashboard(request: Request) -> HTMLResponse:
        return TEMPLATES.TemplateResponse(request, "dashboard.html", {"hall_id": settings.hall_id})

    for extension in controller.extensions:
        router = extension.router()
        if router is not None:
            app.include_router(router, prefix=f"/api/v1/ext/{extension.name}")

    return app
