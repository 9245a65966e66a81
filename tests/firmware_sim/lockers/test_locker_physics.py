"""Door physics of the simulated board, on a hand-driven clock."""

from __future__ import annotations

import pytest

from devices.lockboard import frames
from firmware_sim.lockers.physics import BoardFirmware


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def status(board: BoardFirmware) -> frames.BoardStatus:
    reply = board.handle(frames.Frame(board.address, frames.CMD_STATUS, b""))
    assert reply is not None
    return frames.decode_status(frames.FrameParser(frames.REPLY_LENGTHS).feed(reply)[0])


def unlock(board: BoardFirmware, lock: int) -> bytes | None:
    return board.handle(frames.Frame(board.address, frames.CMD_UNLOCK, bytes([lock])))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def board(clock: Clock) -> BoardFirmware:
    return BoardFirmware(3, pulse_seconds=0.3, spring_seconds=0.02, clock=clock)


def test_door_springs_open_after_the_pulse_starts_and_stays_open(clock: Clock, board: BoardFirmware) -> None:
    assert unlock(board, 4) == frames.unlock_reply(3, 4)
    assert not status(board).is_open(4)
    clock.now += 0.05
    assert status(board).is_open(4)
    clock.now += 3600
    assert status(board).is_open(4)


def test_a_person_closes_the_door_once_the_pulse_is_over(clock: Clock, board: BoardFirmware) -> None:
    unlock(board, 1)
    clock.now += 0.05
    board.close_door(1)  # relay still pulsing: the latch does not catch
    assert status(board).is_open(1)
    clock.now += 0.5
    board.close_door(1)
    assert not status(board).is_open(1)


def test_a_jammed_door_does_not_open(clock: Clock, board: BoardFirmware) -> None:
    board.jam(2)
    assert unlock(board, 2) is not None  # the pulse was given
    clock.now += 1
    assert not status(board).is_open(2)


def test_a_lying_sensor_reports_its_stuck_value(clock: Clock, board: BoardFirmware) -> None:
    board.lie(0, reports_open=False)
    unlock(board, 0)
    clock.now += 1
    assert board.truly_open(0)
    assert not status(board).is_open(0)


def test_power_loss_mid_pulse_leaves_the_door_shut_and_relays_off_at_boot(
    clock: Clock, board: BoardFirmware
) -> None:
    unlock(board, 6)
    clock.now += 0.01  # before the spring released
    board.power_off()
    assert unlock(board, 6) is None and board.handle(frames.Frame(3, frames.CMD_STATUS, b"")) is None
    clock.now += 5
    board.power_on()
    assert not status(board).is_open(6)
    assert all(door.pulse_started is None for door in board.doors)
    assert board.boots == 2


def test_an_open_door_stays_open_across_a_power_loss(clock: Clock, board: BoardFirmware) -> None:
    unlock(board, 6)
    clock.now += 0.05
    board.power_off()
    board.power_on()
    assert status(board).is_open(6)


def test_items_go_in_and_out_only_through_an_open_door(clock: Clock, board: BoardFirmware) -> None:
    with pytest.raises(RuntimeError):
        board.put_item(5)
    board.force_open(5)
    board.put_item(5)
    assert status(board).is_occupied(5)
    board.take_item(5)
    assert not status(board).is_occupied(5)


def test_frames_for_other_boards_and_bad_locks_get_no_answer(board: BoardFirmware) -> None:
    assert board.handle(frames.Frame(4, frames.CMD_STATUS, b"")) is None
    assert board.handle(frames.Frame(3, frames.CMD_UNLOCK, bytes([16]))) is None
