"""The compressed hall day: kiosks issue tickets, windows serve and file cases, the back office decides,
results go into lockers and are collected; faults are injected while it runs.

Everything goes through the real processes (Mosquitto, `hall case-service`, `hall controller`) and the
simulated devices of firmware_sim on the broker. Clients behave as the real ones do: they retry with
the same idempotency key after an error. Results go into a real locker bank (soak/lockers.py: the
controller's lockers extension, the gateway, the RS485 driver, simulated boards on a pty) and are
collected by ID card; `real_lockers=False` models the bank as a semaphore on the case service's
locker steps instead.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import queue
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from case_service.auth.tokens import Principal, PrincipalKind, TokenSigner
from case_service.bootstrap import demo_password
from case_service.domain.identity import make_id_number
from case_service.domain.states import Role
from devices.protocol.credentials import controller_device_id
from firmware_sim.queue.devices import Evaluator, QueueDisplay, WindowLed
from firmware_sim.queue.speech import SilentSpeaker
from hall.http_errors import body_of, error_code
from hall.settings import Settings
from hall_controller.queue.config import IssueWindow, QueueConfig, WindowConfig, demo_config
from soak.faults import CATCH_UP_SECONDS, Injector, SoakPrinter
from soak.lockers import BANK, SoakLockers
from soak.report import SoakReport, Tally, idle_tail_note, memory_curve
from soak.services import HallServices, rss_kib

log = logging.getLogger(__name__)

ITEM = "513200-XK-SJ-0511"  # 企业设立、变更、注销登记 (seed 003)
SCAN = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"  # a scanned page, as the window uploads it
SERVICES = ("business", "social", "permits")
PREFIXES = {"business": "A", "social": "B", "permits": "C"}  # as in demo_config()
JOINT_OPINION = "joint-opinion"  # not an action: the joint department's opinion the decision waits for
BACK_OFFICE = [
    ("accept", "clerk1", {}),
    ("start_review", "reviewer1", {}),
    (JOINT_OPINION, "taxreviewer1", {"conclusion": "agree", "opinion": "无涉税异议，同意办理"}),  # 州税务局
    ("approve", "approver1", {"reason": "符合法定条件"}),
    ("make_certificate", "reviewer1", {}),
    ("seal", "sealer1", {}),
    ("release", "clerk1", {"channel": "locker"}),
]
STATE_ORDER = [
    "submitted",
    "accepted",
    "in_review",
    "approved",
    "certificate_made",
    "sealed",
    "ready_for_release",
    "ready_for_pickup",
    "delivered",
]
AFTER = {
    "accept": "accepted",
    "start_review": "in_review",
    "approve": "approved",
    "make_certificate": "certificate_made",
    "seal": "sealed",
    "release": "ready_for_release",
    "ready_for_pickup": "ready_for_pickup",
    "deliver": "delivered",
}
HTTP_TIMEOUT = 15.0
TOKEN_TTL = 24 * 3600


@dataclass(frozen=True)
class DayPlan:
    applicants: int = 1000
    windows: int = 20
    kiosks: int = 4
    lockers: int = 48
    fault_every: float = 20.0  # seconds between injected faults; 0 for none
    seed: int = 20261121
    database_url: str | None = None
    # Mean seconds between two applicants at one kiosk (exponential): arrivals spread over the day, so
    # faults strike while tickets are issued and called, not into an idle hall. 0: all at once.
    arrival_seconds: float = 1.0
    cut_seconds: tuple[float, float] = (5.0, 20.0)  # how long an injected network cut lasts
    real_lockers: bool = True
    # A client whose request keeps failing this long gives up, which ends the run (reported).
    give_up_seconds: float = 120.0
    # Each kiosk's last applicant arrives only after every fault kind has struck once, so even a short
    # day has them all while the hall is busy (the arrivals are paced to last about as long).
    every_fault_before_last: bool = True
    memory_every: float = 5.0  # seconds between two RSS samples of every process
    memtrace: float = 0.0  # seconds between the controller's tracemalloc dumps (leak hunting); 0: off
    # Seconds the hall stays up after the day, devices connected and nobody in it, its memory still
    # sampled: does RSS level off once tickets stop? (The day's own curve has tickets to its end.)
    idle_tail: float = 0.0


class Recorder:
    """Latencies and counters shared by the client threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.latencies: dict[str, list[float]] = {}
        self.retries = 0

    def timed(self, name: str, seconds: float) -> None:
        with self._lock:
            self.latencies.setdefault(name, []).append(seconds)

    def retried(self) -> None:
        with self._lock:
            self.retries += 1


def queue_config(windows: int, applicants: int = 0) -> QueueConfig:
    """`applicants`: every one may pick the same service, so each service's daily cap and number range
    are at least that (a 3,000-applicant day overflowed the 999 numbers of a service); tickets are issued
    all day (a compressed day runs at any hour, the lunch break included)."""
    base = demo_config()
    cap = max(999, applicants)
    all_day = (IssueWindow(start=dt.time(0, 0), end=dt.time(23, 59, 59)),)
    update = {"daily_cap": cap, "last_number": cap, "issue_windows": all_day}
    return QueueConfig(
        services=tuple(service.model_copy(update=update) for service in base.services),
        windows=tuple(
            WindowConfig(number=number, services={code: 1 for code in SERVICES})
            for number in range(1, windows + 1)
        ),
        # The simulated kiosks all ask from this one host, a whole day compressed into minutes.
        tickets_per_address=max(10, 2 * applicants),
    )


def applicant(index: int) -> dict[str, str]:
    return {
        "name": "模拟申请人",
        "id_number": make_id_number(f"3301061985{index % 12 + 1:02d}{index % 28 + 1:02d}{index % 1000:03d}"),
        "phone": f"139{index:08d}",
    }


def _ticket_answer(answer: httpx.Response) -> bool:
    if answer.status_code == 201:
        return True
    if answer.status_code != 409:
        return False
    body = body_of(answer)
    if body is None:  # not the controller's answer (a proxy's page while it restarts): ask again
        return False
    if error_code(body) == "hoarding":
        return True
    raise RuntimeError(f"ticket refused: {answer.text[:200]}")


class Day:
    def __init__(
        self, plan: DayPlan, services: HallServices, recorder: Recorder, lockers: SoakLockers | None = None
    ) -> None:
        self.plan = plan
        self.lockers = lockers
        self.services = services
        self.recorder = recorder
        self.tickets: dict[int, list[str]] = {}  # applicant -> ticket numbers issued to them
        # Applicants whose issue was answered 409 after a lost answer: their ticket exists, number unknown.
        self.unknown: dict[str, list[int]] = {}  # ticket prefix -> applicants
        self.failures: list[str] = []
        self.cases: dict[int, int] = {}  # applicant -> case id
        self.ratings_sent = 0
        self.back_office: queue.Queue[tuple[int, int]] = queue.Queue()
        self.pickups: queue.Queue[tuple[int, int]] = queue.Queue()
        self.compartments = threading.BoundedSemaphore(plan.lockers)
        self.delivered: set[int] = set()
        self._lock = threading.Lock()
        self._tokens: dict[str, dict[str, str]] = {}
        self.done = threading.Event()
        self.round_done = threading.Event()  # every kind of fault happened once
        self.issued = threading.Semaphore(0)  # tickets issued and not yet called: windows wait on it
        self._local = threading.local()  # one HTTP client (connection pool) per client thread
        self._required: list[str] | None = None  # the item's materials acceptance asks for
        self.locker_clerk = self.clerk_at(99)  # the clerk who takes results to the lockers

    def guarded(self, target: Callable[..., None], *args: Any) -> Callable[[], None]:
        """A client thread's body: a client that gives up ends the run (reported), never hangs it."""

        def run() -> None:
            try:
                target(*args)
            except Exception as err:
                log.exception("soak client %s failed", getattr(target, "__name__", target))
                with self._lock:
                    self.failures.append(f"{getattr(target, '__name__', target)}: {err}")
                self.done.set()

        return run

    # -- HTTP with the clients' retry discipline -----------------------------------------------------
    def http(self) -> httpx.Client:
        # One client per thread, kept: a client per request builds an SSL context each time, which
        # was 80 % of the driver's CPU and made it, not the hall, the bottleneck of a long day.
        client: httpx.Client | None = getattr(self._local, "client", None)
        if client is None:
            client = httpx.Client(timeout=HTTP_TIMEOUT)
            self._local.client = client
        return client

    def call(
        self, method: str, url: str, ok: Callable[[httpx.Response], bool], **kwargs: Any
    ) -> httpx.Response:
        deadline = time.monotonic() + self.plan.give_up_seconds
        while True:
            try:
                answer = self.http().request(method, url, **kwargs)
            except httpx.HTTPError:
                answer = None
            if answer is not None and ok(answer):
                return answer
            if time.monotonic() > deadline:
                detail = answer.text[:300] if answer is not None else "no answer"
                raise RuntimeError(f"{method} {url} kept failing: {detail}")
            self.recorder.retried()
            time.sleep(0.2)

    def staff(self, username: str) -> dict[str, str]:
        with self._lock:
            if username not in self._tokens:
                answer = self.call(
                    "POST",
                    f"{self.services.case_url}/api/v1/auth/login",
                    lambda a: a.status_code == 200,
                    json={"username": username, "password": demo_password(username)},
                )
                self._tokens[username] = {"Authorization": f"Bearer {answer.json()['access_token']}"}
            return self._tokens[username]

    def outbox_pending(self) -> int | None:
        """Ratings the controller still has to deliver to the case service (None: no answer)."""
        try:
            answer = self.http().get(
                f"{self.services.controller_url}/api/v1/ext/queue/outbox", headers=self.staff("manager1")
            )
        except httpx.HTTPError:
            return None
        if answer.status_code != 200:
            return None
        return int(answer.json().get("counts", {}).get("pending", 0))

    def clerk_at(self, window: int) -> dict[str, str]:
        """A staff token of the window's own clerk (the controller signs in the token's user, and one
        clerk is signed in at one window only), minted as the case service would with the shared key."""
        principal = Principal(PrincipalKind.STAFF, f"clerk-w{window:02d}", frozenset({Role.CLERK}))
        token, _expires = TokenSigner(Settings().secret_key.get_secret_value()).issue(principal, TOKEN_TTL)
        return {"Authorization": f"Bearer {token}"}

    def locker_gateway(self) -> dict[str, str]:
        return self.device_token("gateway", controller_device_id(self.services.hall_id))

    def kiosk_device(self) -> dict[str, str]:
        """The kiosk's device token: the controller opens for an ID number only when a kiosk vouches."""
        return self.device_token("kiosk", "kiosk-soak")

    def device_token(self, name: str, device_id: str) -> dict[str, str]:
        with self._lock:
            if name not in self._tokens:
                answer = self.call(
                    "POST",
                    f"{self.services.hall_case_url}/api/v1/auth/device-token",
                    lambda a: a.status_code == 200,
                    json={"device_id": device_id, "secret": self.services.secrets[device_id]},
                )
                self._tokens[name] = {"Authorization": f"Bearer {answer.json()['access_token']}"}
            return self._tokens[name]

    # -- kiosks --------------------------------------------------------------------------------------
    def kiosk(self, applicants: list[int], rng: random.Random) -> None:
        url = f"{self.services.controller_url}/api/v1/ext/queue/tickets"
        last = len(applicants) - 1
        for position, index in enumerate(applicants):
            if position == last and self.plan.every_fault_before_last and self.plan.fault_every > 0:
                self.round_done.wait(300)
            if self.plan.arrival_seconds > 0:
                time.sleep(rng.expovariate(1.0 / self.plan.arrival_seconds))
            person = applicant(index)
            body: dict[str, Any] = {
                "service": rng.choice(SERVICES),
                "source": "kiosk",
                "id_number": person["id_number"],
                "print_slip": True,
            }
            started = time.monotonic()
            # A 409 "hoarding" after an uncertain attempt means the first one landed (one active ticket per
            # person); any other refusal (a daily cap reached) is a failure, not a ticket of unknown number.
            answer = self.call("POST", url, _ticket_answer, json=body)
            self.recorder.timed("kiosk ticket", time.monotonic() - started)
            with self._lock:
                if answer.status_code == 201:
                    self.tickets.setdefault(index, []).append(answer.json()["number"])
                else:
                    self.tickets.setdefault(index, [])
                    self.unknown.setdefault(PREFIXES[body["service"]], []).append(index)
            self.issued.release()

    # -- windows -------------------------------------------------------------------------------------
    def window(self, number: int) -> None:
        actions = f"{self.services.controller_url}/api/v1/ext/queue/windows/{number}/actions"
        clerk = self.clerk_at(number)  # the controller takes clerk actions only with a staff token
        self.call(
            "POST",
            actions,
            lambda a: a.status_code in (200, 409),
            json={"key": "sign-in", "clerk": f"c{number}"},
            headers=clerk,
        )
        while not self.done.is_set():
            if not self.issued.acquire(timeout=0.5):  # nobody waits: no need to press "next"
                continue
            started = time.monotonic()
            answer = self.call(
                "POST", actions, lambda a: a.status_code < 500, json={"key": "next"}, headers=clerk
            )
            ticket = (answer.json() or {}).get("ticket") if answer.status_code == 200 else None
            if answer.status_code == 409 and error_code(body_of(answer)) == "window_busy":
                # An earlier "next" whose answer was lost (a crash) did call someone: recall them.
                answer = self.call(
                    "POST", actions, lambda a: a.status_code == 200, json={"key": "recall"}, headers=clerk
                )
                ticket = answer.json().get("ticket")
            if not ticket:
                self.issued.release()  # another window took it, or it is not callable yet
                time.sleep(0.2)
                continue
            self.recorder.timed("window call", time.monotonic() - started)
            index = self._applicant_of(ticket["number"])
            case_id = self.file_case(index, number)
            self.call(
                "POST", actions, lambda a: a.status_code in (200, 409), json={"key": "start"}, headers=clerk
            )
            finish = {"key": "finish", "outcome": "受理", "case_id": str(case_id)}
            finished = self.call(
                "POST", actions, lambda a: a.status_code in (200, 409), json=finish, headers=clerk
            )
            rating = finished.json().get("rating") if finished.status_code == 200 else None
            if rating:
                self.rate(rating["rating_id"], rating["token"])
            self.back_office.put((index, case_id))

    def _applicant_of(self, ticket_number: str) -> int:
        # A window may call a ticket before its kiosk has noted the number: wait for the kiosk a little.
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            with self._lock:
                for index, numbers in self.tickets.items():
                    if ticket_number in numbers:
                        return index
            time.sleep(0.05)
        with self._lock:
            waiting = self.unknown.get(ticket_number[0], [])
            if waiting:
                index = waiting.pop(0)
                self.tickets[index].append(ticket_number)
                return index
        raise RuntimeError(f"ticket {ticket_number} was issued to no applicant of this run")

    def file_case(self, index: int, window: int) -> int:
        started = time.monotonic()
        answer = self.call(
            "POST",
            f"{self.services.hall_case_url}/api/v1/cases",
            lambda a: a.status_code == 201,
            json={"item_code": ITEM, "channel": "window", "applicant": applicant(index), "window": window},
            headers={**self.staff("clerk1"), "Idempotency-Key": f"soak-{index}"},
        )
        self.recorder.timed("case submit", time.monotonic() - started)
        case_id: int = answer.json()["id"]
        self.hand_in(index, case_id)
        with self._lock:
            self.cases[index] = case_id
        return case_id

    def hand_in(self, index: int, case_id: int) -> None:
        """The applicant's papers, scanned at the window: acceptance refuses a case without them."""
        if self._required is None:
            item = self.call(
                "GET", f"{self.services.hall_case_url}/api/v1/items/{ITEM}", lambda a: a.status_code == 200
            ).json()
            self._required = [
                material["name"]
                for material in item["materials"]
                if material["required"] and not material["condition"] and not material["tolerated"]
            ]
        for number, name in enumerate(self._required):
            self.call(
                "POST",
                f"{self.services.hall_case_url}/api/v1/cases/{case_id}/materials",
                lambda a: a.status_code == 201,
                data={"name": name},
                files={"file": (f"{number}.pdf", SCAN + f"% {index} {number}\n".encode(), "application/pdf")},
                headers={**self.staff("clerk1"), "Idempotency-Key": f"soak-{index}-material-{number}"},
            )

    def rate(self, rating_id: str, token: str) -> None:
        """The applicant rates with the token the desk handed over with the request."""
        started = time.monotonic()
        self.call(
            "POST",
            f"{self.services.controller_url}/api/v1/ext/queue/ratings/{rating_id}",
            lambda a: a.status_code in (200, 409),
            json={"level": 5, "token": token},
        )
        self.recorder.timed("rating", time.monotonic() - started)
        with self._lock:
            self.ratings_sent += 1

    # -- back office, lockers, pickups ---------------------------------------------------------------
    def act(
        self, case_id: int, action: str, headers: dict[str, str], body: dict[str, Any], *, hall: bool = False
    ) -> None:
        """One case action; `hall`: sent from the hall (the locker gateway), so through the cuttable link."""
        base = self.services.hall_case_url if hall else self.services.case_url
        url = f"{base}/api/v1/cases/{case_id}"

        def applied(answer: httpx.Response) -> bool:
            if answer.status_code == 200:
                return True
            if answer.status_code != 409:
                return False
            if action == JOINT_OPINION:
                return True  # given already (an uncertain attempt went in)
            # After an uncertain attempt the action may already be in: ask the record.
            try:
                state = self.http().get(url, headers=headers).json().get("state", "")
            except httpx.HTTPError:
                return False
            return STATE_ORDER.index(state) >= STATE_ORDER.index(AFTER[action])

        path = f"{url}/{JOINT_OPINION}" if action == JOINT_OPINION else f"{url}/actions/{action}"
        self.call("POST", path, applied, json=body, headers=headers)

    def clerk_office(self) -> None:
        while not self.done.is_set():
            try:
                index, case_id = self.back_office.get(timeout=0.2)
            except queue.Empty:
                continue
            started = time.monotonic()
            for action, user, body in BACK_OFFICE:
                self.act(case_id, action, self.staff(user), body)
            self.compartments.acquire()  # a result waits for a free compartment
            if self.lockers is not None:
                self.deposit(case_id)
            else:
                receipt = {"receipt": {"locker": "soak-bank", "code_sent": True}}
                self.act(case_id, "ready_for_pickup", self.locker_gateway(), receipt, hall=True)
            self.recorder.timed("decision to locker", time.monotonic() - started)
            self.pickups.put((index, case_id))

    def applicants_collect(self) -> None:
        while not self.done.is_set():
            try:
                index, case_id = self.pickups.get(timeout=0.2)
            except queue.Empty:
                continue
            if self.lockers is not None:
                self.collect(index, case_id)
            else:
                receipt = {"receipt": {"recipient": "模拟申请人", "method": "locker", "opened_by": "code"}}
                self.act(case_id, "deliver", self.locker_gateway(), receipt, hall=True)
            self.compartments.release()
            with self._lock:
                self.delivered.add(index)
                if len(self.delivered) == self.plan.applicants:
                    self.done.set()

    # -- the real locker bank ------------------------------------------------------------------------
    def state_of(self, case_id: int) -> str:
        url = f"{self.services.case_url}/api/v1/cases/{case_id}"
        answer = self.call("GET", url, lambda a: a.status_code == 200, headers=self.staff("manager1"))
        return str(answer.json().get("state", ""))

    def await_state(self, case_id: int, state: str) -> None:
        """Waits until the case service has the case in `state` (or later): the controller's outbox
        reports the locker's doings, after every crash or cut it catches up."""
        deadline = time.monotonic() + self.plan.give_up_seconds * 2
        while STATE_ORDER.index(self.state_of(case_id) or "submitted") < STATE_ORDER.index(state):
            if time.monotonic() > deadline:
                raise RuntimeError(f"case {case_id} never reached {state} in the case service")
            time.sleep(0.5)

    def door_from(self, answer: httpx.Response | None, case_id: int, state: str) -> int | None:
        """The door that opened for this attempt: from the answer, or, after an answer lost in a crash
        (a retry is then refused), the one the person sees standing open."""
        assert self.lockers is not None
        if answer is not None and answer.status_code == 200:
            return int(answer.json()["number"])
        number = self.lockers.door_of(case_id, state)
        return number if number is not None and self.lockers.is_open(number) else None

    def deposit(self, case_id: int) -> None:
        """A clerk takes the result to the bank: a door opens, the result goes in, the door is shut."""
        assert self.lockers is not None
        url = f"{self.services.controller_url}/api/v1/ext/lockers/deposits"
        body = {"case_id": str(case_id), "size": "M", "bank_id": BANK}
        deadline = time.monotonic() + self.plan.give_up_seconds
        while True:
            started = time.monotonic()
            try:
                answer: httpx.Response | None = self.http().post(url, json=body, headers=self.locker_clerk)
            except httpx.HTTPError:
                answer = None
            number = self.door_from(answer, case_id, "depositing")
            if number is not None:
                self.recorder.timed("locker deposit", time.monotonic() - started)
                self.lockers.put_in(number)
                return
            if time.monotonic() > deadline:
                detail = answer.text[:300] if answer is not None else "no answer"
                raise RuntimeError(f"deposit of case {case_id} kept failing: {detail}")
            # Door not seen open (a board without power), no free compartment, a crash: again.
            self.recorder.retried()
            time.sleep(0.5)

    def collect(self, index: int, case_id: int) -> None:
        """The applicant, told by SMS, opens the compartment with their ID card and takes the result."""
        assert self.lockers is not None
        self.await_state(case_id, "ready_for_pickup")
        url = f"{self.services.controller_url}/api/v1/ext/lockers/pickups"
        body = {"bank_id": BANK, "method": "id_card", "value": applicant(index)["id_number"]}
        deadline = time.monotonic() + self.plan.give_up_seconds
        while True:
            started = time.monotonic()
            try:
                answer: httpx.Response | None = self.http().post(url, json=body, headers=self.kiosk_device())
            except httpx.HTTPError:
                answer = None
            number = self.door_from(answer, case_id, "collecting")
            if number is not None:
                self.recorder.timed("locker pickup", time.monotonic() - started)
                self.lockers.take_out(number)
                break
            if time.monotonic() > deadline:
                detail = answer.text[:300] if answer is not None else "no answer"
                raise RuntimeError(f"pickup of case {case_id} kept failing: {detail}")
            self.recorder.retried()
            time.sleep(0.5)
        self.await_state(case_id, "delivered")


def run_day(plan: DayPlan, workdir: Path, restart_database: Callable[[], None] | None = None) -> SoakReport:
    """The day; `restart_database`: restarts the case service's PostgreSQL (one more fault kind)."""
    workdir.mkdir(parents=True, exist_ok=True)
    hall_id = "soak-hall"
    services = HallServices.create(workdir, hall_id, plan.database_url, memtrace=plan.memtrace)
    (workdir / "controller").mkdir(exist_ok=True)
    (workdir / "controller" / "queue.json").write_text(
        queue_config(plan.windows, plan.applicants).model_dump_json()
    )
    rng = random.Random(plan.seed)  # noqa: S311 - a reproducible simulation, not a secret
    recorder = Recorder()
    devices: list[Any] = []
    lockers: SoakLockers | None = None
    try:
        services.start()  # inside: one that fails to start must not leave the others running
        if plan.real_lockers:
            lockers = SoakLockers.start(hall_id, plan.lockers, services.broker_url, workdir / "controller")
        devices = [QueueDisplay(hall_id, "main-display", SilentSpeaker())]
        for number in range(1, plan.windows + 1):
            devices += [WindowLed(hall_id, f"window-{number:02d}-led", number)]
            devices += [Evaluator(hall_id, f"window-{number:02d}-evaluator", number)]
        printer = SoakPrinter(hall_id, "ticket-printer-01")
        devices.append(printer)
        for device in devices:
            device.start(services.broker_url)
        memory_start = {service.name: service.rss_kib for service in services.all}
        memory_start["soak driver"] = rss_kib(_self_pid())
        sampler = MemorySampler(services, plan.memory_every).start()
        day = Day(plan, services, recorder, lockers)
        for user in {user for _action, user, _body in BACK_OFFICE} | {"manager1"}:
            day.staff(user)  # log in before the faults start; the tokens last the day
        day.locker_gateway()
        day.kiosk_device()
        injector = Injector(
            services,
            plan=plan,
            day=day,
            printer=printer,
            device_ids=[device.device_id for device in devices] + ([BANK] if lockers else []),
            lockers=lockers,
            restart_database=restart_database,
            rng=rng,
        )
        started = time.monotonic()
        order = list(range(plan.applicants))
        kiosk_rngs = [random.Random(plan.seed + k) for k in range(plan.kiosks)]  # noqa: S311
        threads = [
            threading.Thread(target=day.guarded(day.kiosk, order[k :: plan.kiosks], kiosk_rngs[k]))
            for k in range(plan.kiosks)
        ]
        threads += [threading.Thread(target=day.guarded(day.window, n)) for n in range(1, plan.windows + 1)]
        threads += [
            threading.Thread(target=day.guarded(day.clerk_office)) for _ in range(max(3, plan.windows // 2))
        ]
        # Applicants wait for their SMS and at the bank: as many at once as half the compartments.
        collectors = max(4, plan.lockers // 2) if lockers else 1
        threads += [threading.Thread(target=day.guarded(day.applicants_collect)) for _ in range(collectors)]
        for thread in threads:
            thread.daemon = True
            thread.start()
        fault_thread = injector.thread()
        fault_thread.start()
        give_up = time.monotonic() + max(600.0, plan.applicants * 3.0)
        while not day.done.wait(30.0) and time.monotonic() < give_up:
            log.warning(
                "soak progress at %.0f s: %d tickets, %d cases, %d delivered, %d faults",
                time.monotonic() - started,
                len(day.tickets),
                len(day.cases),
                len(day.delivered),
                len(injector.faults),
            )
        day.done.set()
        fault_thread.join(120)
        elapsed = time.monotonic() - started
        tail_from = sampler.elapsed()
        if plan.idle_tail > 0:
            log.warning("soak: the day is over; the hall stays up idle for %.0f s", plan.idle_tail)
            time.sleep(plan.idle_tail)
        sampler.stop()
        memory_end = {service.name: service.rss_kib for service in services.all}
        memory_end["soak driver"] = rss_kib(_self_pid())
        report = SoakReport(
            plan.applicants,
            plan.windows,
            plan.kiosks,
            plan.lockers,
            elapsed,
            faults=injector.faults,
            retries=recorder.retries,
            failures=day.failures,
        )
        report.latencies = recorder.latencies
        report.memory_kib = {name: (memory_start[name], memory_end.get(name, 0)) for name in memory_start}
        report.memory = {name: memory_curve(samples) for name, samples in sampler.samples.items()}
        if plan.idle_tail > 0:
            report.notes += [
                idle_tail_note(name, samples, tail_from)
                for name, samples in sorted(sampler.samples.items())
                if name != "soak driver"
            ]
        report.tallies = tally(day, services)
        report.unsettled = injector.unsettled
        report.notes.append(
            f"ticket slips: {len(printer.numbers)} printed ({len(set(printer.numbers))} distinct), "
            f"{printer.refused} refused while out of paper, of {len(issued_numbers(day))} tickets"
        )
        report.trips = [len(numbers) for index, numbers in day.tickets.items() if index in day.delivered]
        return report
    finally:
        for device in devices:
            device.stop()
        if lockers is not None:
            lockers.stop()
        services.stop()


class MemorySampler:
    """RSS of every process every `every` seconds on a thread of its own, for the curve of the report.
    For a process restarted by a fault, the curve is of its last instance."""

    def __init__(self, services: HallServices, every: float) -> None:
        self.services = services
        self.every = every
        self.samples: dict[str, list[tuple[float, int]]] = {}
        self._starts: dict[str, int] = {}
        self._stop = threading.Event()
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="soak-memory", daemon=True)

    def sample(self) -> None:
        at = time.monotonic() - self._started
        for service in self.services.all:
            if self._starts.get(service.name) != service.starts:
                # Restarted (a crash fault): the curve is of the running instance, from its start.
                self._starts[service.name] = service.starts
                self.samples[service.name] = []
            self.samples[service.name].append((at, service.rss_kib))
        self.samples.setdefault("soak driver", []).append((at, rss_kib(_self_pid())))

    def elapsed(self) -> float:
        """Seconds since the first sample, on the samples' clock."""
        return time.monotonic() - self._started

    def start(self) -> MemorySampler:
        self._started = time.monotonic()
        self.sample()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self.sample()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.sample()


def _self_pid() -> int:
    return os.getpid()


def issued_numbers(day: Day) -> list[str]:
    return [number for numbers in day.tickets.values() for number in numbers]


def tally(day: Day, services: HallServices) -> dict[str, Tally]:
    """What the systems of record hold, against what the applicants did."""
    headers = day.staff("manager1")
    cases: list[dict[str, Any]] = []
    offset = 0
    while True:
        page = day.call(
            "GET",
            f"{services.case_url}/api/v1/cases",
            lambda a: a.status_code == 200,
            params={"limit": 200, "offset": offset},
            headers=headers,
        ).json()
        cases += page["items"]
        offset += 200
        if offset >= page["total"]:
            break
    per_person = Counter(case["number"] for case in cases)
    delivered = [case for case in cases if case["state"] == "delivered"]
    issued = issued_numbers(day)
    found = 0
    for number in issued:
        answer = day.call(
            "GET",
            f"{services.controller_url}/api/v1/ext/queue/tickets/{number}",
            lambda a: a.status_code in (200, 404),
        )
        found += answer.status_code == 200
    # Ratings count once the case service has them: wait for the controller's outbox to drain.
    deadline = time.monotonic() + CATCH_UP_SECONDS
    while day.outbox_pending() != 0 and time.monotonic() < deadline:
        time.sleep(0.5)
    outbox = day.call(
        "GET",
        f"{services.controller_url}/api/v1/ext/queue/outbox",
        lambda a: a.status_code == 200,
        headers=headers,
    ).json()
    rated = int(outbox.get("counts", {}).get("delivered", 0))
    tallies: dict[str, Tally] = {}
    if day.lockers is not None:
        delivered_deposits = day.lockers.delivered_case_ids()
        tallies["locker pickups"] = Tally(
            day.plan.applicants,
            len(delivered_deposits),
            len(delivered_deposits) - len(set(delivered_deposits)),
        )
    return tallies | {
        "tickets": Tally(day.plan.applicants, found, max(0, len(issued) - len(set(issued)))),
        "cases": Tally(
            day.plan.applicants,
            len(cases),
            len(cases) - len(set(day.cases.values())) + sum(count - 1 for count in per_person.values()),
        ),
        "deliveries": Tally(day.plan.applicants, len(delivered), 0),
        "ratings": Tally(day.ratings_sent, rated, max(0, rated - day.ratings_sent)),
    }
