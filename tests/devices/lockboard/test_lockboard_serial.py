"""The serial driver against simulated board firmware on a real pseudo-terminal."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from devices.lockboard.board import BoardTimeoutError
from devices.lockboard.serial_bus import SerialLockBus
from firmware_sim.lockers.physics import BoardFirmware
from firmware_sim.lockers.pty_bus import PtyLockBus


@pytest.fixture
def line() -> Iterator[PtyLockBus]:
    with PtyLockBus([BoardFirmware(0), BoardFirmware(1), BoardFirmware(7)]) as bus:
        yield bus


@pytest.fixture
def driver(line: PtyLockBus) -> Iterator[SerialLockBus]:
    with SerialLockBus(line.port, turnaround=0.1, retries=2) as bus:
        yield bus


def wait_until_open(driver: SerialLockBus, address: int, lock: int, timeout: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if driver.board(address).status().is_open(lock):
            return True
        time.sleep(0.01)
    return False


def test_several_boards_on_one_bus_answer_by_address(line: PtyLockBus, driver: SerialLockBus) -> None:
    line.board(7).force_open(3)
    assert driver.board(7).status().is_open(3)
    assert not driver.board(0).status().is_open(3)
    assert driver.board(1).status().open_bits == 0


def test_unlock_opens_only_that_door_of_that_board(line: PtyLockBus, driver: SerialLockBus) -> None:
    driver.board(1).unlock(5)
    assert wait_until_open(driver, 1, 5)
    assert line.board(1).truly_open(5)
    assert not line.board(0).truly_open(5)
    assert driver.board(1).status().open_bits == 1 << 5


def test_occupancy_is_reported_from_the_infra_red_bitmap(line: PtyLockBus, driver: SerialLockBus) -> None:
    line.board(0).force_open(2)
    line.board(0).put_item(2)
    assert driver.board(0).status().is_occupied(2)


def test_garbage_on_the_line_is_skipped(line: PtyLockBus, driver: SerialLockBus) -> None:
    line.board(0).force_open(9)
    line.inject_noise(b"\x02\x00\x30\xff\x03\x02\x02\x99garbage\x03")
    assert driver.board(0).status().is_open(9)
    assert driver.skipped_bytes > 0
    assert driver.timeouts == 0


def test_a_lost_reply_is_retried(line: PtyLockBus, driver: SerialLockBus) -> None:
    line.swallow_replies(1)
    assert driver.board(1).status().open_bits == 0
    assert driver.timeouts == 1


def test_an_unpowered_board_times_out_and_the_bus_keeps_working(
    line: PtyLockBus, driver: SerialLockBus
) -> None:
    line.board(1).power_off()
    with pytest.raises(BoardTimeoutError):
        driver.board(1).status()
    assert driver.board(0).status().open_bits == 0
    line.board(1).power_on()
    assert driver.board(1).status().open_bits == 0


def test_a_missing_board_address_times_out(driver: SerialLockBus) -> None:
    with pytest.raises(BoardTimeoutError):
        driver.board(4).status()


def test_stale_bytes_from_before_the_request_are_dropped(line: PtyLockBus, driver: SerialLockBus) -> None:
    from devices.lockboard import frames

    # An old, valid-looking reply of the same board sits in the input buffer.
    line.write_raw(frames.status_reply(0, 0xFFFF, 0xFFFF))
    time.sleep(0.05)
    assert driver.board(0).status().open_bits == 0


def test_a_late_reply_is_not_taken_for_the_next_one(line: PtyLockBus) -> None:
    with SerialLockBus(line.port, turnaround=0.2, retries=1) as driver:
        # The first answer comes after the driver gave up on it; the retry's answer is prompt; the next
        # request's answer is slow enough that, without a quiet line, the late first one would pass for it.
        line.delay_replies(0.25, 0.0, 0.1)
        assert driver.board(0).status().open_bits == 0
        line.board(0).force_open(3)
        assert driver.board(0).status().is_open(3)
        assert driver.timeouts == 1


def test_the_reply_timeout_is_the_wire_time_at_the_baud_rate_plus_the_turnaround(line: PtyLockBus) -> None:
    from devices.lockboard import frames

    fast = SerialLockBus(line.port, turnaround=0.01, baud=19200)
    slow = SerialLockBus(line.port, turnaround=0.01, baud=9600)
    # Status: a 5-byte request and a 9-byte reply, 10 bits a byte at 19200 baud = 7.3 ms.
    assert fast.reply_timeout(frames.CMD_STATUS) == pytest.approx(0.01 + 14 * 10 / 19200)
    assert slow.reply_timeout(frames.CMD_STATUS) - 0.01 == pytest.approx(
        2 * (fast.reply_timeout(frames.CMD_STATUS) - 0.01)
    )


def test_a_silent_board_gets_one_try_until_it_answers_again(line: PtyLockBus, driver: SerialLockBus) -> None:
    line.board(1).power_off()
    with pytest.raises(BoardTimeoutError):
        driver.board(1).status()
    assert driver.timeouts == 3 and driver.is_silent(1)  # the first time: the request and 2 retries
    with pytest.raises(BoardTimeoutError):
        driver.board(1).status()
    assert driver.timeouts == 4  # then one try: a dead board costs the line one short wait
    line.board(1).power_on()
    assert driver.board(1).status().open_bits == 0
    assert not driver.is_silent(1)
