"""The queue's HTTP side, mounted under /api/v1/ext/queue: tickets, clerk actions, ratings, statistics, desk.

Thin: each route validates its body, runs one book command under the queue's lock and shapes the answer.
A refusal is the hall's one error body (hall/http_errors.py), ``{"error": {"code", "message", "details"}}``,
with 404 (unknown thing), 422 (bad value) or 409 (not now).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import Field

from devices.idcard.checkdigit import validate_id_number
from devices.idcard.errors import InvalidIdNumberError
from devices.protocol import queue as contract
from hall.http_errors import error_response
from hall.models import Strict
from hall.privacy import PiiCipher, queue_person
from hall_controller.auth import Clerk, Manager, client_address, optional_voucher
from hall_controller.queue import outputs
from hall_controller.queue.book import QueueBook, QueueError, RatingRequest, Ticket
from hall_controller.queue.config import Priority
from hall_controller.queue.events import Source
from hall_controller.queue.range_export import XLSX, range_workbook
from hall_controller.queue.range_stats import range_statistics
from hall_controller.queue.stats import statistics, to_csv
from hall_controller.throttle import Limit, Throttle

if TYPE_CHECKING:
    from hall_controller.queue.extension import QueueExtension

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "web")
WAIT_TARGET_MINUTES = 30.0  # the hall's wait target unless the manager asks for another
PHONE = re.compile(r"^1[3-9]\d{9}$")


class IssueIn(Strict):
    service: str = Field(max_length=32)
    source: Source = Source.KIOSK
    priority: Priority = Priority.ORDINARY
    id_number: str | None = Field(default=None, max_length=18)
    case_id: str | None = Field(default=None, max_length=32)
    appointment_id: str | None = Field(default=None, max_length=64)
    print_slip: bool = True


class RemoteIn(Strict):
    service: str = Field(max_length=32)
    phone: str = Field(max_length=11)


class RateIn(Strict):
    level: int
    # The rating's token, given to the applicant with the request (the desk's or the kiosk's answer).
    token: str = Field(default="", max_length=64)
    dimensions: dict[str, int] = Field(default_factory=dict)
    comment: str = Field(default="", max_length=500)


class KioskRatingIn(Strict):
    case_id: str = Field(min_length=1, max_length=32)


class CallbackIn(Strict):
    note: str = Field(max_length=500)
    close: bool = False


class RangeAsked(NamedTuple):
    first: date
    last: date
    target: float


def range_asked(
    first: Annotated[date, Query(alias="from")],
    last: Annotated[date, Query(alias="to")],
    target: Annotated[float, Query(gt=0, le=600)] = WAIT_TARGET_MINUTES,
) -> RangeAsked:
    """The days `from`–`to` (both included) and the hall's wait target in minutes."""
    return RangeAsked(first, last, target)


Asked = Annotated[RangeAsked, Depends(range_asked)]

STATUS_BY_CODE = {"unknown": 404, "bad": 422, "person_required": 422, "appointment_required": 422}


def refusal(error: QueueError) -> JSONResponse:
    status = STATUS_BY_CODE.get(error.code, STATUS_BY_CODE.get(error.code.split("_")[0], 409))
    return error_response(status, error.code, error.message)


# What a ticket may ask for without proof; anything ahead of them needs a kiosk that read the ID card or
# a clerk (a green channel, military or elderly ticket goes ahead of everyone who waits).
OPEN_PRIORITIES = frozenset({Priority.ORDINARY})


def ticket_proof(body: IssueIn, voucher: str | None) -> JSONResponse | None:
    """Who may take this ticket: `voucher` is "kiosk:<id>", "staff:<user>" or None (no token)."""
    clerk = voucher is not None and voucher.startswith("staff:")
    if body.source is Source.WINDOW and not clerk:
        return error_response(
            403 if voucher else 401, "clerk_required", "a window ticket is taken by a signed-in clerk"
        )
    wants_priority = body.priority not in OPEN_PRIORITIES or body.source is Source.APPOINTMENT
    card_read_at_kiosk = voucher is not None and voucher.startswith("kiosk:") and body.id_number is not None
    if wants_priority and not (clerk or card_read_at_kiosk):
        message = "a priority ticket needs the ID card read at a kiosk, or a clerk"
        return error_response(403 if voucher else 401, "priority_needs_proof", message)
    return None


def ticket_view(book: QueueBook, ticket: Ticket) -> dict[str, Any]:
    waiting = ticket.state.value == "waiting"
    return {
        "number": ticket.number,
        "service": ticket.service,
        "priority": ticket.priority.value,
        "source": ticket.source.value,
        "state": ticket.state.value,
        "window": ticket.window,
        "ahead": book.position(ticket.number) if waiting else 0,
        "estimate_minutes": ticket.estimate_minutes,
        "wait_now_minutes": round(book.estimate(ticket.service, book.position(ticket.number)).minutes, 1)
        if waiting
        else 0.0,
        "visits": [
            {"service": v.service, "window": v.window, "clerk": v.clerk, "outcome": v.outcome}
            for v in ticket.visits
        ],
    }


def rating_view(request: RatingRequest) -> dict[str, Any]:
    return {
        "rating_id": request.rating_id,
        "ticket": request.ticket,
        "case_id": request.case_id,
        "clerk": request.clerk,
        "window": request.window,
        "channel": request.channel,
        "state": request.state.value,
        "level": int(request.level) if request.level is not None else None,
        "dimensions": request.dimensions,
    }


def rating_token(key: bytes, rating_id: str) -> str:
    """The token that lets the applicant rate `rating_id` over HTTP: keyed, so only the controller makes
    it; one rating per request, so it serves once."""
    return hmac.new(key, f"queue-rating:{rating_id}".encode(), hashlib.sha256).hexdigest()[:32]


def build_router(extension: QueueExtension) -> APIRouter:
    router = APIRouter(tags=["queue"])
    service = extension.service
    settings = extension.context.settings
    cipher = PiiCipher.from_config(settings.pii_key.get_secret_value())
    rating_key = settings.secret_key.get_secret_value().encode()

    def handed_out(request: RatingRequest) -> dict[str, Any]:
        """A new rating request as its creator sees it, with the token to hand to the applicant."""
        return {**rating_view(request), "token": rating_token(rating_key, request.rating_id)}

    base_url = f"http://{settings.controller.host}:{settings.controller.port}/api/v1/ext/queue"
    config = extension.config
    by_address = Throttle(Limit(config.tickets_per_address, config.ticket_limit_seconds))
    by_device = Throttle(Limit(config.tickets_per_device, config.ticket_limit_seconds))

    def too_many(request: Request, voucher: str | None) -> JSONResponse | None:
        """Per source: the kiosk or clerk behind a token, else the asking address."""
        throttle, key = (by_device, voucher) if voucher else (by_address, client_address(request))
        wait = throttle.take(key, service.now())
        if not wait:
            return None
        return error_response(
            429,
            "too_many_tickets",
            "too many tickets from here: please try again later",
            headers={"Retry-After": str(int(wait) + 1)},
        )

    def run(action: Any) -> Any:
        try:
            return service.run(action)
        except QueueError as err:
            return refusal(err)

    @router.get("/state")
    def state() -> dict[str, Any]:
        def build(book: QueueBook) -> dict[str, Any]:
            return {
                "day": book.day.isoformat(),
                "display": outputs.display_show(book, speak=False).model_dump(mode="json"),
                "windows": [
                    {
                        "window": window.number,
                        "clerk": window.clerk,
                        "paused": window.paused,
                        "ticket": window.ticket,
                        "led": outputs.led_show(book, window.number).text,
                    }
                    for window in book.windows.values()
                ],
                "warnings": book.warnings(),
            }

        result: dict[str, Any] = service.read(build)
        return result

    @router.post("/tickets", status_code=201, response_model=None)
    def issue(body: IssueIn, request: Request) -> dict[str, Any] | JSONResponse:
        voucher = optional_voucher(request)
        refused = ticket_proof(body, voucher) or too_many(request, voucher)
        if refused is not None:
            return refused
        person = None
        if body.id_number is not None:
            try:
                number = validate_id_number(body.id_number)
            except InvalidIdNumberError as err:
                return refusal(QueueError("bad_id_number", f"not a valid ID number: {err}"))
            person = queue_person(cipher, number)

        def act(book: QueueBook, now: float) -> dict[str, Any]:
            ticket = book.issue(
                body.service,
                now,
                source=body.source,
                priority=body.priority,
                person=person,
                case_id=body.case_id,
                appointment_id=body.appointment_id,
            )
            link = f"{base_url}/tickets/{ticket.number}"
            slip = outputs.ticket_slip(book, ticket, hall_name=settings.hall_id, link=link)
            if body.print_slip:
                extension.pump.command(
                    contract.TICKET_PRINTER,
                    None,
                    contract.PRINT_TICKET,
                    slip.model_dump(mode="json", exclude_none=True),
                )
            return {**ticket_view(book, ticket), "link": link}

        result: dict[str, Any] | JSONResponse = run(act)
        return result

    @router.post("/remote-tickets", status_code=201, response_model=None)
    def remote_ticket(body: RemoteIn, request: Request) -> dict[str, Any] | JSONResponse:
        if not PHONE.match(body.phone):
            return refusal(QueueError("bad_phone", "a mobile number is 11 digits starting with 13-19"))
        refused = too_many(request, optional_voucher(request))
        if refused is not None:
            return refused
        person = cipher.blind_index("phone:" + body.phone)

        def act(book: QueueBook, now: float) -> dict[str, Any]:
            ticket = book.issue(body.service, now, source=Source.REMOTE, person=person)
            return {**ticket_view(book, ticket), "link": f"{base_url}/tickets/{ticket.number}"}

        result: dict[str, Any] | JSONResponse = run(act)
        return result

    @router.get("/tickets/{number}", response_model=None)
    def ticket(number: str) -> dict[str, Any] | JSONResponse:
        result: dict[str, Any] | JSONResponse = run(lambda book, _now: ticket_view(book, book.ticket(number)))
        return result

    @router.post("/tickets/{number}/cancel", response_model=None)
    def cancel(number: str, _staff: Clerk) -> dict[str, Any] | JSONResponse:
        result: dict[str, Any] | JSONResponse = run(
            lambda book, now: ticket_view(book, book.cancel(number, now, "cancelled by the applicant"))
        )
        return result

    @router.get("/windows/{window}", response_model=None)
    def window_view(window: int, _staff: Clerk) -> dict[str, Any] | JSONResponse:
        """A window and its current ticket with the case it was taken for and the person it is bound to
        (the keyed index of the ID number), for the clerk's desk; clerks only: the public ticket view links
        a ticket to neither."""

        def build(book: QueueBook) -> dict[str, Any] | None:
            staffed = book.windows.get(window)
            if staffed is None:
                return None
            ticket = book.tickets[staffed.ticket] if staffed.ticket else None
            return {
                "window": window,
                "clerk": staffed.clerk,
                "paused": staffed.paused,
                "ticket": {**ticket_view(book, ticket), "case_id": ticket.case_id, "person": ticket.person}
                if ticket
                else None,
            }

        body: dict[str, Any] | None = service.read(build)
        if body is None:
            return refusal(QueueError("unknown_window", f"no window {window}"))
        return body

    @router.post("/windows/{window}/actions", response_model=None)
    def act_at_window(window: int, key: contract.KeyPress, staff: Clerk) -> dict[str, Any] | JSONResponse:
        """One clerk action, the same as a caller keypad's key: next, call, recall, finish, transfer...
        Signing in records the token's user, whatever name the body gives."""
        if key.key is contract.KeyName.SIGN_IN:
            key = key.model_copy(update={"clerk": staff.username})
        elif "manager" not in staff.roles:
            # A clerk works their own window; a manager may step in anywhere.
            staffed = service.read(lambda book: getattr(book.windows.get(window), "clerk", None))
            if staffed is not None and staffed != staff.username:
                return error_response(403, "not_your_window", f"window {window} is staffed by {staffed}")
        try:
            result = extension.press(window, key)
        except QueueError as err:
            return refusal(err)

        def view(book: QueueBook) -> dict[str, Any]:
            current = book.windows[window].ticket
            answer: dict[str, Any] = {
                "window": window,
                "ticket": ticket_view(book, book.tickets[current]) if current else None,
                "led": outputs.led_show(book, window).text,
            }
            if isinstance(result, tuple) and isinstance(result[1], RatingRequest):
                answer["rating"] = handed_out(result[1])
            return answer

        body: dict[str, Any] = service.read(view)
        return body

    @router.post("/ratings/{rating_id}", response_model=None)
    def rate(rating_id: str, body: RateIn) -> dict[str, Any] | JSONResponse:
        """An applicant's rating over HTTP, with the token handed out with the request (the window's
        evaluator rates over MQTT). Without the right token: 403, whether the rating exists or not."""
        if not hmac.compare_digest(body.token.encode(), rating_token(rating_key, rating_id).encode()):
            return error_response(403, "bad_rating_token", "this rating needs the token given with it")

        def act(book: QueueBook, now: float) -> dict[str, Any]:
            request, follow_up = book.rate(rating_id, body.level, now, body.dimensions, body.comment)
            return {**rating_view(request), "follow_up": vars(follow_up) if follow_up else None}

        result: dict[str, Any] | JSONResponse = run(act)
        return result

    @router.post("/kiosk-ratings", status_code=201, response_model=None)
    def kiosk_rating(body: KioskRatingIn, _staff: Clerk) -> dict[str, Any] | JSONResponse:
        result: dict[str, Any] | JSONResponse = run(
            lambda book, now: handed_out(book.ask_kiosk_rating(body.case_id, now))
        )
        return result

    @router.get("/follow-ups")
    def follow_ups(_staff: Manager, everything: bool = False) -> list[dict[str, Any]]:
        def build(book: QueueBook) -> list[dict[str, Any]]:
            chosen = book.follow_ups.values() if everything else book.open_follow_ups()
            return [{**vars(item), "rating": rating_view(book.ratings[item.rating_id])} for item in chosen]

        result: list[dict[str, Any]] = service.read(build)
        return result

    @router.post("/follow-ups/{follow_up_id}/callbacks", response_model=None)
    def callback(
        follow_up_id: str, body: Annotated[CallbackIn, Body()], _staff: Manager
    ) -> dict[str, Any] | JSONResponse:
        result: dict[str, Any] | JSONResponse = run(
            lambda book, now: vars(book.record_callback(follow_up_id, body.note, now, close=body.close))
        )
        return result

    @router.get("/stats")
    def stats(_staff: Manager) -> list[dict[str, Any]]:
        rows = service.read(lambda book: statistics(book, service.now()))
        return [vars(row) for row in rows]

    @router.get("/stats.csv")
    def stats_csv(_staff: Manager) -> Response:
        text = service.read(lambda book: to_csv(statistics(book, service.now())))
        day = service.read(lambda book: book.day.isoformat())
        return Response(
            "\ufeff" + text,  # a BOM so spreadsheet programs read the Chinese keys as UTF-8
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="queue-{day}.csv"'},
        )

    def refused_range(asked: RangeAsked) -> JSONResponse | None:
        first, last = asked.first, asked.last
        if last < first or (last - first).days >= config.journal_days:
            return error_response(
                422,
                "bad_range",
                f"起止日期有误：结束不早于开始，最多 {config.journal_days} 天"
                f" · a range ends on or after its start, ≤ {config.journal_days} days",
            )
        return None

    @router.get("/stats/range", response_model=None)
    def stats_range(_staff: Manager, asked: Asked) -> dict[str, Any] | JSONResponse:
        """Queue figures over the days `from`–`to` (both included) from the journals the controller keeps
        (`journal_days`); `target` is the hall's wait target in minutes."""
        if (bad := refused_range(asked)) is not None:
            return bad
        books = service.books(asked.first, asked.last)
        target = asked.target
        rows = range_statistics(books, target)
        return {
            "from": asked.first.isoformat(),
            "to": asked.last.isoformat(),
            "days_with_journal": [book.day.isoformat() for book in books],
            "target_minutes": target,
            "rows": [vars(row) for row in rows],
        }

    @router.get("/stats/range.xlsx", response_model=None)
    def stats_range_xlsx(_staff: Manager, asked: Asked) -> Response:
        """The same figures as a workbook, one sheet per grouping."""
        if (bad := refused_range(asked)) is not None:
            return bad
        first, last = asked.first, asked.last
        rows = range_statistics(service.books(first, last), asked.target)
        return Response(
            range_workbook(rows, first.isoformat(), last.isoformat(), asked.target),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="queue-figures-{first}-{last}.xlsx"'},
        )

    @router.get("/figures", response_class=HTMLResponse, include_in_schema=False)
    def figures_page(request: Request) -> HTMLResponse:
        """排队统计: the manager's page over the range routes (it signs in and asks them with the token)."""
        return TEMPLATES.TemplateResponse(
            request, "figures.html", {"hall_id": settings.hall_id, "target": WAIT_TARGET_MINUTES}
        )

    @router.get("/outbox")
    def outbox(_staff: Manager) -> dict[str, Any]:
        return {
            "counts": extension.outbox.counts(),
            "entries": [
                {
                    "rating_id": e.key,
                    "case_id": e.subject,
                    "state": e.state,
                    "attempts": e.attempts,
                    "error": e.error,
                }
                for e in extension.outbox.recent()
            ],
        }

    @router.get("/remote", response_class=HTMLResponse, include_in_schema=False)
    def remote_page(request: Request) -> HTMLResponse:
        """Where the hall's QR code leads: take a ticket from a phone, bound to the mobile number."""
        return TEMPLATES.TemplateResponse(
            request, "remote.html", {"hall_id": settings.hall_id, "services": extension.config.services}
        )

    @router.get("/remote-qr.png", include_in_schema=False)
    def remote_qr() -> Response:
        """The QR code to print at the entrance or publish online; it encodes the remote page's link."""
        import io

        import qrcode

        image = qrcode.make(f"{base_url}/remote")
        buffer = io.BytesIO()
        image.save(buffer)
        return Response(buffer.getvalue(), media_type="image/png")

    @router.get("/desk", response_class=HTMLResponse, include_in_schema=False)
    def desk(request: Request, window: int = 1) -> HTMLResponse:
        config = extension.config
        return TEMPLATES.TemplateResponse(
            request,
            "desk.html",
            {
                "hall_id": settings.hall_id,
                "window": window,
                "windows": [w.number for w in config.windows],
                "services": config.services,
            },
        )

    return router
