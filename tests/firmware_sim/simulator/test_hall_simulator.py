"""The hall simulator: its page clicked in Chromium works the kiosk's devices, which the kiosk's ports read
from outside (the card through the real SAM driver on the simulator's emulated reader); nothing pressed
from another site's page; refused in production, and a kiosk in production refuses it."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from pydantic import ValidationError

from devices.idcard.config import IdCardSettings
from firmware_sim.lockers.doors_page import DoorsPage
from firmware_sim.lockers.rig import LockerRig
from firmware_sim.simulator.bench import SAMPLE_PEOPLE
from firmware_sim.simulator.page import URL_FILE, SimulatorPage, start_simulator
from hall.errors import StartupError
from hall.settings import Mode, Settings, load_settings
from kiosk.adapters.camera import DocumentCamera
from kiosk.adapters.simulator import HallSimulator, SimulatorDesk, SimulatorPrinter, SimulatorScanner
from kiosk.config import KioskSettings
from kiosk.flow.model import CardRefusal, Device
from kiosk.ports import CardRefusedError, DeviceFailureError, PrintDocument, RejectedError
from tests.hall.test_settings import REAL_DEVICES


@pytest.fixture
def simulator(rig: LockerRig, tmp_path: Path) -> Iterator[SimulatorPage]:
    doors = DoorsPage(rig)
    doors.start()
    page = start_simulator(Settings(data_dir=tmp_path), doors=doors)
    yield page
    page.stop()
    doors.stop()


def _press(page: Any, button: str) -> str:
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()
    return str(page.inner_text("#message"))


def test_the_page_works_the_kiosks_devices_from_a_browser(
    simulator: SimulatorPage, rig: LockerRig, tmp_path: Path, chromium: Any, screenshot_dir: Path
) -> None:
    assert (tmp_path / URL_FILE).read_text("utf-8").strip() == simulator.url  # where `hall demo` finds it
    outside = HallSimulator(simulator.url)  # what the kiosk's process holds: an address, no device
    reader = outside.card_reader(IdCardSettings(interface="sam", timeout_seconds=0.5), recheck_seconds=0)
    scanner = SimulatorScanner(outside)
    camera = DocumentCamera(SimulatorDesk(outside), max_frames=10)  # the kiosk's capture path
    printer = SimulatorPrinter(outside, tmp_path / "printed", check_every=0)
    adult, elder, expired = SAMPLE_PEOPLE
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(simulator.url)
    assert reader.current_card() is None

    assert _press(page, f"刷身份证：{elder.label}") == f"已在自助机读卡器放上身份证：{elder.label}"
    card = reader.current_card()
    assert card is not None and (card.name, card.id_number) == ("王秀英", elder.identity.id_number)
    assert elder.identity.id_number not in page.content()  # the page masks the number it shows
    _press(page, f"刷身份证：{expired.label}")
    with pytest.raises(CardRefusedError) as refused:
        reader.current_card()
    assert refused.value.reason is CardRefusal.EXPIRED
    assert _press(page, "拿走身份证") == "已从读卡器拿走身份证" and reader.current_card() is None
    page.fill("input[name=name]", "钱多多")
    page.fill("input[name=born]", "1950-01-02")
    _press(page, "刷此人的身份证")
    card = reader.current_card()
    assert card is not None and card.name == "钱多多" and card.id_number[6:14] == "19500102"

    assert scanner.next_code() is None
    _press(page, f"电子身份证：{adult.label}")
    code = scanner.next_code()
    assert code is not None and code.startswith("EID1.") and scanner.next_code() is None  # shown once
    page.fill("input[name=text]", "PK1.pickup-from-the-sms")
    _press(page, "出示二维码")
    assert scanner.next_code() == "PK1.pickup-from-the-sms"

    page.fill("input[name=eid_name]", "钱多多")
    page.fill("input[aria-label=电子身份证出生日期]", "1950-01-02")
    assert _press(page, "出示此人的电子身份证") == "已向扫码口出示电子身份证二维码：钱多多"
    named = scanner.next_code()
    assert named is not None and named.startswith("EID1.") and named != code

    with pytest.raises(RejectedError, match="capture_no_page"):  # the empty desk: no page in any frame
        camera.capture_page()
    pages = []
    for _page in range(2):  # each page laid is another desk scene, found and flattened by devices/capture
        assert _press(page, "放上一页材料") == "材料已放在高拍仪下"
        with Image.open(io.BytesIO(camera.capture_page())) as flat:
            assert abs(flat.height / flat.width - 297 / 210) < 0.02
            pages.append(flat.tobytes())
    assert pages[0] != pages[1]
    _press(page, "拿走材料")
    with pytest.raises(RejectedError):
        camera.capture_page()

    document = PrintDocument(title="提交回执", pdf=b"%PDF-1.4 receipt")
    assert printer.problem() is None and printer.print_document(document) == "sim-1"
    assert _press(page, "取出纸张（缺纸）") == "打印机已缺纸"
    assert printer.problem() == "media-empty"
    with pytest.raises(DeviceFailureError) as failed:
        printer.print_document(document)
    assert failed.value.device is Device.PRINTER
    assert "纸张：缺纸" in page.inner_text("#printer")

    board, lock = rig.firmware(3)
    board.force_open(lock)  # the controller opened it for a pickup; the person walks off
    page.reload()
    page.screenshot(path=str(screenshot_dir / "demo_hall_simulator_1366.png"), full_page=True)
    assert _press(page, "关上第 3 格柜门") == "第 3 格：已关门" and not board.truly_open(lock)
    _press(page, "装纸")
    assert printer.problem() is None
    context.close()
    outside.close()


def test_another_sites_page_cannot_press_the_buttons(simulator: SimulatorPage) -> None:
    evil = {"Origin": "http://evil.example"}
    answer = httpx.post(f"{simulator.url}card", data={"person": "adult"}, headers=evil, timeout=5)
    assert answer.status_code == 403 and simulator.bench.on_reader == ""
    assert httpx.post(f"{simulator.url}nowhere", timeout=5).status_code == 404
    said = httpx.post(f"{simulator.url}qr", data={"text": ""}, timeout=5).headers["location"]
    assert "%E8%AF%B7%E7%B2%98%E8%B4%B4" in said and simulator.bench.next_code() is None  # 请粘贴…


def test_refused_in_production_and_by_a_production_kiosk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(StartupError, match="development only"):
        start_simulator(Settings(mode=Mode.PRODUCTION, data_dir=tmp_path))
    assert not (tmp_path / URL_FILE).exists()
    monkeypatch.setenv("HALL_MODE", "production")
    monkeypatch.setenv("HALL_KIOSK__SIMULATOR_URL", "http://127.0.0.1:18123/")
    for key, value in REAL_DEVICES.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(StartupError, match="refuses the hall simulator; unset HALL_KIOSK__SIMULATOR_URL"):
        load_settings().check_process_devices("kiosk")


def test_the_kiosk_takes_a_simulator_on_this_machine_only() -> None:
    assert KioskSettings(simulator_url="http://127.0.0.1:8123/").simulator_url
    for elsewhere in ("http://10.1.2.3:8123/", "https://127.0.0.1:8123/", "http://127.0.0.1.evil:80/"):
        with pytest.raises(ValidationError):
            KioskSettings(simulator_url=elsewhere)
