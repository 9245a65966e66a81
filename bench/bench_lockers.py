"""Lockers: pickup code entered → door seen open through serial (p50/p99), and allocations per second.

Latency: the whole path of a keypad pickup — code checked against its hash, rate limits read, single-use
transition, unlock frame over pyserial on a pseudo-terminal to the simulated board, status polled until
the door is seen open. Anchor: one bare status round trip on the same line.
Through the broker: the same code typed at the bank's keypad travels gateway → Mosquitto → controller
extension → Mosquitto → gateway → serial, until the simulated door is physically open (skipped when
/usr/sbin/mosquitto is missing).
Token check: what every guarded controller route adds (hall_controller/auth.py); anchor: one bare HMAC.
Allocations: best-fit claims (each one transaction with a conditional UPDATE) by two threads on SQLite;
anchor: bare one-row UPDATE transactions on the same database, same two threads.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from pathlib import Path

from bench.core import Figure, percentile
from devices.lockboard.bank import LockerBank
from firmware_sim.lockers.rig import start_rig
from hall.privacy import PiiCipher
from hall_controller.lockers.allocation import Size
from hall_controller.lockers.notify import FileSmsProvider, Outbox
from hall_controller.lockers.ports import InMemoryCaseClient, OpenOutcome, ReleasableCase
from hall_controller.lockers.repository import LockerRepository, compartments
from hall_controller.lockers.service import LockerService

BANK = "locker-bank-01"
KEY = b"bench-secret-key-0123456789abcde"
PICKUPS = 60
ALLOCATIONS = 400
TOKEN_CHECKS = 20000


class BankDoors:
    def __init__(self, bank: LockerBank) -> None:
        self.bank = bank

    def open(self, bank_id: str, number: int) -> OpenOutcome:
        return OpenOutcome(self.bank.open(number).value)


def _pump_until_closed(bank: LockerBank, service: LockerService) -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for event in bank.poll():
            if event.number is not None:
                service.on_door_event(BANK, event.kind.value, event.number, event.occupied)
            if event.kind.value == "closed":
                return
        time.sleep(0.005)
    raise RuntimeError("door did not report closed")


def _pickup_latency(folder: Path) -> tuple[list[float], list[float]]:
    rig = start_rig(pulse_seconds=0.02, open_timeout=1.0)
    repository = LockerRepository(f"sqlite:///{folder / 'latency.db'}")
    repository.create_schema()
    repository.add_compartments(BANK, [Size.parse(slot.size) for slot in rig.bank.slots.values()])
    cipher = PiiCipher({"k": KEY}, "k")
    cases = InMemoryCaseClient()
    outbox = Outbox(repository, cipher, FileSmsProvider(folder / "sms.jsonl"))
    service = LockerService(repository, cases, BankDoors(rig.bank), outbox, secret_key=KEY, cipher=cipher)
    board = rig.serial_bus.board(1)
    try:
        anchor = []
        for _ in range(PICKUPS):
            started = time.perf_counter()
            board.status()
            anchor.append(time.perf_counter() - started)
        samples = []
        for index in range(PICKUPS):
            case_id = f"B-{index}"
            cases.add(ReleasableCase(case_id, "bench", "13800000000", "110101199003071234"))
            number = service.start_deposit(case_id, Size.S, clerk="bench").number
            rig.person_puts_item_and_closes(number)
            _pump_until_closed(rig.bank, service)
            notice = service.last_notice
            assert notice is not None
            started = time.perf_counter()
            service.pickup_by_code(BANK, notice.code)
            samples.append(time.perf_counter() - started)
            rig.person_takes_item_and_closes(number)
            _pump_until_closed(rig.bank, service)
            if cases.states[case_id] != "delivered":
                raise RuntimeError(f"{case_id} not delivered")
        return samples, anchor
    finally:
        rig.stop()
        repository.dispose()


def _keypad_latency_through_broker(folder: Path) -> list[float]:
    import functools
    import subprocess

    from devices.lockboard.gateway import LockerGateway
    from devices.protocol.lockers import PickupMethod
    from hall.net import free_port, wait_for_tcp
    from hall.settings import Settings
    from hall_controller.controller import HallController
    from hall_controller.lockers.extension import LockersExtension

    port = free_port()
    config = folder / "mosquitto.conf"
    config.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    broker = subprocess.Popen(["/usr/sbin/mosquitto", "-c", str(config)], stderr=subprocess.DEVNULL)
    rig = start_rig(pulse_seconds=0.02, open_timeout=1.0)
    cases = InMemoryCaseClient()
    url = f"mqtt://127.0.0.1:{port}"
    settings = Settings(hall_id="bench-lockers", mqtt_url=url, data_dir=folder / "controller")
    factory = functools.partial(LockersExtension, cases=cases, sms=FileSmsProvider(folder / "sms2.jsonl"))
    controller = HallController(settings, [factory])
    gateway = LockerGateway("bench-lockers", BANK, rig.bank, poll_seconds=0.02)
    try:
        if not wait_for_tcp("127.0.0.1", port, 10):
            raise RuntimeError("mosquitto did not start")
        controller.start()
        gateway.start(url)
        extension = controller.extensions[0]
        assert isinstance(extension, LockersExtension)
        _wait(lambda: extension.repository is not None and len(extension.repository.compartments()) == 8)
        service = extension.require()
        samples = []
        for index in range(PICKUPS // 2):
            case_id = f"M-{index}"
            cases.add(ReleasableCase(case_id, "bench", "13800000000", "110101199003071234"))
            number = service.start_deposit(case_id, Size.S, clerk="bench").number
            board, lock = rig.firmware(number)
            rig.person_puts_item_and_closes(number)
            _wait(lambda c=case_id: cases.states[c] == "ready_for_pickup")
            notice = service.last_notice
            assert notice is not None
            started = time.perf_counter()
            gateway.enter(PickupMethod.CODE, notice.code)
            _wait(lambda b=board, k=lock: b.truly_open(k), pause=0.0005)
            samples.append(time.perf_counter() - started)
            # A person takes seconds; the gateway must see the door open before it is shut again.
            _wait(lambda n=number: rig.bank.snapshot()[n][0])
            rig.person_takes_item_and_closes(number)
            _wait(lambda c=case_id: cases.states[c] == "delivered")
        return samples
    finally:
        gateway.stop()
        controller.stop()
        rig.stop()
        broker.terminate()
        broker.wait(10)


def _wait(condition: object, timeout: float = 10.0, pause: float = 0.005) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise RuntimeError("timed out waiting")
        time.sleep(pause)


def _in_threads(work: list[int], action: object, threads: int = 2) -> float:
    chunks = [work[i::threads] for i in range(threads)]
    start = threading.Barrier(threads + 1)

    def run(chunk: list[int]) -> None:
        start.wait()
        for item in chunk:
            action(item)  # type: ignore[operator]

    workers = [threading.Thread(target=run, args=(chunk,)) for chunk in chunks]
    for worker in workers:
        worker.start()
    start.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    return time.perf_counter() - started


def _allocation_rate(folder: Path) -> tuple[float, float]:
    repository = LockerRepository(f"sqlite:///{folder / 'alloc.db'}")
    repository.create_schema()
    repository.add_compartments("bank-a", [Size.S, Size.M, Size.L, Size.XL] * (ALLOCATIONS // 4))

    def bare_update(index: int) -> None:
        with repository.transaction() as connection:
            connection.execute(
                compartments.update()
                .where(compartments.c.id == f"bank-a/{index % 9 + 1:02d}")
                .values(deposit_id=f"anchor-{index}")
            )

    anchor_seconds = _in_threads(list(range(ALLOCATIONS)), bare_update)
    claimed: list[str] = []

    def claim(index: int) -> None:
        _deposit, compartment = repository.claim(f"case-{index}", Size.M, None, float(index))
        claimed.append(compartment.id)

    seconds = _in_threads(list(range(ALLOCATIONS * 3 // 4)), claim)
    if len(set(claimed)) != len(claimed):
        raise RuntimeError("two claims got the same compartment")
    repository.dispose()
    return len(claimed) / seconds, ALLOCATIONS / anchor_seconds


def _token_check_cost() -> tuple[float, float]:
    """µs per staff-token check on a guarded route (signature, payload, expiry), and per bare HMAC-SHA256
    of the same payload: the price of checking tokens on the controller instead of asking the case service."""
    import hashlib
    import hmac

    from case_service.auth.tokens import Principal, PrincipalKind, TokenSigner
    from case_service.domain.states import Role
    from hall_controller.auth import StaffTokens

    key = "bench-token-key-0123456789abcdef0123"
    clerk = Principal(PrincipalKind.STAFF, "clerk1", frozenset({Role.CLERK}))
    token, _ = TokenSigner(key).issue(clerk, 3600)
    tokens = StaffTokens(key)
    body = token.split(".")[1].encode()
    started = time.perf_counter()
    for _ in range(TOKEN_CHECKS):
        tokens.read(token)
    checked = (time.perf_counter() - started) / TOKEN_CHECKS
    started = time.perf_counter()
    for _ in range(TOKEN_CHECKS):
        hmac.new(KEY, body, hashlib.sha256).digest()
    bare = (time.perf_counter() - started) / TOKEN_CHECKS
    return checked * 1e6, bare * 1e6


def run() -> list[Figure]:
    token_us, hmac_us = _token_check_cost()
    with tempfile.TemporaryDirectory() as folder:
        samples, anchor = _pickup_latency(Path(folder))
        allocations, bare = _allocation_rate(Path(folder))
        broker_samples = (
            _keypad_latency_through_broker(Path(folder)) if Path("/usr/sbin/mosquitto").exists() else []
        )
    anchor_median = statistics.median(anchor) * 1000
    serial_p50 = percentile(samples, 0.5) * 1000
    through_broker = (
        [
            Figure(
                "keypad code → door open via MQTT, p50",
                percentile(broker_samples, 0.5) * 1000,
                "ms",
                "code → door open, serial only, p50",
                serial_p50,
                "< 500 ms",
                better="lower",
            ),
            Figure(
                "keypad code → door open via MQTT, p99",
                percentile(broker_samples, 0.99) * 1000,
                "ms",
                "code → door open, serial only, p50",
                serial_p50,
                "< 1500 ms",
                better="lower",
            ),
        ]
        if broker_samples
        else []
    )
    return [
        Figure(
            "code entered → door open, p50",
            percentile(samples, 0.5) * 1000,
            "ms",
            "serial status round trip p50",
            anchor_median,
            "< 300 ms",
            better="lower",
        ),
        Figure(
            "code entered → door open, p99",
            percentile(samples, 0.99) * 1000,
            "ms",
            "serial status round trip p50",
            anchor_median,
            "< 1000 ms",
            better="lower",
        ),
        Figure(
            "allocations (best-fit claims), SQLite, 2 threads",
            allocations,
            "/s",
            "bare one-row UPDATE transactions",
            bare,
            "> 100 /s",
        ),
        *through_broker,
        Figure(
            "staff token check per guarded request",
            token_us,
            "µs",
            "bare HMAC-SHA256 of the token's payload",
            hmac_us,
            "< 100 µs",
            better="lower",
        ),
    ]
