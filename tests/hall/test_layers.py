"""The layers: drivers know no simulator (the entry point chooses a simulated or a real device), and the
kiosk and the controller share tokens, signing and the calendar through hall/, not the case service's code."""

from __future__ import annotations

import ast
from pathlib import Path

from devices.camera.supervised import SupervisedSource
from devices.idcard.factory import OpenedReader
from devices.idcard.sam_serial import SamSerialReader
from firmware_sim.idcard.cards import SimCard, sample_identity
from firmware_sim.idcard.reader import SimulatedReader
from firmware_sim.idcard.sam_emulator import SamReaderEmulator
from hall.settings import Settings
from kiosk.wiring import open_camera, open_card_reader

ROOT = Path(__file__).resolve().parents[2]


def imported_packages(package: str) -> dict[str, set[str]]:
    """Every top-level package each module of `package` imports, lazily or not."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


def test_the_drivers_import_no_simulator() -> None:
    leaks = [module for module, names in imported_packages("devices").items() if "firmware_sim" in names]
    assert leaks == []


def test_the_kiosk_imports_no_case_service_internals() -> None:
    # kiosk/drive.py plays the applicant in tests and screenshots (it signs e-ID codes as the issuer would);
    # it is a tool, not part of the kiosk.
    tools = {"kiosk/drive.py"}
    found = imported_packages("kiosk").items()
    assert [module for module, names in found if "case_service" in names and module not in tools] == []


def test_the_controller_imports_no_case_service_internals() -> None:
    found = imported_packages("hall_controller").items()
    assert [module for module, names in found if "case_service" in names] == []


def test_the_entry_point_opens_the_simulated_reader_for_sim() -> None:
    settings = Settings(devices={"backend": "sim", "idcard": {"interface": "sam", "timeout_seconds": 0.5}})
    opened = open_card_reader(settings)
    try:
        assert isinstance(opened, SimulatedReader) and isinstance(opened.reader, SamSerialReader)
        opened.present(SimCard.of(sample_identity("周杰")))
        assert opened.reader.read_identity().name == "周杰"
    finally:
        opened.close()


def test_the_entry_point_opens_the_configured_port_for_real() -> None:
    with SamReaderEmulator() as emulator:
        emulator.present(SimCard.of(sample_identity()))
        idcard = {"interface": "sam", "serial_port": emulator.port, "timeout_seconds": 0.5}
        opened = open_card_reader(Settings(devices={"backend": "real", "idcard": idcard}))
        try:
            assert type(opened) is OpenedReader
            assert opened.reader.read_identity().name == "张伟"
        finally:
            opened.close()


def test_the_entry_point_simulates_a_camera_only_for_sim(tmp_path: Path) -> None:
    simulated = open_camera("qr_camera", Settings(devices={"backend": "sim"}))
    real = open_camera(
        "qr_camera", Settings(devices={"backend": "real", "camera": {"qr_camera": str(tmp_path)}})
    )
    try:
        assert isinstance(simulated, SupervisedSource) and simulated.name == "simulated qr_camera"
        assert real.name == f"qr_camera {tmp_path.name}"
    finally:
        simulated.close()
        real.close()
