"""The kiosk's own papers keep their Chinese text through a PostScript print chain, as certificates do."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from kiosk.documents import ticket
from kiosk.flow.model import Language, Ticket
from tests.fixtures.procs import require_binary


def test_a_ticket_keeps_its_chinese_text_through_postscript(tmp_path: Path) -> None:
    require_binary("pdftops", "poppler-utils")
    gs = require_binary("gs", "ghostscript")
    sent = tmp_path / "ticket.pdf"
    document = ticket(Ticket(number="A012", waiting=3, estimate_minutes=9), Language.ZH)
    sent.write_bytes(document.pdf)
    subprocess.run(["pdftops", str(sent), str(tmp_path / "ticket.ps")], check=True)
    back = tmp_path / "back.pdf"
    options = ["-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite"]
    subprocess.run([gs, *options, f"-sOutputFile={back}", str(tmp_path / "ticket.ps")], check=True)
    printed = subprocess.run(["pdftotext", str(back), "-"], capture_output=True, text=True, check=True)
    words = re.sub(r"\s+", "", printed.stdout)
    assert re.sub(r"\s+", "", document.title) in words
    assert "A012" in words
    assert "前面还有3人" in words
