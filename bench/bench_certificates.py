"""Certificates: render one, print request to completed job on a real CUPS printer, verifications per second.

Anchors, measured in the same run: a one-line PDF with the same embedded CJK font (rendering), a one-line
PDF sent the same way to the same printer (printing: the CUPS/IPP path itself), and a bare Ed25519
verification of a 64-byte message (verifying: what the token format adds on top).
"""

from __future__ import annotations

import datetime as dt
import io
import statistics
import tempfile
import time
from pathlib import Path

from reportlab.pdfgen.canvas import Canvas

from bench.core import Figure, time_call
from case_service.certificates.render import CertificateView, render_certificate
from case_service.documents.typeset import cjk_font
from hall.signing import CertificateClaims, Ed25519Signer, sign_claims, verify_token

SIGNER = Ed25519Signer.generate()
CLAIMS = CertificateClaims(
    SIGNER.key_id, "SP-001-2026-00012345", "张三丰", "食品经营许可（新办）", dt.date(2026, 11, 21), None
)
TOKEN = sign_claims(CLAIMS, SIGNER)
VIEW = CertificateView(
    number=CLAIMS.number,
    certificate_name="食品经营许可证",
    holder="张三丰",
    holder_id_masked="110***********1234",
    item_name="食品经营许可（新办）",
    scope="热食类食品制售；冷食类食品制售（不含生食）",
    valid_from=dt.date(2026, 11, 21),
    valid_until=dt.date(2031, 11, 20),
    authority="成都市新都区行政审批局",
    issued_on=dt.date(2026, 11, 21),
    qr_text=TOKEN,
    seal_code="5101140012345",
)


def _one_line_pdf() -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, initialFontName=cjk_font())
    canvas.drawString(100, 700, "编号 SP-001-2026-00012345")
    canvas.save()
    return buffer.getvalue()


def _per_second(function: object, seconds: float = 1.5) -> float:
    count = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        for _ in range(200):
            function()  # type: ignore[operator]
        count += 200
    return count / (time.perf_counter() - started)


def _printing_seconds(repeat: int = 5) -> tuple[float, float]:
    """Median seconds from print request to completed job: a certificate, and a one-line PDF."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from case_service.certificates import api
    from case_service.certificates.service import Actor, CertificateContext
    from case_service.db import make_engine, make_session_factory
    from devices.printing.cups_backend import CupsPrinter
    from devices.printing.follow import Outcome, follow_job
    from devices.printing.model import Document
    from hall.privacy import PiiCipher
    from tests.case_service.certificates.conftest import FakeCases, create_tables
    from tests.fixtures.cups import running_cups_server, running_dbus, running_ipp_printer

    cases = FakeCases()
    context = CertificateContext(
        SIGNER, {SIGNER.key_id: SIGNER.public}, PiiCipher({"k": b"k" * 32}, "k"), cases
    )
    with (
        tempfile.TemporaryDirectory() as folder,
        running_cups_server() as server,
        running_dbus(Path(folder)) as bus,
        running_ipp_printer(server, bus) as ipp,
    ):
        engine = make_engine(f"sqlite:///{folder}/bench.db")
        create_tables(engine)
        app = FastAPI()
        app.state.sessions = make_session_factory(engine)
        app.state.certificates = context
        app.include_router(api.router)
        app.dependency_overrides[api.staff_actor] = lambda: Actor("staff:bench")
        app.dependency_overrides[api.station_actor] = lambda: Actor("device:bench")
        printer = CupsPrinter(ipp.queue, host=server.host, port=server.port)
        client = TestClient(app)

        def one_certificate(index: int) -> float:
            case = f"BENCH-{index}"
            cases.add(case)
            number = client.post(
                f"/cases/{case}/certificate", json={"certificate_name": "食品经营许可证", "scope": "热食类"}
            ).json()["number"]
            cases.move(case, "sealed")
            started = time.perf_counter()
            entry = client.post(f"/certificates/{number}/prints", json={"station": "bench"}).json()
            pdf = client.get(entry["pdf_url"]).content
            result = follow_job(printer, printer.submit(Document(pdf, number)))
            client.post(
                f"/certificates/{number}/prints/{entry['id']}/result", json={"outcome": result.outcome.value}
            )
            if result.outcome is not Outcome.COMPLETED:
                raise RuntimeError(f"bench print failed: {result}")
            return time.perf_counter() - started

        def one_line(index: int) -> float:
            started = time.perf_counter()
            result = follow_job(printer, printer.submit(Document(_one_line_pdf(), f"anchor {index}")))
            if result.outcome is not Outcome.COMPLETED:
                raise RuntimeError(f"bench print failed: {result}")
            return time.perf_counter() - started

        certificate = statistics.median(one_certificate(index) for index in range(repeat))
        anchor = statistics.median(one_line(index) for index in range(repeat))
        client.close()
        engine.dispose()
    return certificate, anchor


def run() -> list[Figure]:
    render_once = time_call(lambda: render_certificate(VIEW, sealed=True), repeat=15)
    one_line = time_call(_one_line_pdf, repeat=15)
    verifiers = {SIGNER.key_id: SIGNER.public}
    tokens_per_second = _per_second(lambda: verify_token(TOKEN, verifiers))
    message, signature = b"m" * 64, SIGNER.sign(b"m" * 64)
    raw_per_second = _per_second(lambda: SIGNER.public.verify(signature, message))
    printed, printed_anchor = _printing_seconds()
    return [
        Figure(
            "render one sealed certificate (A4, QR, seal)",
            render_once * 1000,
            "ms",
            "one-line PDF, same CJK font",
            one_line * 1000,
            "< 200 ms",
            better="lower",
        ),
        Figure(
            "print request -> job completed (ippeveprinter via CUPS)",
            printed,
            "s",
            "one-line PDF, same printer",
            printed_anchor,
            "< 5 s",
            better="lower",
        ),
        Figure(
            "QR token verifications (parse + Ed25519)",
            tokens_per_second,
            "/s",
            "bare Ed25519 verify, 64 B",
            raw_per_second,
            "> 1,000 /s",
        ),
    ]
