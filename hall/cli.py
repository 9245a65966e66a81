"""`hall`: one entry point for every process of the service hall."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from hall.errors import StartupError
from hall.logging import configure_logging
from hall.settings import Settings, get_settings


def _settings(process: str) -> Settings:
    settings = get_settings()
    configure_logging(settings.log_level, process)
    private_data_dir(settings.data_dir)
    return settings


def private_data_dir(data_dir: Path) -> None:
    """The data directory and everything a hall process writes (databases, keys, logs, printed
    documents) for this user only: the directory 0700, new files 0600."""
    os.umask(0o077)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if data_dir.stat().st_uid == os.getuid():  # one made by the administrator keeps its own mode
        data_dir.chmod(0o700)


@click.group(
    name="hall",
    help="Service hall: case service, hall controller, kiosk, simulated devices, and a whole demo hall.",
)
def app() -> None:
    pass


@app.command("config")
def show_config() -> None:
    """Validate the configuration and print it (secrets hidden)."""
    click.echo(get_settings().model_dump_json(indent=2))


@app.command("broker")
@click.option(
    "--port", type=int, default=None, help="Port on 127.0.0.1 (default: HALL_EMBEDDED_BROKER_PORT)."
)
def broker(port: int | None) -> None:
    """Run the embedded MQTT broker (amqtt) on loopback."""
    from hall import broker as embedded

    settings = _settings("broker")
    embedded.run(port or settings.embedded_broker_port)


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
