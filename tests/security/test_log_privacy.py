"""A whole `hall demo` run with personal data flowing through it: no full ID or phone number in any log,
and none in plain text in any data file (personal data is encrypted at rest).

The demo runs as a user starts it (`hall demo`, embedded broker, SQLite) at DEBUG level, so every logger
speaks. Applicants reach the case service (cases, applicant tokens, refusals) and the controller's queue
(tickets bound to an ID card or a phone, a bad number refused); then the logs, the demo's own output and
every file under the data folder are searched for the numbers that went in.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from hall.net import free_port, http_ok
from tests.fixtures.hall import hall_env
from tests.reliability.workers import ITEM_COMPANY, login, person

pytestmark = [pytest.mark.slow, pytest.mark.integration]
PEOPLE = [person(index) for index in range(1, 6)]
# Any run of 17 digits and a check character, as a full ID number would appear (not masked).
FULL_ID = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")


def _drive_case_service(url: str) -> None:
    clerk = login(url, "clerk1")
    for index, applicant in enumerate(PEOPLE):
        made = httpx.post(
            f"{url}/api/v1/cases",
            json={"item_code": ITEM_COMPANY, "channel": "window", "applicant": applicant},
            headers={**clerk, "Idempotency-Key": f"privacy-{index}"},
            timeout=30,
        )
        assert made.status_code == 201, made.text
        case = made.json()
        assert applicant["id_number"] not in made.text and applicant["phone"] not in made.text
        assert httpx.get(
            f"{url}/api/v1/cases/{case['id']}/history", headers=clerk, timeout=30
        ).status_code in (
            200,
            403,
        )
    # Refusals that echo the input back are the classic leak: a wrong check digit, a number in a path.
    wrong = PEOPLE[0]["id_number"][:-1] + ("0" if PEOPLE[0]["id_number"][-1] != "0" else "1")
    refused = httpx.post(
        f"{url}/api/v1/cases",
        json={"item_code": ITEM_COMPANY, "applicant": {**PEOPLE[0], "id_number": wrong}},
        headers={**clerk, "Idempotency-Key": "privacy-wrong"},
        timeout=30,
    )
    assert refused.status_code == 422 and wrong not in refused.text
    httpx.get(f"{url}/api/v1/cases/by-number/{PEOPLE[1]['id_number']}", headers=clerk, timeout=30)
    httpx.post(f"{url}/api/v1/auth/login", json={"username": PEOPLE[2]["id_number"], "password": "x"})


def _drive_queue(url: str) -> None:
    for applicant in PEOPLE:
        issued = httpx.post(
            f"{url}/api/v1/ext/queue/tickets",
            json={"service": "business", "id_number": applicant["id_number"], "print_slip": True},
            timeout=30,
        )
        assert issued.status_code == 201, issued.text
        remote = httpx.post(
            f"{url}/api/v1/ext/queue/remote-tickets",
            json={"service": "social", "phone": applicant["phone"]},
            timeout=30,
        )
        assert remote.status_code == 201, remote.text
    bad = httpx.post(
        f"{url}/api/v1/ext/queue/tickets",
        json={"service": "business", "id_number": PEOPLE[0]["id_number"][:16] + "ZZ"},
        timeout=30,
    )
    assert bad.status_code >= 400


def test_no_full_id_or_phone_number_in_any_log_or_data_file(tmp_path: Path) -> None:
    ports = {"case__port": free_port(), "controller__port": free_port(), "embedded_broker_port": free_port()}
    env = hall_env(tmp_path / "var", **{key: str(value) for key, value in ports.items()})
    env["HALL_LOG_LEVEL"] = "DEBUG"
    demo = subprocess.Popen(
        [sys.executable, "-m", "hall", "demo", "--no-kiosk"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    case_url = f"http://127.0.0.1:{ports['case__port']}"
    controller_url = f"http://127.0.0.1:{ports['controller__port']}"
    try:
        deadline = time.monotonic() + 120
        while not (http_ok(f"{case_url}/healthz") and http_ok(f"{controller_url}/healthz")):
            assert demo.poll() is None, demo.stdout.read() if demo.stdout else ""
            assert time.monotonic() < deadline, "the demo did not come up"
            time.sleep(0.2)
        _drive_case_service(case_url)
        _drive_queue(controller_url)
        time.sleep(2)  # let the ticket printer and displays log what they were sent
    finally:
        demo.send_signal(signal.SIGINT)
        output, _ = demo.communicate(timeout=60)
    assert demo.returncode == 0, output

    logs = sorted((tmp_path / "var" / "logs").glob("*.log"))
    assert {path.name for path in logs} >= {"case-service.log", "controller.log", "devices.log"}
    texts = {"demo output": output} | {path.name: path.read_text(errors="replace") for path in logs}
    assert sum(len(text) for text in texts.values()) > 2000, "the run logged almost nothing"
    secrets = [value for applicant in PEOPLE for value in (applicant["id_number"], applicant["phone"])]
    for name, text in texts.items():
        for secret in secrets:
            assert secret not in text, f"{name} holds a full number"
        assert not FULL_ID.findall(text), f"{name} holds something shaped like a full ID number"

    data_files = [
        path for path in (tmp_path / "var").rglob("*") if path.is_file() and "logs" not in path.parts
    ]
    assert any(path.name.startswith("case_service.db") for path in data_files)
    for path in data_files:
        raw = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in raw, f"{path.name} holds a number in plain text"
            assert secret.encode("utf-16-le") not in raw, f"{path.name} holds a number in UTF-16"
