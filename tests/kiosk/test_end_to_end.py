"""End to end: the real Kivy kiosk under Xvfb, the real case service, the real ID-card driver on the
firmware_sim reader emulator, the running hall controller (Mosquitto) and a real CUPS queue (cups-pdf).

The applicant taps a card, applies with one material missing (each page captured by the document
camera of devices/camera from firmware_sim's desk scenes, through devices/capture), gets the one-time
notice, leaves and takes a queue ticket. A clerk asks for the missing material (补正); the applicant
comes back and gives only that material (what the case holds is not asked again). Staff accept,
review, approve, make and seal the certificate through the case service's API; the applicant comes
back once more, signs in with the e-ID QR code shown to the QR camera, and prints it on CUPS; the
kiosk reports the print's outcome to the case service. Last, someone holding the printed paper checks it
at the kiosk without signing in: its QR (read off the printed PDF) shown to the QR camera is valid.
Each visit is a fresh start of the app.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pypdf
import pytest
from PIL import Image

from firmware_sim.idcard.cards import card_read_of, sample_identity
from hall.display import VirtualDisplay
from hall.privacy import mask_name
from kiosk.adapters.http_case import HttpCaseService
from kiosk.flow.model import IdCard
from tests.case_service.certificates.qr_decode import decode_qr_texts, pdf_to_png
from tests.fixtures.cups import CupsServer, PdfQueue
from tests.fixtures.hall import HallProcess, hall_env
from tests.fixtures.mqtt import Broker
from tests.kiosk.conftest import kiosk_secret, write_kiosk_credential
from tests.kiosk.staff import Staff
from tools import KIOSK_DRIVE

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def _drive(env: dict[str, str], args: list[str], out: Path) -> dict[str, Any]:
    command = [sys.executable, str(KIOSK_DRIVE), "--script", "e2e", "--orientation", "portrait"]
    command += ["--out", str(out), *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=500, check=False)
    assert done.stdout.strip(), done.stderr[-3000:]
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["failed"] == "", f"{report['failed']}\n{done.stderr[-3000:]}"
    assert report["clipped"] == []
    return report


@pytest.mark.timeout(1200)
def test_card_apply_notice_complete_then_print_the_certificate(
    xvfb: VirtualDisplay,
    case_url: str,
    mosquitto: Broker,
    start_hall_process: Callable[..., HallProcess],
    cups_server: CupsServer,
    pdf_queue: PdfQueue,
    screenshot_dir: Path,
    tmp_path: Path,
) -> None:
    controller = start_hall_process("controller", mqtt_url=mosquitto.url)
    assert controller.url is not None
    service = HttpCaseService(
        case_url, device_id="kiosk-e2e-check", secret=kiosk_secret(case_url, "kiosk-e2e-check")
    )
    staff = Staff(case_url)
    identity = sample_identity("王芳")
    try:
        department = staff.call("GET", "/auth/me", "reviewer1")["department"]  # who will review it
        item = next(
            detail
            for detail in (service.item(summary.item_id) for summary in service.search_items(""))
            if detail.kiosk_apply
            and sum(m.required for m in detail.materials) >= 2
            and detail.department_zh == department
            and staff.goes_by_licence(detail.item_id)
        )
        required = [m.code for m in item.materials if m.required]
        env = hall_env(tmp_path / "var", kiosk__voice="off", mqtt_url=mosquitto.url)
        write_kiosk_credential(case_url, tmp_path / "var", "kiosk-e2e")
        env["DISPLAY"] = xvfb.name
        base = ["--case-service-url", case_url]
        cups = ["--cups-queue", pdf_queue.queue, "--cups-host", cups_server.host]
        cups += ["--cups-port", str(cups_server.port)]

        # 1. Apply with the last required material missing; the kiosk's notice; a queue ticket.
        camera = ["--camera", "device"]
        first = [*base, *camera, "--item", item.item_id, "--controller-url", controller.url]
        report = _drive(env, first, screenshot_dir)
        ticket = report["notes"]["ticket"]
        assert report["printed"] == ["补正材料一次性告知书", f"取号 {ticket}"]
        token = service.identify_card(
            IdCard(identity.name, identity.id_number, read=card_read_of(identity.name, identity.id_number))
        ).token
        (case,) = service.cases(token)
        assert case.item_name_zh == item.name_zh
        number = case.case_id
        answer = httpx.get(f"{controller.url}/api/v1/ext/queue/tickets/{ticket}", timeout=10).json()
        assert answer["source"] == "kiosk" and answer["state"] == "waiting"

        # 2. The clerk asks for what is missing (补正).
        assert staff.act(number, "request_supplement", "clerk1")["state"] == "supplement_required"
        given_before = staff.call("GET", f"/cases/{number}/materials", "clerk1")
        assert sorted(m["name"] for m in given_before) == sorted(required[:-1])

        # 3. The applicant comes back and gives only the missing material; the case goes back to the clerk.
        report = _drive(env, [*base, *camera, "--phase", "complete", *cups], screenshot_dir)
        assert report["notes"]["reused"] == str(len(required) - 1)  # not asked again
        held = staff.call("GET", f"/cases/{number}/materials", "clerk1")
        assert sorted(m["name"] for m in held) == sorted(required)
        assert len(held) == len(required)  # nothing given twice
        for material in held:  # pages the document camera found in firmware_sim's desk scenes, flattened
            content = staff.get(f"/cases/{number}/materials/{material['id']}/content", "clerk1")
            with Image.open(io.BytesIO(content)) as page:
                assert abs(page.height / page.width - 297 / 210) < 0.02, material["name"]
        assert staff.call("GET", f"/cases/{number}/completeness", "clerk1")["complete"] is True
        assert staff.call("GET", f"/cases/{number}", "clerk1")["state"] == "submitted"
        receipt = pdf_queue.wait_for_pdf()  # the kiosk's receipt, on the real CUPS queue
        assert number in _text(receipt.read_bytes())

        # 4. Staff move the case on: accepted, reviewed, approved, certificate made and sealed.
        assert staff.act(number, "accept", "clerk1")["state"] == "accepted"
        staff.act(number, "start_review", "reviewer1")
        staff.act(number, "approve", "approver1", reason="符合法定条件")
        issue = {"scope": "端到端测试范围", "valid_until": "2031-12-31"}
        certificate = staff.call("POST", f"/cases/{number}/certificate", "reviewer1", json=issue)
        assert staff.act(number, "seal", "sealer1")["state"] == "sealed"
        certificate_number = certificate["number"]

        # 5. The applicant signs in by showing the e-ID QR code to the QR camera (devices/barcode's scan
        # loop on firmware_sim's QR camera), prints the certificate; the kiosk reports the job's outcome.
        third = [*base, "--phase", "certificate", "--sign-in", "qr", *cups]
        report = _drive(env, third, screenshot_dir)
        assert report["notes"]["signed_in_by"] == "qr"
        assert report["notes"]["certificate"] == certificate_number
        printed = pdf_queue.wait_for_pdf(already=1)
        text = _text(printed.read_bytes())
        assert certificate_number in text and "王芳" in text
        prints = staff.call("GET", f"/certificates/{certificate_number}/prints", "clerk1")
        assert [(p["kind"], p["status"]) for p in prints] == [("original", "completed")]
        assert prints[0]["station"] == "kiosk:kiosk-e2e"

        # 6. Anyone holding the paper checks it at the kiosk, no sign-in: the QR read off the printed PDF
        # is shown to the QR camera (证照核验); valid, the holder's name masked.
        (scanned,) = decode_qr_texts(pdf_to_png(printed.read_bytes(), tmp_path, "printed-certificate"))
        verify = [*base, "--phase", "verify", "--sign-in", "qr", "--verify-qr", scanned]
        report = _drive(env, verify, screenshot_dir)
        assert report["notes"]["verdict"] == "valid" and report["notes"]["signed_in"] == "no"
        assert report["notes"]["number"] == certificate_number
        assert report["notes"]["holder"] == mask_name(identity.name) != identity.name
        for name in (
            "e2e-menu-zh",
            "e2e-notice-zh",
            "e2e-progress-zh",
            "e2e-ticket-zh",
            "e2e-supplement-zh",
            "e2e-supplement-capture-zh",
            "e2e-complete-zh",
            "e2e-qr-menu-zh",
            "e2e-certificates-zh",
            "e2e-printed-zh",
            "e2e-verify-zh",
        ):
            assert (screenshot_dir / f"kiosk-portrait-{name}.png").exists()
    finally:
        service.close()
        staff.close()


def _text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))
