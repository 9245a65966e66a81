"""`hall demo`: a whole hall on the embedded defaults, in one command."""

from __future__ import annotations

import logging
import signal
import time
from types import FrameType

import click

from hall.display import VirtualDisplay, has_real_display, start_virtual_display
from hall.errors import StartupError
from hall.net import port_is_free, require_broker, tcp_open, wait_for_http
from hall.privacy import hide_url_passwords
from hall.process import ChildProcess, Supervisor, hall_command
from hall.settings import Mode, Settings

log = logging.getLogger(__name__)


class _InterruptedError(Exception):
    pass


def _raise_interrupted(signum: int, frame: FrameType | None) -> None:
    raise _InterruptedError


def _check_ports(settings: Settings) -> None:
    wanted = [
        ("case service", settings.case.host, settings.case.port),
        ("hall controller", settings.controller.host, settings.controller.port),
    ]
    if settings.uses_embedded_broker:
        wanted.append(("embedded MQTT broker", "127.0.0.1", settings.embedded_broker_port))
    busy = [f"{name} port {host}:{port}" for name, host, port in wanted if not port_is_free(host, port)]
    if busy:
        raise StartupError(f"already in use: {', '.join(busy)} (is another demo running?)")


def _demo_accounts(settings: Settings) -> str:
    """The staff accounts the case service creates in development mode, to print beside the URLs."""
    if settings.mode is not Mode.DEVELOPMENT:
        return ""
    from case_service.bootstrap import DEMO_STAFF, demo_password

    return ", ".join(f"{name} / {demo_password(name)}" for name in DEMO_STAFF)


def _enrol_demo_hall(settings: Settings) -> None:
    """Enrols the demo's controller, kiosk and simulated devices as a hall's would be: the admin registers
    each (or rotates it, on a later run) and the device exchanges its one-time code for its own secret,
    kept in its 0600 credential file; then the embedded broker's password file is written from the
    enrolled devices (hall_controller.mosquitto_acl). Development mode only: it signs in as the demo admin."""
    import httpx

    from case_service.bootstrap import demo_password
    from devices.protocol.credentials import controller_device_id
    from firmware_sim.main import demo_device_ids
    from hall.enrolment import register_and_enrol
    from hall_controller.mosquitto_acl import fetch_logins, write_broker_files

    if settings.mode is not Mode.DEVELOPMENT:
        return
    with httpx.Client(base_url=settings.case_service_url, timeout=30.0) as admin:
        signed_in = admin.post(
            "/api/v1/auth/login", json={"username": "admin", "password": demo_password("admin")}
        )
        if signed_in.status_code != 200:
            raise StartupError(
                f"the demo admin could not sign in to enrol the devices: HTTP {signed_in.status_code}"
            )
        token = signed_in.json()["access_token"]
        admin.headers["Authorization"] = f"Bearer {token}"
        devices = [
            (controller_device_id(settings.hall_id), "controller"),
            (settings.kiosk.device_id, "kiosk"),
        ]
        devices += [(device_id, "device") for device_id in demo_device_ids(settings)]
        for device_id, kind in devices:
            register_and_enrol(settings, admin, device_id, kind)
        logins = fetch_logins(settings.case_service_url, token, settings.hall_id, admin)
    if settings.uses_embedded_broker:
        write_broker_files(settings.broker_password_file.parent, [settings.hall_id], logins)
    click.echo(
        f"enrolled {len(devices)} devices; their credentials are in {settings.resolved_credentials_dir}/"
    )


def run_demo(settings: Settings, *, with_kiosk: bool, exit_after: float | None) -> None:
    _check_ports(settings)
    demo_accounts = _demo_accounts(settings)
    started = time.monotonic()
    logs = settings.data_dir / "logs"
    supervisor = Supervisor()
    display: VirtualDisplay | None = None
    previous = {sig: signal.signal(sig, _raise_interrupted) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        # The case service first: the devices are enrolled there before they sign in to the broker.
        supervisor.start(
            ChildProcess("case-service", hall_command("case-service"), logs / "case-service.log"),
            ready=lambda: wait_for_http(f"{settings.case_service_url}/healthz", 0.2),
            timeout=60,
        )
        _enrol_demo_hall(settings)
        if settings.uses_embedded_broker:
            supervisor.start(
                ChildProcess("broker", hall_command("broker"), logs / "broker.log"),
                ready=lambda: tcp_open("127.0.0.1", settings.embedded_broker_port),
                timeout=20,
            )
        else:
            require_broker(
                settings.resolved_mqtt_url,
                username=settings.mqtt_username,
                password=settings.mqtt_password_value,
                ca_file=settings.mqtt_ca_file,
            )
        # The demo's lockers work on the demo's case service (release-contact, ready for pickup, delivered)
        # unless HALL_CONTROLLER__LOCKER_CASES says otherwise.
        controller_env = (
            {}
            if "locker_cases" in settings.controller.model_fields_set
            else {"HALL_CONTROLLER__LOCKER_CASES": "case-service"}
        )
        supervisor.start(
            ChildProcess(
                "controller", hall_command("controller"), logs / "controller.log", env=controller_env
            ),
            ready=lambda: wait_for_http(f"{settings.controller_url}/healthz", 0.2),
            timeout=30,
        )
        doors = settings.data_dir / "run" / "locker-doors.url"  # written by `hall devices` (development)
        simulator = settings.data_dir / "run" / "hall-simulator.url"  # likewise: the kiosk's devices
        for written in (doors, simulator):
            written.unlink(missing_ok=True)
        supervisor.start(
            ChildProcess("devices", hall_command("devices"), logs / "devices.log"),
            ready=lambda: True,
            timeout=5,
        )
        if settings.mode is Mode.DEVELOPMENT:
            shown_by = time.monotonic() + 20.0
            while not simulator.exists() and time.monotonic() < shown_by:
                time.sleep(0.1)
        if with_kiosk:
            env: dict[str, str] = {}
            if simulator.exists() and "simulator_url" not in settings.kiosk.model_fields_set:
                # the kiosk's card reader, scanner, desk and printer paper are the simulator's
                env["HALL_KIOSK__SIMULATOR_URL"] = simulator.read_text("utf-8").strip()
            if has_real_display():
                click.echo("kiosk: opening on this display")
            else:
                display = start_virtual_display()
                env["DISPLAY"] = display.name
                click.echo(f"kiosk: no display here, so it runs on the virtual display {display.name} (Xvfb)")
            kiosk_ready = settings.data_dir / "run" / f"{settings.kiosk.device_id}.ready"
            kiosk_ready.unlink(missing_ok=True)
            supervisor.start(
                ChildProcess("kiosk", hall_command("kiosk"), logs / "kiosk.log", env=env),
                ready=kiosk_ready.exists,
                timeout=60,
            )
        elapsed = time.monotonic() - started
        click.echo(f"\nThe demo hall '{settings.hall_id}' is up ({elapsed:.1f} s). Open:")
        click.echo(f"  case service, staff pages   {settings.case_service_url}/")
        click.echo(f"  case service API docs       {settings.case_service_url}/docs")
        click.echo(f"  hall manager's dashboard    {settings.controller_url}/")
        click.echo(f"  MQTT broker                 {hide_url_passwords(settings.resolved_mqtt_url)}")
        shown_by = time.monotonic() + 5.0
        while settings.mode is Mode.DEVELOPMENT and not doors.exists() and time.monotonic() < shown_by:
            time.sleep(0.1)
        if doors.exists():
            click.echo(f"  simulated locker doors      {doors.read_text('utf-8').strip()}")
        if simulator.exists():
            click.echo(f"  hall simulator (kiosk)      {simulator.read_text('utf-8').strip()}")
        if demo_accounts:
            click.echo(f"Demo staff sign-in (development mode only): {demo_accounts}")
        click.echo(f"Data and logs are under {settings.data_dir.resolve()}/. Ctrl-C stops everything.")
        deadline = None if exit_after is None else time.monotonic() + exit_after
        while deadline is None or time.monotonic() < deadline:
            exited = supervisor.first_exited()
            if exited is not None:
                raise StartupError(f"{exited.name} stopped unexpectedly; its log ends:\n{exited.tail()}")
            time.sleep(0.5)
    except _InterruptedError:
        click.echo("\nstopping the demo hall…")
    except RuntimeError as err:
        raise StartupError(str(err)) from err
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        supervisor.stop_all()
        if display is not None:
            display.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo("demo hall stopped.")
