"""`hall`: one entry point for every process of the service hall."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click

from hall.errors import StartupError
from hall.logging import configure_logging
from hall.privacy import hide_url_passwords
from hall.settings import PROCESS_SECRETS, Mode, Settings, get_settings


def _settings(process: str) -> Settings:
    settings = get_settings()
    settings.check_process(process)
    configure_logging(settings.log_level, process)
    data_dir = settings.data_dir
    try:
        private_data_dir(data_dir)
        with tempfile.TemporaryFile(dir=data_dir):
            pass  # a file can be written there (a permission check alone says nothing to root)
    except OSError as err:
        reason = err.strerror or err
        raise StartupError(f"HALL_DATA_DIR {data_dir} is not a writable folder: {reason}") from err
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
    settings.check_process(process)
    click.echo(settings.public_json())


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

    sys.exit(gateway_main(list(args), prog="hall locker-gateway"))


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


@app.group("catalogue")
def catalogue() -> None:
    """The item catalogue as a spreadsheet (xlsx, or CSV), against the configured database."""


@catalogue.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def catalogue_export(path: Path) -> None:
    """Write the current catalogue to PATH (.xlsx; PATH.csv writes PATH-items.csv and PATH-materials.csv)."""
    from case_service.catalogue.commands import export_file

    count = export_file(_settings("catalogue"), path)
    click.echo(f"{count} items written to {path}")


@catalogue.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--materials",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="With an items CSV: the materials CSV.",
)
@click.option("--confirm", is_flag=True, help="Make the changes (without it: a dry run that lists them).")
def catalogue_import(path: Path, materials: Path | None, confirm: bool) -> None:
    """Show (or with --confirm make) the changes a filled-in spreadsheet asks for."""
    from case_service.catalogue.commands import import_file
    from case_service.domain.errors import InvalidInputError

    try:
        plan = import_file(_settings("catalogue"), path, materials=materials, confirm=confirm)
    except InvalidInputError as err:
        click.echo(f"hall: error: {err.message}", err=True)
        for line in (err.details or {}).get("errors", [])[1:]:
            click.echo(f"  {line}", err=True)
        sys.exit(1)
    for code in plan.new:
        click.echo(f"新增 {code}")
    for code, fields in plan.changed.items():
        click.echo(f"变更 {code}: {'、'.join(fields)}")
    for error in plan.errors:
        click.echo(f"错误 {error}", err=True)
    verb = "imported" if confirm else "dry run (add --confirm to import)"
    click.echo(f"{len(plan.new)} new, {len(plan.changed)} changed, {plan.unchanged} unchanged: {verb}")
    if plan.errors:
        sys.exit(1)


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
        click.echo(f"hall: error: {hide_url_passwords(str(err))}", err=True)
        sys.exit(2)
    except click.exceptions.NoArgsIsHelpError as err:
        err.show()  # `hall` alone: its usage, as click prints it for a group, and exit 2
        sys.exit(2)
    except click.UsageError as err:
        click.echo(f"hall: error: {err.format_message()} (see 'hall --help')", err=True)
        sys.exit(2)
    except click.Abort:
        sys.exit(130)
