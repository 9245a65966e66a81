"""A private pcscd with one vsmartcard-vpcd reader, and the card emulator to put cards into it.

pcscd runs in the foreground in its own mount and network namespaces (``unshare --mount --net``, so
root) with a private /run/pcscd (socket and pid file), a private reader configuration, and vpcd's port
(35963) reachable only inside its namespace: several can run side by side (parallel tests, the demo,
benchmarks). Clients find it through PCSCLITE_CSOCK_NAME = `socket_path` (a Unix socket in the file
system, so reachable from any network namespace); libpcsclite reads that variable once per process.

pcscd 1.9 cannot hot-remove a reader.conf reader (its SIGUSR1 rescan is a no-op with the libudev hotplug
backend), so `unplug_reader` restarts the daemon without the reader: clients then see a running
service with no reader, as after pulling a USB reader.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from firmware_sim.idcard.vpcd_card import VirtualCard, VpcdCardEmulator

VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
READER_NAME = "Virtual PCD 00 00"
VPCD_DEFAULT_PORT = 35963
_MOUNTS = 'mkdir -p /run/pcscd && mount --bind "$0" /run/pcscd && '
_PCSCD = 'exec pcscd --foreground --config "$1" --error'


def two_free_ports() -> int:
    """A port p with p+1 also free: vpcd opens one port per slot (two slots)."""
    for _ in range(50):
        with socket.socket() as first:
            first.bind(("127.0.0.1", 0))
            port = int(first.getsockname()[1])
            if port >= 65535:
                continue
            with socket.socket() as second:
                try:
                    second.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
        return port
    raise RuntimeError("no two consecutive free ports")


def listening(port: int, pid: int | str = "self") -> bool:
    """Whether a socket listens on `port` in the network namespace of process `pid` (read from /proc:
    connecting would insert a card)."""
    for table in ("tcp", "tcp6"):
        try:
            rows = [line.split() for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]]
        except OSError:
            continue
        if any(row[1].endswith(f":{port:04X}") and row[3] == "0A" for row in rows if len(row) > 3):
            return True
    return False


class IsolatedPcscd:
    """`isolate_network` (default) also gives pcscd its own network namespace, so vpcd's port (which it
    binds on all addresses) is reachable only from inside: no one else can insert a card. The card
    emulator enters that namespace to connect. Without it, vpcd listens on free ports of the host."""

    def __init__(self, folder: Path, port: int | None = None, *, isolate_network: bool = True) -> None:
        self.folder = folder
        self.isolate_network = isolate_network
        self.port = port or (VPCD_DEFAULT_PORT if isolate_network else two_free_ports())
        self.run_dir = folder / "run"
        self.conf_dir = folder / "reader.conf.d"
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.conf_dir.mkdir(parents=True, exist_ok=True)
        self.socket_path = self.run_dir / "pcscd.comm"
        self.log_path = folder / "pcscd.log"
        self.reader_name = READER_NAME
        self.card = VpcdCardEmulator(self.port)
        self.process: subprocess.Popen[bytes] | None = None
        self._write_conf()

    @property
    def conf_file(self) -> Path:
        return self.conf_dir / "vpcd"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _write_conf(self) -> None:
        self.conf_file.write_text(
            f'FRIENDLYNAME "Virtual PCD"\nDEVICENAME   /dev/null:{self.port}\n'
            f"LIBPATH      {VPCD_DRIVER}\nCHANNELID    {self.port}\n"
        )

    @property
    def netns(self) -> Path | None:
        """pcscd's network namespace while it runs isolated."""
        if not self.isolate_network or self.process is None:
            return None
        return Path(f"/proc/{self.process.pid}/ns/net")

    def _ready(self) -> bool:
        if not self.socket_path.exists():
            return False
        pid = self.process.pid if self.process is not None and self.isolate_network else "self"
        return not self.conf_file.exists() or listening(self.port, pid)

    def start(self, timeout: float = 20.0) -> None:
        namespaces = ["unshare", "--mount", "--net"] if self.isolate_network else ["unshare", "--mount"]
        # A new network namespace has its loopback down.
        script = ("ip link set lo up && " if self.isolate_network else "") + _MOUNTS + _PCSCD
        with self.log_path.open("ab") as log_file:
            self.process = subprocess.Popen(
                [*namespaces, "--propagation", "private", "sh", "-c", script, self.run_dir, self.conf_dir],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while not self._ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = self.log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"pcscd did not start:\n{tail}")
            time.sleep(0.02)
        self.card.netns = self.netns

    def stop(self) -> None:
        self.card.remove()
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        for leftover in (self.socket_path, self.run_dir / "pcscd.pid"):
            leftover.unlink(missing_ok=True)

    def restart(self) -> None:
        self.stop()
        self.start()

    def unplug_reader(self) -> None:
        self.stop()
        self.conf_file.unlink(missing_ok=True)
        self.start()

    def plug_reader(self) -> None:
        self.stop()
        self._write_conf()
        self.start()

    def card_present(self) -> bool | None:
        """What pcscd believes about the slot (None: pcscd or the reader is not there).

        Uses this process's PC/SC client, so PCSCLITE_CSOCK_NAME must name `socket_path`.
        """
        from smartcard import scard

        result, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if result != scard.SCARD_S_SUCCESS:
            return None
        try:
            result, states = scard.SCardGetStatusChange(
                context, 0, [(self.reader_name, scard.SCARD_STATE_UNAWARE)]
            )
            if result != scard.SCARD_S_SUCCESS:
                return None
            return bool(states[0][1] & scard.SCARD_STATE_PRESENT)
        finally:
            scard.SCardReleaseContext(context)

    def wait_card(self, present: bool, timeout: float = 10.0) -> None:
        """Waits until pcscd has polled the slot and agrees with the emulator."""
        deadline = time.monotonic() + timeout
        while self.card_present() is not present:
            if time.monotonic() > deadline:
                raise RuntimeError(f"pcscd did not see the card {'inserted' if present else 'removed'}")
            time.sleep(0.02)

    def insert(self, card: VirtualCard) -> None:
        self.card.insert(card)
        self.wait_card(present=True)

    def remove(self) -> None:
        self.card.remove()
        if self.running and self.conf_file.exists():
            self.wait_card(present=False)
