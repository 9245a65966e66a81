"""The manager's floor view on the controller's dashboard: windows (open / serving / paused, who, since
when), lockers by state with where each is, the day's queue figures, and what to do beside each alarm.

The browser test runs the real queue and lockers extensions on Mosquitto, the locker bank on pty lock
boards behind its gateway; the page is read in Chromium after a manager signs in, and its figures are held
to the locker database read with SQL of the test's own and to the queue's journal replayed apart."""

from __future__ import annotations

import functools
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from devices.lockboard.gateway import LockerGateway
from devices.protocol.health import HealthCode
from firmware_sim.device import SimulatedDevice
from firmware_sim.lockers.rig import start_rig
from hall.calendar import CHINA_TZ
from hall_controller.app import create_app
from hall_controller.controller import HallController
from hall_controller.floor import LockerState, WindowState, locker_floor, window_floor
from hall_controller.lockers.allocation import Size
from hall_controller.lockers.extension import LockersExtension
from hall_controller.lockers.notify import FileSmsProvider
from hall_controller.lockers.ports import InMemoryCaseClient
from hall_controller.lockers.repository import Compartment
from hall_controller.lockers.service import LockerPolicy
from hall_controller.queue.book import QueueBook
from hall_controller.queue.config import demo_config
from hall_controller.queue.events import Source
from hall_controller.queue.extension import QueueExtension
from tests.fixtures.mqtt import Broker
from tests.hall_controller.harness import (
    controller_settings,
    new_hall_id,
    serving,
    staff_headers,
    staff_token,
    wait_until,
)
from tests.hall_controller.queue.morning import MORNING, SimClock

BANK = "locker-bank-01"
LOCKERS = "/api/v1/ext/lockers"
QUEUE = "/api/v1/ext/queue"
PERSON = "11010519491231002X"


# -- the pure rules ---------------------------------------------------------------------------------------


def test_each_window_reads_as_its_state_since_it_entered_it() -> None:
    config = demo_config()
    numbers = sorted(window.number for window in config.windows)
    book = QueueBook(config, datetime.fromtimestamp(MORNING, CHINA_TZ).date())
    book.sign_in(numbers[0], "clerk1", MORNING)
    book.sign_in(numbers[1], "clerk2", MORNING + 60)
    book.pause(numbers[1], "午休", MORNING + 120)
    book.issue("business", MORNING + 130, source=Source.WINDOW)
    book.call_next(numbers[0], MORNING + 300)
    views = {view.number: view for view in window_floor(book, MORNING + 900)}
    assert list(views) == numbers
    serving_now = views[numbers[0]]
    assert serving_now.state == WindowState.SERVING and serving_now.clerk == "clerk1"
    assert serving_now.since == MORNING + 300 and serving_now.seconds == 600
    assert serving_now.ticket is not None
    paused = views[numbers[1]]
    assert (paused.state, paused.reason, paused.seconds) == (WindowState.PAUSED, "午休", 780)
    closed = views[numbers[2]]
    assert (closed.state, closed.clerk, closed.since) == (WindowState.CLOSED, None, None)
    book.finish(numbers[0], "受理", MORNING + 1000)
    after = {view.number: view for view in window_floor(book, MORNING + 1200)}[numbers[0]]
    assert (after.state, after.ticket, after.since) == (WindowState.OPEN, None, MORNING)


def test_lockers_count_by_state_and_list_where_the_others_are() -> None:
    states = ["free", "reserved", "occupied", "fault", "unknown", "free", "odd", "occupied"]
    rows = [
        Compartment(f"{BANK}/{n:02d}", BANK, n, Size.L if n == 3 else Size.S, state, f"d{n}")
        for n, state in enumerate(states, 1)
    ]
    floor = locker_floor(rows, {BANK: "东门 east door"}, uncollected={"d3", "d9"})
    assert floor["counts"] == {"free": 2, "occupied": 3, "fault": 1, "unknown": 2}
    # What the lockers' panel used to add: the finer state, the size, the results left past pickup.
    by_number = {row["number"]: row for row in floor["compartments"]}
    assert by_number[2]["detail"] == "存件中 depositing"
    assert by_number[3]["detail"] == "待取件 awaiting pickup"
    assert (by_number[3]["size"], by_number[2]["size"]) == ("L", "S")
    assert [n for n, row in by_number.items() if row["uncollected"]] == [3] and floor["uncollected"] == 1
    listed = [(row["number"], row["state"], row["place"]) for row in floor["compartments"]][:5]
    assert listed == [
        (2, LockerState.OCCUPIED, "东门 east door"),
        (3, LockerState.OCCUPIED, "东门 east door"),
        (4, LockerState.FAULT, "东门 east door"),
        (5, LockerState.UNKNOWN, "东门 east door"),
        (7, LockerState.UNKNOWN, "东门 east door"),
    ]


# -- in Chromium, against the real extensions --------------------------------------------------------------


def is_ready(cases: InMemoryCaseClient, case_id: str) -> bool:
    return cases.states[case_id] == "ready_for_pickup"


def ready_deposits_by_sql(database: Path) -> int:
    """Results in the bank awaiting pickup, straight from the locker database."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        query = "SELECT COUNT(*) FROM locker_deposits WHERE state = 'ready'"
        return int(connection.execute(query).fetchone()[0])


def locker_counts_by_sql(database: Path) -> dict[str, int]:
    """The compartments per state, straight from the locker database (the floor's grouping by hand)."""
    grouped = {"free": "free", "reserved": "occupied", "occupied": "occupied", "fault": "fault"}
    counts = dict.fromkeys(("free", "occupied", "fault", "unknown"), 0)
    assert database.exists(), database
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        query = "SELECT state, COUNT(*) FROM locker_compartments GROUP BY state"
        for state, count in connection.execute(query):
            counts[grouped.get(state, "unknown")] += count
    return counts


@pytest.mark.integration
@pytest.mark.slow
def test_the_floor_view_on_the_managers_dashboard(
    mosquitto: Broker, tmp_path: Path, page: Any, screenshot_dir: Path
) -> None:
    hall_id = new_hall_id()
    clock = SimClock()
    config = demo_config()
    numbers = sorted(window.number for window in config.windows)
    rig = start_rig(pulse_seconds=0.05, open_timeout=1.5)
    gateway = LockerGateway(hall_id, BANK, rig.bank, poll_seconds=0.02)
    printer = SimulatedDevice(hall_id, "ticket-printer-01", "ticket_printer", model="TP-80")
    cases = InMemoryCaseClient()
    # A result is overdue one second after it went in: both of the test's are by the time the page is read.
    policy = LockerPolicy(uncollected_after_days=1 / 86400)
    lockers = functools.partial(
        LockersExtension, cases=cases, sms=FileSmsProvider(tmp_path / "sms.jsonl"), policy=policy
    )
    queue = QueueExtension.factory(config=config, clock=clock, deliver_ratings=False)
    settings = controller_settings(mosquitto.url, tmp_path, hall_id)
    app = create_app(settings, [queue, lockers])
    controller: HallController = app.state.controller
    try:
        with serving(app) as url:
            gateway.start(mosquitto.url)
            printer.start(mosquitto.url)
            try:
                clerk1 = staff_headers(settings, "clerk1")
                with httpx.Client(base_url=url, headers=clerk1, timeout=30) as client:
                    assert wait_until(lambda: len(client.get(f"{LOCKERS}/compartments").json()) == 8, 20)
                    # Two results in the bank, one compartment jammed (a fault).
                    for index, size in enumerate(["S", "L"]):
                        case = {"case_id": f"F-{index}", "phone": "13912345678", "id_number": PERSON}
                        assert client.post(f"{LOCKERS}/demo-cases", json=case).status_code == 200
                        body = {"case_id": f"F-{index}", "size": size, "clerk": "clerk1"}
                        number = client.post(f"{LOCKERS}/deposits", json=body).json()["number"]
                        rig.person_puts_item_and_closes(number)
                        assert wait_until(functools.partial(is_ready, cases, f"F-{index}"), 30)
                    rig.firmware(3)[0].jam(rig.firmware(3)[1])
                    case = {"case_id": "F-9", "phone": "13912345678", "id_number": PERSON}
                    assert client.post(f"{LOCKERS}/demo-cases", json=case).status_code == 200
                    body = {"case_id": "F-9", "size": "M", "clerk": "c"}
                    jammed = client.post(f"{LOCKERS}/deposits", json=body)
                    assert jammed.status_code == 409, jammed.text

                    # The queue: clerk1 serving at the first window, clerk2 paused at the second.
                    def act(headers: dict[str, str], window: int, **key: str) -> None:
                        done = client.post(f"{QUEUE}/windows/{window}/actions", json=key, headers=headers)
                        assert done.status_code == 200, done.text

                    clerk2 = staff_headers(settings, "clerk2")
                    act(clerk1, numbers[0], key="sign-in")
                    clock.advance(60)
                    act(clerk2, numbers[1], key="sign-in")
                    for _ in range(3):
                        ticket = {"service": "business", "source": "window"}
                        issued = client.post(f"{QUEUE}/tickets", json=ticket)
                        assert issued.status_code == 201, issued.text
                    clock.advance(240)
                    act(clerk1, numbers[0], key="next")
                    clock.advance(120)
                    act(clerk2, numbers[1], key="pause", reason="午休")
                    clock.advance(600)
                printer.raise_issue(HealthCode.PAPER_OUT)

                # A stranger, and a clerk, get nothing of the floor: it names the clerks.
                floor_url = f"{url}/api/v1/dashboard/floor"
                assert httpx.get(floor_url, timeout=10).status_code == 401
                assert httpx.get(floor_url, headers=clerk1, timeout=10).status_code == 403
                page.goto(url)
                page.wait_for_selector("tr[data-alarm] >> text=缺纸", timeout=15000)
                assert page.locator("#floor-view").is_hidden()
                assert "clerk1" not in page.inner_text("body")
                page.evaluate(
                    "token => sessionStorage.setItem('hall-staff-token', token)",
                    staff_token(settings, "clerk1", ("clerk",)),
                )
                page.wait_for_selector("#floor-note >> text=仅值班经理可见", timeout=10000)
                manager = staff_token(settings, "manager1", ("manager",))
                page.evaluate("token => sessionStorage.setItem('hall-staff-token', token)", manager)
                page.wait_for_selector("#floor-view:not([hidden])", timeout=10000)

                # The windows as the clerks left them.
                first = page.locator(f'[data-window="{numbers[0]}"]')
                assert first.locator("[data-state]").get_attribute("data-state") == "serving"
                assert "clerk1" in first.inner_text() and "A001" in first.inner_text()
                assert "12分钟" in first.inner_text()  # called 720 s ago, by the queue's clock
                assert "08:35:00" in first.inner_text()  # in the hall's time, whatever Chromium's zone
                second = page.locator(f'[data-window="{numbers[1]}"]')
                assert second.locator("[data-state]").get_attribute("data-state") == "paused"
                assert "clerk2" in second.inner_text() and "午休" in second.inner_text()
                assert "10分钟" in second.inner_text() and "08:37:00" in second.inner_text()
                for number in numbers[2:]:
                    assert page.locator(f'[data-window="{number}"] [data-state]').get_attribute(
                        "data-state"
                    ) == ("closed")

                # The day's figures: against the journal replayed apart from the running controller.
                extension = next(e for e in controller.extensions if isinstance(e, QueueExtension))
                today = extension.service.read(lambda book: book.day)
                (day,) = extension.service.books(today, today)
                waiting = len(day.waiting())
                assert waiting == 2 and len(day.tickets) == 3

                def tile(key: str) -> str:
                    return str(page.inner_text(f'[data-day="{key}"] b'))

                assert (tile("issued"), tile("waiting"), tile("windows_open")) == ("3", str(waiting), "2")
                assert tile("served") == "0"

                # Lockers by state: against the locker database read with SQL.
                database = settings.data_dir / f"lockers-{hall_id}.db"
                expected = locker_counts_by_sql(database)
                assert expected["occupied"] == 2 and expected["fault"] >= 1
                for state, count in expected.items():
                    assert page.inner_text(f'[data-lockers="{state}"] b') == str(count), state
                fault_rows = page.locator("#lockers tr", has_text="故障 fault")
                assert fault_rows.count() == expected["fault"]
                assert BANK in fault_rows.first.inner_text()
                # One place for the lockers: what their panel showed is here (size, awaiting pickup, the
                # results left past the pickup period), and there is no second lockers panel.
                ready = ready_deposits_by_sql(database)
                assert ready == 2
                page.wait_for_selector(f'[data-lockers="uncollected"] b >> text="{ready}"', timeout=10000)
                waiting_rows = page.locator("#lockers tr", has_text="待取件 awaiting pickup")
                assert waiting_rows.count() == ready
                sizes = [waiting_rows.nth(i).locator("td").nth(3).inner_text() for i in range(ready)]
                assert sorted(sizes) == ["L", "S"]
                assert "超期未取 uncollected" in waiting_rows.first.inner_text()
                assert page.locator('section[data-panel="lockers"]').count() == 0
                assert page.get_by_text("自助柜 Lockers").count() == 1
                body = page.inner_text("body")
                assert PERSON not in body and "13912345678" not in body

                # Beside the alarm, what to do, in both languages.
                guide = page.locator('tr[data-alarm]:has-text("缺纸") td[data-guide="paper-out"]')
                said = guide.inner_text()
                assert "立即给该打印机补纸" in said and "refill this printer" in said
                page.screenshot(path=str(screenshot_dir / "controller-dashboard-floor.png"), full_page=True)
            finally:
                printer.stop()
                gateway.stop()
    finally:
        rig.stop()
