"""The real processes of a soak run: Mosquitto, the case service and the hall controller, restartable."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from case_service.bootstrap import demo_password
from devices.protocol.credentials import controller_device_id
from hall.enrolment import register_and_enrol
from hall.net import free_port, http_ok, tcp_open
from hall.process import hall_command
from hall.settings import Settings
from soak.netcut import LinkProxy
from tools import MEMTRACE

log = logging.getLogger(__name__)


def rss_kib(pid: int) -> int:
    """Resident memory of a process from /proc (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


@dataclass
class Service:
    name: str
    argv: list[str]
    log_path: Path
    ready: Callable[[], bool]
    env: dict[str, str] = field(default_factory=dict)
    popen: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self, timeout: float = 60.0) -> None:
        with self.log_path.open("ab") as log_file:
            self.popen = subprocess.Popen(
                self.argv,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **self.env},
                start_new_session=True,
            )
        self.starts += 1
        deadline = time.monotonic() + timeout
        while not self.ready():
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.popen.returncode}; see {self.log_path}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} not ready after {timeout:.0f} s; see {self.log_path}")
            time.sleep(0.05)

    def kill(self) -> None:
        """A crash: SIGKILL, no clean shutdown."""
        if self.popen is not None and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def restart(self) -> float:
        """Crash and start again; seconds until it answers."""
        self.kill()
        started = time.monotonic()
        self.start()
        return time.monotonic() - started

    @property
    def rss_kib(self) -> int:
        return rss_kib(self.popen.pid) if self.popen is not None else 0


def _hall_env(data_dir: Path, **values: str) -> dict[str, str]:
    env = {key: "" for key in os.environ if key.startswith("HALL_")}
    env.update({"HALL_DATA_DIR": str(data_dir), "HALL_LOG_LEVEL": "WARNING"})
    env.update({f"HALL_{key.upper()}": value for key, value in values.items()})
    return {key: value for key, value in env.items() if value}


@dataclass
class HallServices:
    broker: Service
    case_service: Service
    controller: Service
    broker_url: str
    case_url: str  # direct: the back office, in the city
    controller_url: str
    link: LinkProxy  # the hall's link to the case service (the controller and the hall's clients)
    hall_id: str = "hall-01"
    controller_data: Path = Path("var")
    secrets: dict[str, str] = field(default_factory=dict)  # device id → its enrolled secret

    @property
    def hall_case_url(self) -> str:
        """The case service as the hall reaches it: through the link that faults can cut."""
        return self.link.url

    @classmethod
    def create(
        cls, workdir: Path, hall_id: str, database_url: str | None = None, *, memtrace: float = 0.0
    ) -> HallServices:
        """`memtrace`: seconds between the controller's tracemalloc dumps into controller-memtrace.txt
        (tools/memtrace.py); 0: not traced."""
        mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        broker_port, case_port, controller_port = free_port(), free_port(), free_port()
        conf = workdir / "mosquitto.conf"
        user = "user root\n" if os.getuid() == 0 else ""
        # Queue limits set deliberately: Mosquitto's default of 1,000 drops QoS 1 messages in bursts.
        conf.write_text(
            f"{user}listener {broker_port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            "max_queued_messages 100000\nmax_inflight_messages 100\n"
        )
        broker = Service(
            "mosquitto",
            [mosquitto, "-c", str(conf)],
            workdir / "mosquitto.log",
            ready=lambda: tcp_open("127.0.0.1", broker_port),
        )
        case_url = f"http://127.0.0.1:{case_port}"
        case_values = {"case__port": str(case_port), "hall_id": hall_id}
        if database_url:
            case_values["database_url"] = database_url
        case_service = Service(
            "case-service",
            hall_command("case-service"),
            workdir / "case-service.log",
            ready=lambda: http_ok(f"{case_url}/healthz"),
            env=_hall_env(workdir / "case", **case_values),
        )
        link = LinkProxy(case_port).start()
        controller_url = f"http://127.0.0.1:{controller_port}"
        broker_url = f"mqtt://127.0.0.1:{broker_port}"
        trace = (
            {
                "MEMTRACE_FILE": str(workdir / "controller-memtrace.txt"),
                "MEMTRACE_SECONDS": str(memtrace),
            }
            if memtrace > 0
            else {}
        )
        controller = Service(
            "controller",
            # Traced: `hall controller` inside tools/memtrace.py, which starts tracemalloc first.
            [sys.executable, str(MEMTRACE), "controller"] if memtrace > 0 else hall_command("controller"),
            workdir / "controller.log",
            ready=lambda: http_ok(f"{controller_url}/healthz"),
            env=trace
            | _hall_env(
                workdir / "controller",
                controller__port=str(controller_port),
                case__port=str(link.port),
                controller__locker_cases="case-service",
                mqtt_url=broker_url,
                hall_id=hall_id,
            ),
        )
        return cls(
            broker,
            case_service,
            controller,
            broker_url,
            case_url,
            controller_url,
            link,
            hall_id,
            workdir / "controller",
        )

    @property
    def all(self) -> list[Service]:
        return [self.broker, self.case_service, self.controller]

    def start(self) -> None:
        for service in self.all:
            service.start()
            if service is self.case_service:
                self._enrol()

    def _enrol(self) -> None:
        """The hall's controller and the soak's kiosk enrolled as a hall enrols them (the demo admin
        registers each, the device exchanges its code); their credential files go where the controller's
        process reads them. Once: enrolments live in the case service's database."""
        if self.secrets:
            return
        settings = Settings(data_dir=self.controller_data, hall_id=self.hall_id)
        with httpx.Client(base_url=self.case_url, timeout=30.0) as admin:
            login = {"username": "admin", "password": demo_password("admin")}
            token = admin.post("/api/v1/auth/login", json=login).json()["access_token"]
            admin.headers["Authorization"] = f"Bearer {token}"
            for device_id, kind in (
                (controller_device_id(self.hall_id), "controller"),
                ("kiosk-soak", "kiosk"),
            ):
                self.secrets[device_id] = register_and_enrol(settings, admin, device_id, kind).secret

    def stop(self) -> None:
        for service in reversed(self.all):
            service.stop()
        self.link.stop()
