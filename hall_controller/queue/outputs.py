"""What the queue tells its devices, built from the book: pure functions returning contract payloads."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from devices.protocol import queue as contract
from hall.calendar import CHINA_TZ
from hall_controller.queue.book import CallRecord, QueueBook, RatingRequest, Ticket, TicketState
from hall_controller.queue.voice import call_announcement

RECENT_CALLS = 8


def call_seq(day: date, call: CallRecord) -> int:
    """Grows across days too, so a display that spoke yesterday's calls still speaks today's."""
    return int(f"{day:%Y%m%d}") * 1_000_000 + call.seq


def call_line(book: QueueBook, call: CallRecord) -> contract.CallLine:
    return _call_line(book.day, call)


@lru_cache(maxsize=4 * RECENT_CALLS)
def _call_line(day: date, call: CallRecord) -> contract.CallLine:
    """A call's line never changes (a record is frozen): every show repeats the recent ones, so each is
    made once (the words and the model took ~10 µs a line, nine lines a show)."""
    spoken = call_announcement(call.number, call.window, recall=call.recall)
    return contract.CallLine(
        number=call.number,
        window=call.window,
        text_zh=spoken.text_zh,
        text_en=spoken.text_en,
        speech_zh=spoken.speech_zh,
        speech_en=spoken.speech_en,
        recall=call.recall,
        call_seq=call_seq(day, call),
    )


def service_lines(book: QueueBook) -> list[contract.ServiceLine]:
    lines = []
    for service in book.config.services:
        waiting = book.waiting_count(service.code)
        lines.append(
            contract.ServiceLine(
                code=service.code,
                name=service.name,
                name_en=service.name_en,
                waiting=waiting,
                estimate_minutes=round(book.estimate(service.code).minutes, 1),
                warning=waiting > service.warn_waiting,
            )
        )
    return lines


def display_show(book: QueueBook, *, speak: bool = True) -> contract.DisplayShow:
    recent = book.calls[-RECENT_CALLS:]
    return contract.DisplayShow(
        latest=call_line(book, recent[-1]) if recent else None,
        recent=[call_line(book, call) for call in reversed(recent)],
        services=service_lines(book),
        speak=speak,
    )


def led_show(book: QueueBook, window: int) -> contract.LedShow:
    state = book.windows[window]
    services = book.config.window(window)
    waiting = sum(book.waiting_count(service) for service in services.services) if services is not None else 0
    if not state.open:
        return contract.LedShow(window=window, text=f"{window}号窗口 暂停服务 Closed", waiting=waiting)
    if state.paused is not None:
        return contract.LedShow(window=window, text=f"暂停：{state.paused}"[:200], waiting=waiting)
    if state.ticket is None:
        return contract.LedShow(window=window, text=f"{window}号窗口 欢迎您", waiting=waiting)
    ticket = book.tickets[state.ticket]
    verb = "正在办理" if ticket.state is TicketState.SERVING else "请"
    text = f"{verb} {ticket.number} 号" + ("" if ticket.state is TicketState.SERVING else f"到{window}号窗口")
    return contract.LedShow(window=window, number=ticket.number, text=text, waiting=waiting)


def ticket_slip(book: QueueBook, ticket: Ticket, *, hall_name: str, link: str | None) -> contract.TicketSlip:
    service = book.config.service(ticket.service)
    assert service is not None
    return contract.TicketSlip(
        number=ticket.number,
        service_name=service.name,
        service_name_en=service.name_en,
        ahead=book.position(ticket.number),
        estimate_minutes=ticket.estimate_minutes or 0.0,
        issued_at=datetime.fromtimestamp(ticket.issued_at, CHINA_TZ).strftime("%Y-%m-%d %H:%M"),
        hall_name=hall_name,
        qr_text=link,
    )


def ask_rating(request: RatingRequest, timeout: float) -> contract.AskRating:
    return contract.AskRating(
        rating_id=request.rating_id,
        number=request.ticket,
        clerk=request.clerk,
        window=request.window,
        timeout_seconds=timeout,
    )
