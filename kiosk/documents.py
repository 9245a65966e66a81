"""Papers the kiosk prints itself (guide, ticket, a fallback receipt or notice): PDFs with a CJK font."""

from __future__ import annotations

import io
from functools import lru_cache

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from hall.pdf_fonts import register_cjk_font
from kiosk.flow.model import ItemDetail, Language, SubmitOutcome, Ticket
from kiosk.messages import text
from kiosk.ports import PrintDocument

FONT = "KioskCJK"


@lru_cache(maxsize=1)
def _register_font() -> str:
    return register_cjk_font(FONT)


def _pdf(title: str, lines: list[str]) -> bytes:
    font = _register_font()
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setTitle(title)
    height = A4[1]
    y = height - 25 * mm
    page.setFont(font, 18)
    page.drawString(20 * mm, y, title)
    page.setFont(font, 11)
    for line in lines:
        y -= 8 * mm
        if y < 20 * mm:
            page.showPage()
            page.setFont(font, 11)
            y = height - 25 * mm
        page.drawString(20 * mm, y, line[:70])
    page.showPage()
    page.save()
    return buffer.getvalue()


def _name(item: ItemDetail, language: Language) -> str:
    return item.name_zh if language is Language.ZH else item.name_en


def guide(item: ItemDetail, language: Language) -> PrintDocument:
    zh = language is Language.ZH
    lines = [text("department", language, department=item.department_zh if zh else item.department_en)]
    lines.append(text("time_limit", language, days=item.time_limit_days))
    lines.append(text("fee", language, fee=item.fee_zh if zh else item.fee_en))
    lines.append(text("materials", language))
    for material in item.materials:
        optional = "" if material.required else " " + text("optional", language)
        lines.append(f"  · {material.name_zh if zh else material.name_en}{optional}")
    lines.append(text("steps", language))
    steps = item.steps_zh if zh else item.steps_en
    lines.extend(f"  {number}. {step}" for number, step in enumerate(steps, 1))
    title = _name(item, language)
    return PrintDocument(title, _pdf(title, lines))


SLIP_WIDTH = 80 * mm  # the ticket printer's paper roll
SLIP_MARGIN = 5 * mm


def _wrapped(line: str, font: str, size: float, width: float) -> list[str]:
    """`line` cut into pieces no wider than `width` (by character: Chinese has no spaces to break at)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    pieces, piece = [], ""
    for character in line:
        if piece and stringWidth(piece + character, font, size) > width:
            pieces.append(piece)
            piece = ""
        piece += character
    return [*pieces, piece] if piece else pieces


def ticket(issued: Ticket, language: Language) -> PrintDocument:
    """The queue ticket as an 80 mm slip: what it is, the number large, priority, who is ahead and how
    long, what to do (not a two-line A4 page)."""
    font = _register_font()
    lines = [text("ticket_wait", language, waiting=issued.waiting, minutes=issued.estimate_minutes)]
    if issued.priority != "ordinary":
        lines.insert(0, text("ticket_priority", language))
    lines.append(text("ticket_taken", language, number=issued.number))
    usable = SLIP_WIDTH - 2 * SLIP_MARGIN
    body = [piece for line in lines for piece in _wrapped(line, font, 11, usable)]
    height = 60 * mm + len(body) * 6 * mm
    title = f"{text('ticket_title', language)} {issued.number}"
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=(SLIP_WIDTH, height))
    page.setTitle(title)
    y = height - 12 * mm
    page.setFont(font, 10)
    page.drawCentredString(SLIP_WIDTH / 2, y, text("app_title", language)[:40])
    page.setFont(font, 12)
    y -= 8 * mm
    page.drawCentredString(SLIP_WIDTH / 2, y, text("ticket_title", language))
    y -= 20 * mm
    page.setFont(font, 44)
    page.drawCentredString(SLIP_WIDTH / 2, y, issued.number)
    page.setFont(font, 11)
    y -= 10 * mm
    for piece in body:
        page.drawString(SLIP_MARGIN, y, piece)
        y -= 6 * mm
    page.showPage()
    page.save()
    return PrintDocument(title, buffer.getvalue())


def supplement_receipt(item: ItemDetail, result: SubmitOutcome, language: Language) -> PrintDocument:
    """补正: the materials a notice asked for were handed in; the case is back with the clerk."""
    zh = language is Language.ZH
    title = "补正材料接收回执" if zh else "Receipt for the missing materials"
    lines = [_name(item, language), text("case_number", language, case_id=result.case_id)]
    lines.append(text("supplement_received", language))
    return PrintDocument(title, _pdf(title, lines))


def outcome(item: ItemDetail, result: SubmitOutcome, language: Language) -> PrintDocument:
    """The 提交回执 of a complete submission (submitted, not accepted: what comes next and by when), or the
    one-time notice of missing materials when the case service does not issue its own PDF."""
    zh = language is Language.ZH
    names = {material.code: (material.name_zh if zh else material.name_en) for material in item.materials}
    lines = [_name(item, language), text("case_number", language, case_id=result.case_id)]
    if result.accepted:
        title = text("receipt_title", language)
        lines.append(text("receipt_state", language))
        review = "receipt_review" if result.review_by else "receipt_review_soon"
        estimated = "yes" if result.review_estimated else ""
        lines.append(text(review, language, date=result.review_by, estimated=estimated))
        lines.append(text("receipt_decision", language, days=item.time_limit_days))
        lines.append(text("receipt_progress", language))
    else:
        title = "补正材料一次性告知书" if zh else "One-time notice of missing materials"
        lines.append(text("missing_list", language))
        lines.extend(f"  · {names.get(code, code)}" for code in result.missing)
    return PrintDocument(title, _pdf(title, lines))
