"""The real Kivy kiosk under Xvfb, every screen reached by touch (tools/kiosk_tour.py `tour`): screenshots,
nothing clipped, CJK font.

Against the running case service (reached through a cable the test cuts to show the kiosk offline), the
running hall controller (tickets; a deposit in its firmware_sim locker bank for each person) and the hall
simulator (cards, QR codes, the desk, the printer's paper), all outside the kiosk's process. One kiosk per
orientation, both at once; with HALL_TEST_SCREENSHOT_DIR=docs/screenshots (`make screenshots`) each does
both languages, one person after the other (the second finds nothing of the first), otherwise portrait in
Chinese and landscape in English, to keep the suite quick.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from firmware_sim.idcard.cards import card_read_of
from firmware_sim.simulator.bench import KioskBench, named_person
from firmware_sim.simulator.page import SimulatorPage, development_eid_issuer
from hall.display import VirtualDisplay, start_virtual_display
from hall.settings import DEV_SECRET_KEY
from kiosk.adapters.http_case import HttpCaseService
from kiosk.flow.model import IdCard
from kiosk.flow.state import Screen
from tests.fixtures.hall import hall_env
from tests.fixtures.mqtt import Broker
from tests.fixtures.procs import require_binary
from tests.kiosk.conftest import kiosk_secret, write_kiosk_credential
from tests.kiosk.hall_parts import Cable, controller_with_lockers
from tests.kiosk.staff import Staff, sealed_certificate

pytestmark = [pytest.mark.slow, pytest.mark.integration]

# The screens the tour must show (the names of its screenshots start with these).
EVERY_SCREEN = {screen.value for screen in Screen}
PEOPLE = {
    ("portrait", "zh"): "林晓梅",
    ("portrait", "en"): "陈思远",
    ("landscape", "zh"): "王佳怡",
    ("landscape", "en"): "赵子轩",
}


def _card(name: str) -> IdCard:
    person = named_person(name)
    return IdCard(person.name, person.id_number, read=card_read_of(person.name, person.id_number))


@pytest.mark.timeout(900)
def test_screenshots_of_every_screen_touched_in_both_orientations(
    xvfb: VirtualDisplay, case_url: str, mosquitto: Broker, screenshot_dir: Path, tmp_path: Path
) -> None:
    require_binary("xdotool", "xdotool")
    everything = bool(os.environ.get("HALL_TEST_SCREENSHOT_DIR"))
    runs = {"portrait": ["zh", "en"] if everything else ["zh"]}
    runs["landscape"] = ["zh", "en"] if everything else ["en"]
    service = HttpCaseService(case_url, device_id="kiosk-tour", secret=kiosk_secret(case_url, "kiosk-tour"))
    staff = Staff(case_url)
    certificates = {  # for each person: a certificate to print and to check
        (orientation, lang): sealed_certificate(service, staff, _card(PEOPLE[orientation, lang]))["qr_text"]
        for orientation, languages in runs.items()
        for lang in languages
    }
    revoked = sealed_certificate(service, staff, _card("吴吊销"))
    staff.call("POST", f"/certificates/{revoked['number']}/revoke", "approver1", json={"reason": "测试吊销"})
    started: dict[str, tuple[subprocess.Popen[str], SimulatorPage, Cable]] = {}
    displays: list[VirtualDisplay] = []
    with controller_with_lockers(mosquitto.url, tmp_path / "controller") as hall:
        try:
            for orientation, languages in runs.items():
                people = {lang: PEOPLE[orientation, lang] for lang in languages}
                for lang, name in people.items():  # a deposit to collect
                    hall.deposit(f"tour-{orientation}-{lang}", named_person(name).id_number)
                simulator = SimulatorPage(KioskBench(), eid=development_eid_issuer(DEV_SECRET_KEY))
                simulator.start()
                cable = Cable(case_url)
                folder = tmp_path / orientation / "var"
                device = f"kiosk-tour-{orientation}"
                write_kiosk_credential(case_url, folder, device)
                env = hall_env(
                    folder,
                    kiosk__voice="off",
                    kiosk__simulator_url=simulator.url,
                    kiosk__idle_timeout_seconds="20",
                    kiosk__countdown_seconds="6",
                    mqtt_url=mosquitto.url,
                    devices__idcard__timeout_seconds="0.5",
                )
                # Each kiosk its own screen: a touch goes to the window on top at that place.
                display = xvfb if orientation == "portrait" else start_virtual_display(1920, 1920)
                displays.append(display)
                env["DISPLAY"] = display.name
                args = {
                    "languages": languages,
                    "people": people,
                    "certificates": {lang: certificates[orientation, lang] for lang in languages},
                    "revoked": revoked["qr_text"],
                    "cable": cable.control,
                }
                command = [sys.executable, "-m", "tools.kiosk_touch", "--scenario", "tour"]
                command += ["--case-service-url", cable.url, "--device-id", device, "--prefix", "kiosk"]
                command += ["--orientation", orientation, "--out", str(screenshot_dir)]
                command += ["--controller-url", hall.url, "--args", json.dumps(args)]
                log = (tmp_path / f"kiosk-{orientation}.log").open("w")  # the kiosk's stderr
                process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=log, text=True)
                log.close()
                started[orientation] = (process, simulator, cable)  # each its own window on the screen
            reports: dict[str, tuple[dict[str, Any], str]] = {}
            for orientation, (process, _simulator, _cable) in started.items():
                output, _ = process.communicate(timeout=800)
                errors = (tmp_path / f"kiosk-{orientation}.log").read_text()[-3000:]
                assert output.strip(), f"{orientation}: no report; stderr: {errors}"
                reports[orientation] = json.loads(output.strip().splitlines()[-1]), errors
                (tmp_path / f"report-{orientation}.json").write_text(output.strip().splitlines()[-1])
        finally:
            for process, simulator, cable in started.values():
                if process.poll() is None:
                    process.kill()
                    process.communicate()
                simulator.stop()
                cable.close()
            for display in displays[1:]:
                display.stop()
            service.close()
            staff.close()
    for orientation, (report, errors) in reports.items():
        if report["failed"]:
            pytest.fail(f"{orientation}: {report['failed']}\n{errors}", pytrace=False)
        assert report["clipped"] == [], f"{orientation}: clipped text {report['clipped']}"
        shots = report["shots"]
        shown = {name.removeprefix(f"kiosk-{orientation}-").removesuffix(".png") for name in shots}
        missing = {screen for screen in EVERY_SCREEN if not any(name.startswith(screen) for name in shown)}
        assert missing == set(), f"{orientation}: no screenshot of {missing}"
        for language in runs[orientation]:
            for screen in (
                "menu",
                "menu-elder",
                "menu-offline",
                "fault",
                "verify-offline",
                "pickup",
                "ticket",
            ):
                assert f"kiosk-{orientation}-{screen}-{language}.png" in shots
        for name in shots:
            assert (screenshot_dir / name).stat().st_size > 5000
