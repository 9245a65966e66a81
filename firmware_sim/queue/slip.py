"""A ticket slip as the ESC/POS bytes a thermal printer receives, and a reader that gets the text back.

Chinese goes in GB18030 between FS & and FS . (the Chinese character mode of ESC/POS printers);
python-escpos's `Dummy` printer builds the rest (alignment, sizes, QR code, cut).
"""

from __future__ import annotations

from escpos.printer import Dummy

from devices.protocol.queue import TicketSlip

CHINESE_ON = b"\x1c\x26"
CHINESE_OFF = b"\x1c\x2e"


def render(slip: TicketSlip) -> bytes:
    printer = Dummy()
    printer.set(align="center")
    if slip.hall_name:
        _chinese(printer, slip.hall_name + "\n")
    _chinese(printer, f"{slip.service_name}\n")
    printer.text(f"{slip.service_name_en}\n")
    printer.set(align="center", double_height=True, double_width=True, bold=True)
    printer.text(f"{slip.number}\n")
    printer.set(align="center")
    _chinese(printer, f"您前面还有 {slip.ahead} 人，预计等候 {round(slip.estimate_minutes)} 分钟\n")
    printer.text(f"{slip.ahead} ahead, about {round(slip.estimate_minutes)} min\n")
    printer.text(f"{slip.issued_at}\n")
    if slip.qr_text:
        printer.qr(slip.qr_text, size=4, native=True)
    _chinese(printer, "请留意叫号，过号须重新取号\n")
    printer.cut()
    return bytes(printer.output)


def _chinese(printer: Dummy, text: str) -> None:
    printer._raw(CHINESE_ON + text.encode("gb18030") + CHINESE_OFF)


ESC, GS, FS = 0x1B, 0x1D, 0x1C


def _command_length(data: bytes, index: int) -> int:
    """Bytes taken by the ESC/GS/FS command at `index` (the subset a ticket slip uses)."""
    lead = data[index]
    code = data[index + 1] if index + 1 < len(data) else 0
    if lead == FS or (lead == ESC and code == ord("@")):
        return 2
    if lead == GS and code == ord("("):  # GS ( k pL pH ...: QR code functions
        return 5 + data[index + 3] + 256 * data[index + 4]
    if lead == GS and code == ord("V"):  # cut: GS V m [n]
        return 4 if data[index + 2] in (65, 66) else 3
    if lead == GS and code == ord("v"):  # raster image: GS v 0 m xL xH yL yH data
        width = data[index + 4] + 256 * data[index + 5]
        height = data[index + 6] + 256 * data[index + 7]
        return 8 + width * height
    return 3


def printed_text(data: bytes) -> str:
    """The text a slip prints: commands skipped, Chinese (FS & ... FS .) decoded from GB18030."""
    out: list[str] = []
    chinese = False
    run = bytearray()
    index = 0
    while index < len(data):
        byte = data[index]
        if byte in (ESC, GS, FS):
            out.append(run.decode("gb18030" if chinese else "ascii", errors="replace"))
            run.clear()
            if byte == FS and index + 1 < len(data):
                chinese = {ord("&"): True, ord("."): False}.get(data[index + 1], chinese)
            index += _command_length(data, index)
            continue
        run.append(byte)
        index += 1
    out.append(run.decode("gb18030" if chinese else "ascii", errors="replace"))
    return "".join(out)
