"""A certificate printed through real CUPS: to a cups-pdf queue (output read back), and to an IPP
Everywhere printer that runs out of paper mid-job (the certificate is not lost, another way is offered)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pypdf
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from case_service.certificates.service import CertificateContext
from devices.printing.cups_backend import CupsPrinter
from devices.printing.follow import Outcome, Patience, follow_job
from devices.printing.model import Document
from hall.signing import verify_token
from tests.case_service.certificates.conftest import FakeCases
from tests.case_service.certificates.qr_decode import decode_qr_texts, pdf_to_png
from tests.case_service.certificates.text_layer import (
    ink_share,
    likeness,
    pdf_text,
    region,
    word_box,
)
from tests.fixtures.cups import CupsServer, IppEverywherePrinter, PdfQueue

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ISSUE = {"certificate_name": "食品经营许可证", "scope": "热食类食品制售", "valid_until": "2031-11-20"}


def _sealed_certificate(client: TestClient, cases: FakeCases) -> dict[str, object]:
    cases.add("XD2026-000042", holder="欧阳娜娜")
    made = client.post("/cases/XD2026-000042/certificate", json=ISSUE)
    assert made.status_code == 201, made.text
    cases.move("XD2026-000042", "sealed")
    body: dict[str, object] = made.json()
    return body


def _request_print(client: TestClient, number: object) -> tuple[dict[str, object], bytes]:
    entry = client.post(f"/certificates/{number}/prints", json={"station": "kiosk:k1"})
    assert entry.status_code == 201, entry.text
    body: dict[str, object] = entry.json()
    pdf = client.get(str(body["pdf_url"]).removeprefix("/api/v1")).content
    return body, pdf


def _gray(png: Path) -> np.ndarray:
    return np.asarray(Image.open(png).convert("L"), dtype=np.int16)


def test_printed_to_cups_pdf_the_output_reads_scans_and_verifies(
    sqlite_certificate_app: TestClient,
    cases: FakeCases,
    context: CertificateContext,
    cups_server: CupsServer,
    pdf_queue: PdfQueue,
    tmp_path: Path,
) -> None:
    client = sqlite_certificate_app
    certificate = _sealed_certificate(client, cases)
    entry, pdf = _request_print(client, certificate["number"])
    printer = CupsPrinter(pdf_queue.queue, host=cups_server.host, port=cups_server.port)

    result = follow_job(printer, printer.submit(Document(pdf, f"certificate {certificate['number']}")))
    assert result.outcome is Outcome.COMPLETED, result
    client.post(
        f"/certificates/{certificate['number']}/prints/{entry['id']}/result", json={"outcome": "completed"}
    )
    printed = pdf_queue.wait_for_pdf()

    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in pypdf.PdfReader(printed).pages))
    assert str(certificate["number"]) in text
    # The holder's Chinese name is in the printed PDF's text layer (CUPS went PDF -> PostScript -> PDF),
    # and drawn where the sent page has it.
    (tmp_path / "sent.pdf").write_bytes(pdf)
    printed_text = pdf_text(printed)
    for expected in ("欧阳娜娜", ISSUE["certificate_name"], ISSUE["scope"], str(certificate["number"])):
        assert expected in printed_text
    box = word_box(printed, "欧阳娜娜")
    assert np.allclose(box, word_box(tmp_path / "sent.pdf", "欧阳娜娜"), atol=1.0)
    name_sent = region(pdf_to_png(pdf, tmp_path, "name-sent", 100), box, 100)
    name_printed = region(pdf_to_png(printed.read_bytes(), tmp_path, "name-printed", 100), box, 100)
    assert ink_share(name_sent) > 0.05
    assert ink_share(name_printed) == pytest.approx(ink_share(name_sent), rel=0.15)
    assert likeness(name_sent, name_printed) > 0.8
    scanned = decode_qr_texts(pdf_to_png(printed.read_bytes(), tmp_path, "printed"))
    assert scanned == [certificate["qr_text"]]
    claims = verify_token(scanned[0], context.verifiers)
    assert (claims.number, claims.holder) == (certificate["number"], "欧阳娜娜")
    # The page that came out is the page that was sent: the same picture, pixel for pixel nearly.
    sent, came_out = (
        _gray(pdf_to_png(pdf, tmp_path, "sent", 50)),
        _gray(pdf_to_png(printed.read_bytes(), tmp_path, "out", 50)),
    )
    assert sent.shape == came_out.shape
    assert np.mean(np.abs(sent - came_out)) < 4.0
    assert client.get(f"/certificates/{certificate['number']}").json()["print_state"] == "printed"


def test_media_empty_mid_job_keeps_the_certificate_and_offers_another_way(
    sqlite_certificate_app: TestClient,
    cases: FakeCases,
    cups_server: CupsServer,
    ipp_printer: IppEverywherePrinter,
    pdf_queue: PdfQueue,
) -> None:
    client = sqlite_certificate_app
    certificate = _sealed_certificate(client, cases)
    number = certificate["number"]
    kiosk_printer = CupsPrinter(ipp_printer.queue, host=cups_server.host, port=cups_server.port)
    ipp_printer.hold()
    entry, pdf = _request_print(client, number)
    job = kiosk_printer.submit(Document(pdf, f"certificate {number}"))
    ipp_printer.wait_until_printing()

    ipp_printer.set_reasons("media-empty")
    result = follow_job(kiosk_printer, job, Patience(blocked_for=2.0, overall=60.0, poll_every=0.1))
    assert (result.outcome, result.reason) == (Outcome.FAILED, "media-empty")
    client.post(
        f"/certificates/{number}/prints/{entry['id']}/result",
        json={"outcome": "failed", "reason": result.reason},
    )

    shown = client.get(f"/certificates/{number}").json()
    assert shown["status"] == "valid" and shown["print_state"] == "not_printed"
    assert [way["way"] for way in shown["alternatives"]] == ["another_kiosk", "locker", "window"]
    assert ipp_printer.printed() == []
    # Another kiosk's printer still gets the original.
    retry, retry_pdf = _request_print(client, number)
    assert retry["kind"] == "original"
    other = CupsPrinter(pdf_queue.queue, host=cups_server.host, port=cups_server.port)
    assert follow_job(other, other.submit(Document(retry_pdf, "retry"))).outcome is Outcome.COMPLETED
    pdf_queue.wait_for_pdf()
