"""End to end, touched: the real Kivy kiosk under Xvfb (a finger on the glass: xdotool), the real case
service, the running hall controller on Mosquitto, the hall simulator outside the kiosk's process (the ID
card through firmware_sim's SAM emulator and the real driver, the e-ID QR and the paper's QR held up to the
scanner, pages laid on the desk whose camera frames go through devices/capture) and a real CUPS queue
(cups-pdf) for everything printed.

The applicant taps a card, finds the item by its initials on the pinyin keyboard, applies with one
material missing: the one-time notice (补正材料一次性告知书) is printed; takes a queue ticket. A clerk asks
for the missing material (补正); the applicant comes back and gives only that material, and sees the
progress. Staff accept, review, approve, make and seal the certificate through the case service's API; the
applicant comes back once more, signs in with the e-ID QR, prints the certificate (the case service records
the print) and rates the case (好差评). Last, someone holding the printed paper checks it at the kiosk
without signing in: its QR, read off the printed PDF, held up to the scanner, is valid. Each visit is a
fresh start of the app. Every step's record is asserted: the case in the case service, its history, the
controller's ticket, the printed PDFs' text.
"""

from __future__ import annotations

import io
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from hall.display import VirtualDisplay
from hall.privacy import mask_name, mask_phone
from kiosk.adapters.http_case import HttpCaseService
from tests.case_service.certificates.qr_decode import decode_qr_texts, pdf_to_png
from tests.fixtures.cups import CupsServer, PdfQueue
from tests.fixtures.hall import HallProcess
from tests.fixtures.mqtt import Broker
from tests.kiosk.conftest import kiosk_secret
from tests.kiosk.staff import Staff
from tests.kiosk.touch_scenarios import person
from tests.kiosk.touching import touched

pytestmark = [pytest.mark.slow, pytest.mark.integration]


class Paper:
    """What the kiosk printed on the cups-pdf queue, in order, as text (pdftotext, white space removed)."""

    def __init__(self, queue: PdfQueue) -> None:
        self._queue = queue
        self.pdfs: list[Path] = []

    def next(self) -> tuple[Path, str]:
        pdf = self._queue.wait_for_pdf(already=len(self.pdfs))
        self.pdfs.append(pdf)
        done = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True)
        return pdf, re.sub(r"\s+", "", done.stdout.decode("utf-8"))


@pytest.mark.timeout(1200)
def test_card_apply_supplement_certificate_rating_and_check_by_touch(
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
    name, phone = "王芳", "13812345678"
    identity = person(name)
    settings = {
        "mqtt_url": mosquitto.url,
        "kiosk__printer": "cups",
        "kiosk__printer_queue": pdf_queue.queue,
        "kiosk__cups_host": cups_server.host,
        "kiosk__cups_port": str(cups_server.port),
    }
    paper = Paper(pdf_queue)

    def visit(scenario: str, **args: Any) -> dict[str, Any]:
        """One visit: a fresh start of the kiosk, touched through `scenario`; its notes."""
        report = touched(
            xvfb,
            case_url,
            tmp_path,
            screenshot_dir,
            scenario,
            settings=settings,
            controller_url=controller.url or "",
            **args,
        )
        notes: dict[str, Any] = report["notes"]
        return notes

    def history(number: str) -> list[str]:
        return [entry["action"] for entry in staff.call("GET", f"/cases/{number}/history", "clerk1")]

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
        required = [m for m in item.materials if m.required]
        missing = required[-1]

        # 1. Card, the item found on the pinyin keyboard, applied for with the last required material
        # missing: the one-time notice printed; a queue ticket from the running controller.
        notes = visit("e2e_apply", name=name, item=item.name_zh, leave_out=missing.code, phone=phone)
        assert item.name_zh in notes["found"], notes["found"]
        assert notes["required"] == [m.code for m in required]
        number, ticket = notes["case"], notes["ticket"]
        case = staff.call("GET", f"/cases/{number}", "clerk1")
        assert (case["state"], case["item_code"], case["channel"]) == ("submitted", item.item_id, "kiosk")
        assert case["applicant_phone"] == mask_phone(phone), case  # typed on the form's digit pad
        given = staff.call("GET", f"/cases/{number}/materials", "clerk1")
        assert sorted(m["name"] for m in given) == sorted(m.code for m in required[:-1])
        for material in given:  # firmware_sim's desk scenes, found and flattened by devices/capture
            content = staff.get(f"/cases/{number}/materials/{material['id']}/content", "clerk1")
            with Image.open(io.BytesIO(content)) as page:
                assert abs(page.height / page.width - 297 / 210) < 0.02, material["name"]
        assert history(number)[: len(required)] == ["case.submit"] + ["material.upload"] * (len(required) - 1)
        completeness = staff.call("GET", f"/cases/{number}/completeness", "clerk1")
        assert completeness["missing"] == [missing.code], completeness
        _pdf, notice = paper.next()
        assert "补正材料一次性告知书" in notice and number in notice, notice
        assert missing.name_zh in notice and item.name_zh in notice, notice
        assert all(m.name_zh not in notice for m in required[:-1]), notice  # only what is missing
        _pdf, slip = paper.next()
        assert ticket in slip, slip
        answer = httpx.get(f"{controller.url}/api/v1/ext/queue/tickets/{ticket}", timeout=10).json()
        assert answer["source"] == "kiosk" and answer["state"] == "waiting", answer

        # 2. The clerk asks for what is missing (补正).
        assert staff.act(number, "request_supplement", "clerk1")["state"] == "supplement_required"

        # 3. The applicant comes back with the card and gives only the missing material.
        notes = visit("e2e_supplement", name=name)
        assert notes["missing"] == [missing.code] == notes["asked"]  # not asked again for the rest
        assert notes["kept"] == sorted(m.code for m in required[:-1])
        held = staff.call("GET", f"/cases/{number}/materials", "clerk1")
        assert sorted(m["name"] for m in held) == sorted(m.code for m in required)
        assert len(held) == len(required)  # nothing given twice
        assert staff.call("GET", f"/cases/{number}/completeness", "clerk1")["complete"] is True
        status = staff.call("GET", f"/cases/{number}/status", "clerk1")
        assert status["state"] == "submitted", status
        progress = "\n".join(notes["progress_after"])  # what the service says, as the service says it
        for said in (number, f"阶段：{status['state_label']}", status["next_step"], status["stage_due_on"]):
            assert said in progress, (said, progress)
        actions = history(number)  # the audit: only the missing material uploaded, then the 补正 itself
        after_request = actions[actions.index("case.request_supplement") + 1 :]
        assert after_request == ["material.upload", "case.supplement"], actions
        _pdf, receipt = paper.next()
        assert number in receipt, receipt

        # 4. Staff move the case on: accepted, reviewed, approved, certificate made and sealed.
        assert staff.act(number, "accept", "clerk1")["state"] == "accepted"
        staff.act(number, "start_review", "reviewer1")
        staff.act(number, "approve", "approver1", reason="符合法定条件")
        issue = {"scope": "端到端测试范围", "valid_until": "2031-12-31"}
        certificate = staff.call("POST", f"/cases/{number}/certificate", "reviewer1", json=issue)
        assert staff.act(number, "seal", "sealer1")["state"] == "sealed"
        certificate_number = certificate["number"]
        # The decision is handed over at the window (送达, with its receipt): the case is finished. (A
        # certificate printed at the kiosk does not finish a case in the case service, and the kiosk
        # offers only finished cases for rating.)
        staff.act(number, "release", "clerk1", channel="window")
        receipt_of_delivery = {"recipient": name, "method": "window"}
        assert staff.act(number, "deliver", "clerk1", receipt=receipt_of_delivery)["state"] == "delivered"

        # 5. The applicant signs in with the e-ID QR held up to the scanner, prints the certificate on
        # CUPS (the kiosk reports the job's outcome) and rates the case five stars.
        notes = visit("e2e_certificate", name=name)
        assert notes["signed_in_by"] == "qr"
        assert notes["certificates"] == [certificate_number]
        printed, text = paper.next()
        assert certificate_number in text and name in text, text
        prints = staff.call("GET", f"/certificates/{certificate_number}/prints", "clerk1")
        assert [(p["kind"], p["status"]) for p in prints] == [("original", "completed")]
        assert prints[0]["station"] == "kiosk:kiosk-touch"
        assert notes["rating"] == "thanks_rating"
        entries = staff.call("GET", f"/cases/{number}/history", "clerk1")
        assert [e["after"]["score"] for e in entries if e["action"] == "case.evaluate"] == [5]

        # 6. Anyone holding the paper checks it at the kiosk, no sign-in: the QR read off the printed PDF
        # held up to the scanner (证照核验); valid, the holder's name masked.
        (scanned,) = decode_qr_texts(pdf_to_png(printed.read_bytes(), tmp_path, "printed-certificate"))
        notes = visit("e2e_verify", qr=scanned)
        assert notes["verdict"] == "valid" and notes["signed_in"] is False
        assert notes["number"] == certificate_number
        assert notes["holder"] == mask_name(identity.name) != identity.name
        assert identity.name not in "\n".join(notes["verify_screen"])
        assert len(paper.pdfs) == 4  # the notice, the ticket, the supplement's receipt, the certificate
    finally:
        service.close()
        staff.close()
