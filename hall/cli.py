"""`hall`: one entry point for every process of the service hall."""

from __future__ import annotations

import sys

import click

from hall.errors import StartupError
from hall.logging import configure_logging
from hall.settings import PROCESS_SECRETS, Mode, Settings, get_settings


def _settings(process: str) -> Settings:
    settings = get_settings()
    settings.check_process_secrets(process)
    configure_logging(settings.log_level, process)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings


@click.group(
    name="hall",
    help="Service hall: case service, hall controller, kiosk, simulated devices, and a whole demo hall.",
)
def app() -> None:
    pass


@app.command("config")
@click.option(
    "--process",
    type=click.Choice(sorted(PROCESS_SECRETS)),
    default="case-service",
    show_default=True,
    help="Check the secrets as this process would in production.",
)
def show_config(process: str) -> None:
    """Validate the configuration and print it (secrets hidden)."""
    settings = get_settings()
    settings.check_process_secrets(process)
    click.echo(settings.model_dump_json(indent=2))


@app.command("broker")
@click.option(
    "--port", type=int, default=None, help="Port on 127.0.0.1 (default: HALL_EMBEDDED_BROKER_PORT)."
)
@click.option(
    "--anonymous",
    is_flag=True,
    help="No sign-in and no ACL (development tests only; refused in production).",
)
def broker(port: int | None, anonymous: bool) -> None:
    """Run the embedded MQTT broker (amqtt) on loopback, signing clients in from its password file."""
    from hall import broker as embedded

    settings = _settings("broker")
    if anonymous and settings.mode is Mode.PRODUCTION:
        raise StartupError("production mode refuses an anonymous embedded broker")
    embedded.run(
        port or settings.embedded_broker_port,
        password_file=settings.broker_password_file,
        anonymous=anonymous,
    )


@app.command("case-service")
def case_service() -> None:
    """Run the case service (HTTP API and staff pages)."""
    from case_service.main import run

    run(_settings("case-service"))


@app.command("controller")
def controller() -> None:
    """Run this hall's controller (MQTT coordinator and manager dashboard)."""
    from hall_controller.main import run

    run(_settings("controller"))


@app.command("devices")
def devices() -> None:
    """Run the hall's simulated devices (firmware_sim) against the broker."""
    from firmware_sim.main import run

    run(_settings("devices"))


@app.command("locker-gateway", context_settings={"ignore_unknown_options": True}, add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def locker_gateway(args: tuple[str, ...]) -> None:
    """Bridge real RS485 lock boards to MQTT: --port /dev/ttyUSB0 --layout BOARD:LOCK:SIZE,..."""
    from devices.lockboard.__main__ import main as gateway_main

    sys.exit(gateway_main(list(args)))


@app.command("enrol")
@click.option("--device-id", required=True, help="The id the admin registered (e.g. kiosk-01).")
@click.option("--code", prompt=True, hide_input=True, help="The one-time enrolment code (asked if left out).")
def enrol(device_id: str, code: str) -> None:
    """Exchange a device's one-time enrolment code for its own credential (kept in a 0600 file)."""
    from hall.enrolment import enrol as enrol_device

    settings = get_settings()
    credential = enrol_device(settings, device_id, code)
    path = settings.credential_file(device_id)
    click.echo(f"{credential.device_id} enrolled as a {credential.kind} of {credential.hall_id}: {path}")


@app.command("kiosk")
def kiosk() -> None:
    """Run the self-service kiosk window."""
    from kiosk.main import run

    run(_settings("kiosk"))


@app.command("demo")
@click.option("--kiosk/--no-kiosk", "with_kiosk", default=True, help="Open the kiosk window.")
@click.option("--exit-after", type=float, default=None, help="Stop by itself after this many seconds.")
def demo(with_kiosk: bool, exit_after: float | None) -> None:
    """Start a whole demo hall on the embedded defaults; Ctrl-C stops everything."""
    from hall.demo import run_demo

    run_demo(_settings("demo"), with_kiosk=with_kiosk, exit_after=exit_after)


def main() -> None:
    try:
        app.main(standalone_mode=False, prog_name="hall")
    except StartupError as err:
        click.echo(f"hall: error: {err}", err=True)
        sys.exit(2)
    except click.exceptions.NoArgsIsHelpError:
        sys.exit(0)  # the help text has been printed
    except click.UsageError as err:
        click.echo(f"hall: error: {err.format_message()} (see 'hall --help')", err=True)
        sys.exit(2)
    except click.Abort:
        sys.exit(130)
