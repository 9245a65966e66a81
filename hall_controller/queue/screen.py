"""The hall's call screen: a page for the hall's TV (a kiosk-mode browser), live over SSE.

Mounted with the queue's routes under /api/v1/ext/queue/screen. The page is a device of the hall: it
signs in with a display link (`hall_controller.display_links`) traded for an HttpOnly cookie, and while
its stream is open it stands in the device registry as kind ``call_screen`` (heartbeat every
`BEAT_SECONDS`), so the dashboard shows it with its health and when it was last seen.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response, StreamingResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field

from devices.protocol.payloads import Description, Presence, Status
from hall.settings import Mode
from hall_controller.auth import Manager, staff_token_key
from hall_controller.display_links import DisplayLink, DisplayLinkError, DisplayLinks
from hall_controller.queue import outputs
from hall_controller.queue.book import QueueBook

if TYPE_CHECKING:
    from hall_controller.controller import HallController
    from hall_controller.queue.extension import QueueExtension

log = logging.getLogger(__name__)

WEB = Path(__file__).parent / "web"
TEMPLATES = Jinja2Templates(directory=WEB)
ASSETS = {"screen.js": "text/javascript", "screen.css": "text/css"}
COOKIE = "hall_screen"
PATH = "/api/v1/ext/queue/screen"
SCREEN_KIND = "call_screen"
BEAT_SECONDS = 5.0
COALESCE_SECONDS = 0.1
RETRY_MS = 1000  # how soon the page's EventSource comes back after the controller went away
INSTANCE = re.compile(r"^[A-Za-z0-9-]{8,64}$")
DEFAULT_NOTICE = "请保管好随身物品 · 请留意叫号，过号请到服务台 · Please keep your belongings with you"
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    device_id: str = Field(min_length=1, max_length=40)
    days: int = Field(default=90, ge=1, le=366)


class NoticeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(max_length=300)


def screen_view(book: QueueBook, notice: str) -> dict[str, Any]:
    """What the screen shows: the calls and waiting counts the hall's displays get, and the notice."""
    return {
        **outputs.display_show(book, speak=False).model_dump(mode="json", exclude={"speak"}),
        "notice": notice,
    }


BROWSER = re.compile(r"(HeadlessChrome|Chromium|Chrome|Firefox|Edg|Safari)/(\d+)")


def browser_of(user_agent: str) -> str:
    """What the dashboard shows as the screen's model: its browser and major version."""
    found = BROWSER.search(user_agent)
    return f"browser {found.group(1)} {found.group(2)}" if found else "browser"


class ScreenPresence:
    """A screen in the device registry while its stream is open; offline when the stream ends."""

    def __init__(self, controller: HallController) -> None:
        self._controller = controller

    def online(self, link: DisplayLink, instance: str, user_agent: str) -> None:
        now = time.time()
        registry = self._controller.registry
        description = Description(
            instance=instance,
            kind=SCREEN_KIND,
            model=browser_of(user_agent),
            firmware="call-screen/1",
            capabilities=["show-calls"],
            heartbeat_seconds=BEAT_SECONDS,
        )
        registry.on_description(link.device_id, description, now)
        registry.on_status(link.device_id, Status(status=Presence.ONLINE, instance=instance), now)
        self._controller.changes.bump()

    def beat(self, link: DisplayLink, instance: str, seq: int) -> None:
        self._controller.registry.on_sequenced(link.device_id, instance, seq, time.time())

    def offline(self, link: DisplayLink, instance: str) -> None:
        status = Status(status=Presence.OFFLINE, instance=instance)
        self._controller.registry.on_status(link.device_id, status, time.time())
        self._controller.changes.bump()


def build_screen_router(extension: QueueExtension) -> APIRouter:
    router = APIRouter(prefix="/screen", tags=["call screen"])
    settings = extension.context.settings
    links = DisplayLinks(staff_token_key(settings), settings.hall_id)
    notices = extension.context.store.collection("queue.screen")
    # Streams open per screen: a reconnect may arrive before the old stream is seen to close, and only
    # the last one to close takes the screen offline.
    streams: Counter[str] = Counter()
    secure_cookie = settings.mode is Mode.PRODUCTION

    def notice() -> str:
        stored = notices.get("notice")
        return str(stored["text"]) if stored is not None else DEFAULT_NOTICE

    def view() -> dict[str, Any]:
        text = notice()
        result: dict[str, Any] = extension.service.read(lambda book: screen_view(book, text))
        return result

    def signed_in(request: Request) -> DisplayLink | None:
        token = request.cookies.get(COOKIE, "")
        if not token:
            return None
        try:
            return links.read(token)
        except DisplayLinkError as err:
            log.info("refused a call screen's cookie: %s", err)
            return None

    def refused() -> JSONResponse:
        return JSONResponse(
            {"error": "screen_not_signed_in", "message": "这块屏幕未登记 this screen has no display link"},
            status_code=401,
            headers=HEADERS,
        )

    @router.get("", response_class=HTMLResponse, include_in_schema=False)
    def page(request: Request) -> HTMLResponse:
        # The page itself holds nothing: the calls come over the stream, for a signed-in screen only.
        response = TEMPLATES.TemplateResponse(request, "screen.html", {"hall_id": settings.hall_id})
        response.headers.update(HEADERS)
        return response

    @router.get("/assets/{name}", include_in_schema=False)
    def asset(name: str) -> Response:
        if name not in ASSETS:
            return JSONResponse({"error": "unknown", "message": "no such asset"}, status_code=404)
        return FileResponse(WEB / name, media_type=ASSETS[name], headers={"Cache-Control": "no-cache"})

    @router.post("/session", response_model=None)
    def session(request: Request) -> JSONResponse:
        """The page trades the link's token (Authorization: Bearer) for an HttpOnly cookie."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        try:
            if scheme.lower() != "bearer":
                raise DisplayLinkError("no bearer token")
            link = links.read(token.strip())
        except DisplayLinkError as err:
            log.info("refused a display link: %s", err)
            return refused()
        response = JSONResponse({"device_id": link.device_id, "expires_at": link.expires_at}, headers=HEADERS)
        response.set_cookie(
            COOKIE,
            token.strip(),
            max_age=max(0, int(link.expires_at - time.time())),
            path=PATH,
            httponly=True,
            samesite="strict",
            secure=secure_cookie or request.url.scheme == "https",
        )
        log.info("call screen %s signed in", link.device_id)
        return response

    @router.get("/state", response_model=None)
    def state(request: Request) -> JSONResponse:
        if signed_in(request) is None:
            return refused()
        return JSONResponse(view(), headers=HEADERS)

    @router.get("/stream", response_model=None)
    async def stream(request: Request, instance: str = "") -> Response:
        link = signed_in(request)
        if link is None:
            return refused()
        if not INSTANCE.match(instance):
            instance = secrets.token_hex(8)
        controller: HallController = request.app.state.controller
        presence = ScreenPresence(controller)
        agent = request.headers.get("user-agent", "")

        async def events() -> AsyncIterator[str]:
            streams[link.device_id] += 1
            presence.online(link, instance, agent)
            beats = 0
            sent = ""
            last_beat = time.monotonic()
            version = -1
            try:
                yield f"retry: {RETRY_MS}\n\n"
                while not await request.is_disconnected():
                    # First, so a hall that changes all the time does not starve the heartbeat.
                    if time.monotonic() - last_beat >= BEAT_SECONDS:
                        last_beat = time.monotonic()
                        beats += 1
                        presence.beat(link, instance, beats)
                        yield ": beat\n\n"
                    current = controller.changes.version
                    if current != version:
                        version = current
                        snapshot = json.dumps(await asyncio.to_thread(view), ensure_ascii=False)
                        if snapshot != sent:
                            sent = snapshot
                            yield f"event: calls\ndata: {snapshot}\n\n"
                            await asyncio.sleep(COALESCE_SECONDS)
                            continue
                    await asyncio.to_thread(controller.changes.wait_newer, version, 1.0)
            finally:
                streams[link.device_id] -= 1
                if streams[link.device_id] <= 0:
                    del streams[link.device_id]
                    presence.offline(link, instance)

        return StreamingResponse(
            events(), media_type="text/event-stream", headers={**HEADERS, "X-Accel-Buffering": "no"}
        )

    @router.post("/links", response_model=None)
    def issue_link(body: Annotated[LinkIn, Body()], staff: Manager) -> dict[str, Any] | JSONResponse:
        """A manager makes a screen's link; the token is in the answer only, never logged."""
        try:
            token, link = links.issue(body.device_id, body.days)
        except DisplayLinkError as err:
            return JSONResponse({"error": "bad_screen", "message": str(err)}, status_code=422)
        log.info("%s issued screen %s a display link (%d days)", staff.username, link.device_id, body.days)
        return {
            "device_id": link.device_id,
            "expires_at": link.expires_at,
            "path": f"{PATH}#link={token}",
        }

    @router.put("/notice")
    def set_notice(body: Annotated[NoticeIn, Body()], staff: Manager, request: Request) -> dict[str, Any]:
        notices.put("notice", {"text": body.text, "by": staff.username, "at": time.time()})
        request.app.state.controller.changes.bump()
        return {"text": body.text}

    return router
