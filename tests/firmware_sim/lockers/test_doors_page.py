"""The demo's locker doors page: a door pried open and the result put in and shut from the browser, the
simulated boards changed accordingly; nothing pressed from another site's page; refused in production."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from devices.protocol.lockers import PickupMethod
from firmware_sim.lockers.doors_page import URL_FILE, DoorsPage, start_doors_page
from firmware_sim.lockers.rig import LockerRig
from hall.errors import StartupError
from hall.settings import Mode, Settings


@pytest.fixture
def typed() -> list[tuple[PickupMethod, str]]:
    """What the bank's keypad and reader took (the gateway's `enter` in `hall devices`)."""
    return []


@pytest.fixture
def doors(rig: LockerRig, tmp_path: Path, typed: list[tuple[PickupMethod, str]]) -> Iterator[DoorsPage]:
    page = start_doors_page(rig, Settings(data_dir=tmp_path), keypad=lambda m, v: typed.append((m, v)))
    yield page
    page.stop()


def test_doors_opened_and_closed_from_the_page(
    rig: LockerRig,
    doors: DoorsPage,
    typed: list[tuple[PickupMethod, str]],
    tmp_path: Path,
    chromium: Any,
    screenshot_dir: Path,
) -> None:
    assert (tmp_path / URL_FILE).read_text("utf-8").strip() == doors.url  # where `hall demo` finds it
    context = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    page.goto(doors.url)
    assert page.locator("tr[id^=door-]").count() == len(rig.bank.slots) == 8
    row = page.locator("#door-3")
    assert "关，空" in row.locator(".state").inner_text()
    with page.expect_navigation():
        row.get_by_role("button", name="强行打开").click()
    board, lock = rig.firmware(3)
    assert board.truly_open(lock) and "开，空" in page.locator("#door-3 .state").inner_text()
    with page.expect_navigation():
        page.locator("#door-3").get_by_role("button", name="放入物品并关门").click()
    assert page.inner_text("#message") == "第 3 格：已放入物品并关门"
    assert not board.truly_open(lock) and board.doors[lock].occupied
    assert "关，有物品" in page.locator("#door-3 .state").inner_text()
    with page.expect_navigation():
        page.locator("#door-5").get_by_role("button", name="卡住柜门").click()
    board5, lock5 = rig.firmware(5)
    assert board5.doors[lock5].jammed and "卡住" in page.locator("#door-5 .state").inner_text()
    page.fill("#keypad input[name=value]", "12345678")
    with page.expect_navigation():
        page.locator("#keypad button").click()
    assert typed == [(PickupMethod.CODE, "12345678")] and "已在柜机键盘输入取件码" in page.inner_text(
        "#message"
    )
    page.select_option("#keypad select[name=method]", "id_card")
    page.fill("#keypad input[name=value]", "11010119900307123x")
    with page.expect_navigation():
        page.locator("#keypad button").click()
    assert typed[-1] == (PickupMethod.ID_CARD, "11010119900307123X")
    for size, viewport in {"1366": (1366, 768), "1920": (1920, 1080)}.items():
        page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
        page.screenshot(path=str(screenshot_dir / f"demo_locker_doors_{size}.png"), full_page=True)
    context.close()


def test_another_sites_page_cannot_press_the_buttons(rig: LockerRig, doors: DoorsPage) -> None:
    answer = httpx.post(f"{doors.url}door/2/force", headers={"Origin": "http://evil.example"}, timeout=5)
    assert answer.status_code == 403
    board, lock = rig.firmware(2)
    assert not board.truly_open(lock)
    assert httpx.post(f"{doors.url}door/99/force", timeout=5).headers["location"].endswith("%E6%A0%BC")


def test_refused_in_production(rig: LockerRig, tmp_path: Path) -> None:
    with pytest.raises(StartupError, match="development only"):
        start_doors_page(rig, Settings(mode=Mode.PRODUCTION, data_dir=tmp_path))
    assert not (tmp_path / URL_FILE).exists()
