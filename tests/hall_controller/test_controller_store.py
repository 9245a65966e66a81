"""The store and the alarm book on a real SQLite file, reopened as after a restart."""

from __future__ import annotations

import dataclasses
import logging
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devices.protocol.health import HealthCode, issue
from devices.protocol.payloads import CompletionCode, Phase, Response, Severity
from hall_controller import alarms
from hall_controller.alarms import Alarm, AlarmBook, AlarmError, Source
from hall_controller.commands import CommandTracker
from hall_controller.store import FLUSH_SECONDS, Collection, Store


def reopen(path: Path) -> Store:
    store = Store(path)
    store.open()
    return store


def test_documents_survive_reopening(tmp_path: Path) -> None:
    store = reopen(tmp_path / "c.db")
    tickets = store.collection("queue.tickets")
    tickets.put("A012", {"number": "A012", "name": "张三"})
    tickets.put("A013", {"number": "A013"})
    assert tickets.delete("A013") and not tickets.delete("A013")
    store.close()
    again = reopen(tmp_path / "c.db")
    assert again.collection("queue.tickets").items() == [("A012", {"number": "A012", "name": "张三"})]
    assert len(again.collection("lockers")) == 0
    again.close()


def test_a_failed_transaction_writes_nothing(tmp_path: Path) -> None:
    store = reopen(tmp_path / "c.db")
    counters = store.collection("counters")
    with pytest.raises(RuntimeError), store.transaction():
        counters.put("a", {"n": 1})
        raise RuntimeError("boom")
    assert counters.get("a") is None
    with store.transaction():
        counters.put("a", {"n": 2})
    assert counters.get("a") == {"n": 2}
    store.close()


def test_alarms_raise_clear_acknowledge_and_persist(tmp_path: Path) -> None:
    store = reopen(tmp_path / "c.db")
    book = AlarmBook(store.collection("alarms"))
    book.load()
    raised = book.reconcile_issues("printer", [issue(HealthCode.PAPER_OUT)], now=10)
    assert [(a.code, a.severity) for a in raised] == [("paper-out", Severity.CRITICAL)]
    assert book.reconcile_issues("printer", [issue(HealthCode.PAPER_OUT)], now=11) == []
    extension = book.raise_alarm(
        "locker-1", "door-forced", Severity.CRITICAL, "x", source=Source.EXTENSION, now=12
    )
    assert extension is not None
    cleared = book.reconcile_issues("printer", [], now=20)
    assert [a.cleared_at for a in cleared] == [20]
    # cleared but not acknowledged: still needs attention
    assert {a.code for a in book.attention()} == {"paper-out", "door-forced"}
    book.acknowledge(raised[0].alarm_id, "王经理", now=30)
    assert {a.code for a in book.attention()} == {"door-forced"}
    with pytest.raises(AlarmError):
        book.acknowledge("nope", "x", now=31)
    store.close()

    again = AlarmBook(reopen(tmp_path / "c.db").collection("alarms"))
    again.load(now=100)
    assert {a.code for a in again.attention()} == {"door-forced"}
    history = again.history()
    assert [a.acknowledged_by for a in history if a.code == "paper-out"] == ["王经理"]


def test_each_event_is_an_alarm_of_its_own_and_a_condition_is_one_alarm(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = reopen(tmp_path / "c.db")
    book = AlarmBook(store.collection("alarms"))
    book.load(now=0)
    caplog.set_level(logging.INFO, logger="hall_controller.alarms")
    forced = "door_opened_without_unlock"
    text = "第 3 格: 11010119900307123X 13912345678"  # as a careless raiser might write it
    first = book.raise_alarm("bank", forced, Severity.CRITICAL, text, source=Source.EXTENSION, now=1)
    second = book.raise_alarm("bank", forced, Severity.CRITICAL, "第 3 格", source=Source.EXTENSION, now=2)
    assert first is not None and second is not None and first.alarm_id != second.alarm_id
    # Over once seen, open until acknowledged.
    assert first.event and not first.active and first.needs_attention and first.cleared_at == 1
    # A lasting condition stays one alarm while it lasts.
    offline = book.raise_alarm("led", "offline", Severity.WARNING, "x", source=Source.CONTROLLER, now=1)
    assert offline is not None and offline.active and not offline.event
    assert book.raise_alarm("led", "offline", Severity.WARNING, "x", source=Source.CONTROLLER, now=2) is None
    assert {a.alarm_id for a in book.attention()} == {first.alarm_id, second.alarm_id, offline.alarm_id}

    assert book.unacknowledged_count()[Severity.CRITICAL] == 2 and book.active_count()[Severity.CRITICAL] == 0
    book.acknowledge(first.alarm_id, "王经理", now=3)
    assert {a.alarm_id for a in book.attention()} == {second.alarm_id, offline.alarm_id}
    assert book.unacknowledged_count()[Severity.CRITICAL] == 1
    assert [a.alarm_id for a in book.acknowledged(10)] == [first.alarm_id]
    # No ID or phone number in the alarm, nor in its line in the log.
    assert "110***********123X" in first.message and "139****5678" in first.message
    lines = [r.getMessage() for r in caplog.records if r.name == "hall_controller.alarms"]
    assert any(forced in line and "第 3 格" in line for line in lines), lines
    assert not any("11010119900307123X" in line or "13912345678" in line for line in lines), lines
    store.close()


def test_event_alarms_are_bounded_and_old_active_ones_close_at_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = reopen(tmp_path / "c.db")
    collection = store.collection("alarms")
    # Written by a controller that still held event alarms active.
    old = Alarm("a1", "bank", "foreign_command", Severity.CRITICAL, "x", Source.CONTROLLER, 5.0)
    collection.put(old.alarm_id, old.to_document())
    book = AlarmBook(collection)
    book.load(now=10)
    [loaded] = book.attention()
    assert loaded.alarm_id == "a1" and not loaded.active and loaded.acknowledged_at is None
    assert Alarm.from_document(collection.get("a1") or {}) == dataclasses.replace(old, cleared_at=5.0)

    monkeypatch.setattr(alarms, "EVENTS_UNACKNOWLEDGED", 3)
    raised = [
        book.raise_alarm("bank", "foreign_command", Severity.CRITICAL, "x", source=Source.CONTROLLER, now=n)
        for n in range(11, 14)
    ]
    assert all(raised[:2]) and raised[2] is None  # a1 and two more: three unacknowledged
    book.acknowledge("a1", "m", now=20)
    assert book.raise_alarm(
        "bank", "foreign_command", Severity.CRITICAL, "x", source=Source.CONTROLLER, now=21
    )
    store.close()


def test_tracker_completes_on_completion_and_times_out_otherwise() -> None:
    tracker = CommandTracker()
    done = tracker.register("dev", "beep", "r1", timeout=5)
    late = tracker.register("dev", "beep", "r2", timeout=0)
    assert tracker.on_response("other", Response(request_id="r1", command="beep", phase=Phase.ACK)) is None
    tracker.on_response("dev", Response(request_id="r1", command="beep", phase=Phase.ACK))
    outcome = tracker.on_response(
        "dev", Response(request_id="r1", command="beep", phase=Phase.COMPLETION, code=CompletionCode.SUCCESS)
    )
    assert outcome is not None and outcome.acknowledged and done.result(0) == outcome
    [expired] = tracker.expire()
    assert expired.request_id == "r2" and late.result(0).code is CompletionCode.TIME_OUT
    assert tracker.in_flight() == 0


def test_closed_alarms_leave_the_history_after_its_horizon(tmp_path: Path) -> None:
    store = reopen(tmp_path / "c.db")
    book = AlarmBook(store.collection("alarms"), history_days=1)
    book.load(now=0)
    old = book.raise_alarm("led-1", "display-error", Severity.WARNING, "x", source=Source.DEVICE, now=0)
    open_old = book.raise_alarm("led-2", "display-error", Severity.WARNING, "x", source=Source.DEVICE, now=0)
    assert old is not None and open_old is not None
    book.clear("led-1", "display-error", now=10)
    book.acknowledge(old.alarm_id, "m", now=20)
    reloaded = AlarmBook(store.collection("alarms"), history_days=1)
    reloaded.load(now=2 * 86400)
    # The closed one is gone; the one still active stays however old it is.
    assert [a.alarm_id for a in reloaded.history()] == [open_old.alarm_id]
    assert len(store.collection("alarms")) == 1
    store.close()


APPENDER = """
import sys, time
from pathlib import Path
from hall_controller.store import Store
store = Store(Path(sys.argv[1]))
store.open()
journal = store.collection("queue.journal.2026-12-06")
for index in range(int(sys.argv[2])):
    journal.append(f"{index:09d}", {"type": "called", "number": f"A{index:03d}"})
print("appended", flush=True)
time.sleep(60)
"""


def test_a_storm_of_offline_alarms_is_fsynced_in_groups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """300 devices going offline at once: each alarm is committed at once (an append, kept whatever kills
    the process), none by an fsynced put, and the flusher fsyncs them in a few groups."""
    store = reopen(tmp_path / "c.db")
    puts: list[str] = []
    original_put = Collection.put

    def counted_put(self: Collection, key: str, document: dict[str, object]) -> None:
        puts.append(key)
        original_put(self, key, document)

    monkeypatch.setattr(Collection, "put", counted_put)
    book = AlarmBook(store.collection("controller.alarms"))
    for index in range(300):
        raised = book.raise_alarm(
            f"sim-{index:04d}", "offline", Severity.WARNING, "离线 offline", source=Source.CONTROLLER, now=1.0
        )
        assert raised is not None
    assert puts == []
    deadline = time.monotonic() + 10
    while store.flushes == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert 1 <= store.flushes < 300 / 10
    book.clear("sim-0007", "offline", 2.0)
    assert puts == []
    store.close()
    again = reopen(tmp_path / "c.db")
    reloaded = AlarmBook(again.collection("controller.alarms"))
    reloaded.load(now=3.0)
    assert reloaded.active_count()[Severity.WARNING] == 299
    again.close()


def test_appends_survive_the_process_being_killed_at_once(tmp_path: Path) -> None:
    """`append` returns once committed: a SIGKILL right after (no close, no flush) loses none of them."""
    path = tmp_path / "c.db"
    child = subprocess.Popen(
        [sys.executable, "-c", APPENDER, str(path), "500"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "appended"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    store = reopen(path)
    items = store.collection("queue.journal.2026-12-06").items()
    assert [key for key, _body in items] == [f"{index:09d}" for index in range(500)]
    assert items[-1][1] == {"type": "called", "number": "A499"}
    store.close()


def test_appends_are_fsynced_in_groups_and_puts_stay_fully_synchronous(tmp_path: Path) -> None:
    store = reopen(tmp_path / "c.db")
    journal = store.collection("journal")
    for index in range(200):
        journal.append(f"{index:09d}", {"n": index})
    assert store.execute("PRAGMA synchronous") == [(2,)]  # FULL again for every other write
    deadline = time.monotonic() + 10
    while store.flushes == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert 1 <= store.flushes < 200 / 4  # one fsync for a burst, not one per append
    flushed = store.flushes
    time.sleep(3 * FLUSH_SECONDS)
    assert store.flushes <= flushed + 1  # nothing appended since: the flusher sleeps
    with store.transaction():  # inside a transaction an append is that transaction's write
        journal.append("x", {"n": -1})
        journal.put("y", {"n": -2})
    assert journal.get("x") == {"n": -1}
    store.close()
    again = reopen(tmp_path / "c.db")
    assert again.collection("journal").get("000000199") == {"n": 199}
    again.close()


def _in_the_database_file(path: Path, collection: str) -> int:
    """Documents of `collection` in the database file alone (a copy without its WAL): what checkpoints
    have copied there."""
    alone = path.with_name("alone.db")
    shutil.copyfile(path, alone)
    with sqlite3.connect(alone) as connection:
        tables = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        count = (
            connection.execute(
                "SELECT count(*) FROM documents WHERE collection = ?", (collection,)
            ).fetchone()[0]
            if ("documents",) in tables
            else 0  # not even the table has been copied there yet
        )
    alone.unlink()
    return int(count)


def test_no_write_checkpoints_and_the_flusher_does_once_enough_have_come(tmp_path: Path) -> None:
    # With a threshold out of reach the flusher never checkpoints: whatever reached the database file
    # would have been copied by a write itself (SQLite's automatic checkpoint: at 1,000 WAL pages, with
    # two fsyncs, in the middle of an append on a keypad's call).
    path = tmp_path / "c.db"
    store = Store(path, checkpoint_writes=10**9)
    store.open()
    journal = store.collection("journal")
    for index in range(1500):
        journal.append(f"{index:09d}", {"n": index, "text": "叫号 call " * 20})
    journal.put("last", {"n": -1})
    assert path.with_name("c.db-wal").stat().st_size > 1000 * 4096  # past the automatic checkpoint
    assert _in_the_database_file(path, "journal") == 0
    assert store.checkpoints == 0
    store.close()  # SQLite's last connection checkpoints as it closes
    assert _in_the_database_file(path, "journal") == 1501

    store = Store(path, checkpoint_writes=500)
    store.open()
    journal = store.collection("later")
    for index in range(600):
        journal.append(f"{index:09d}", {"n": index})
    deadline = time.monotonic() + 10
    while store.checkpoints == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert store.checkpoints >= 1
    assert _in_the_database_file(path, "later") >= 500
    assert journal.get("000000599") == {"n": 599}
    store.close()
