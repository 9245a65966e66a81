"""A CUPS queue through pycups: submit, follow, cancel, and the printer's reasons and marker levels.

libcups keeps the server address per thread and decides whether a connection talks to "the" scheduler
by comparing with it, so every call sets server and port first (`cups.setServer`/`cups.setPort`) and
opens its own short connection; pycups objects are not shared between threads.
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from devices.printing.model import (
    IPP_JOB_PHASES,
    IPP_PRINTER_CONDITIONS,
    Capability,
    Document,
    JobPhase,
    JobStatus,
    Marker,
    PrinterCondition,
    PrinterError,
    PrinterState,
    meaningful_reasons,
)
from hall.net import tcp_open

log = logging.getLogger(__name__)

PRINTER_ATTRIBUTES = [
    "device-uri",
    "printer-state",
    "printer-state-reasons",
    "printer-state-message",
    "printer-is-accepting-jobs",
    "marker-names",
    "marker-levels",
    "marker-types",
    "marker-colors",
]
CAPABILITY_ATTRIBUTES = ["media-supported", "color-supported", "sides-supported"]
JOB_ATTRIBUTES = ["job-state", "job-state-reasons", "job-printer-state-message"]
A4_MEDIA = ("iso_a4_210x297mm", "A4")
RECEIPT_MEDIA_PREFIXES = ("roll_", "oe_80x", "oe_58x", "om_80x", "om_58x", "X80MM", "X58MM")


def _cups() -> Any:
    try:
        import cups
    except ImportError as err:
        raise PrinterError(
            "pycups is not installed (the 'hardware' extra; see scripts/bootstrap.sh)"
        ) from err
    return cups


class CupsPrinter:
    """One CUPS queue. `host`/`port` name the scheduler (the kiosk's own cupsd in production)."""

    def __init__(self, queue: str, *, host: str = "localhost", port: int = 631) -> None:
        self.name = queue
        self.host = host
        self.port = port
        self._lock = threading.Lock()
        self._capabilities: frozenset[Capability] | None = None

    @contextmanager
    def _connection(self, doing: str) -> Iterator[Any]:
        cups = _cups()
        with self._lock:
            cups.setServer(self.host)
            cups.setPort(self.port)
            try:
                connection = cups.Connection(host=self.host, port=self.port)
            except RuntimeError as err:
                raise PrinterError(f"CUPS at {self.host}:{self.port} is unreachable ({doing})") from err
            try:
                yield connection
            except cups.IPPError as err:
                status, message = err.args if len(err.args) == 2 else (0, str(err))
                raise PrinterError(f"{doing} on {self.name}: {message} (IPP status {status:#06x})") from err
            except cups.HTTPError as err:
                raise PrinterError(f"{doing} on {self.name}: HTTP error {err.args[0]}") from err

    @property
    def capabilities(self) -> frozenset[Capability]:
        if self._capabilities is None:
            with self._connection("reading capabilities") as connection:
                attributes = connection.getPrinterAttributes(
                    self.name, requested_attributes=CAPABILITY_ATTRIBUTES
                )
            self._capabilities = capabilities_from_attributes(attributes)
        return self._capabilities

    def submit(self, document: Document) -> int:
        suffix = ".pdf" if document.content_type == "application/pdf" else ".bin"
        with tempfile.TemporaryDirectory(prefix="hall-print-") as folder:
            path = Path(folder) / f"document{suffix}"
            path.write_bytes(document.data)
            options = {**pdf_job_options(document.content_type), **document.options}
            with self._connection("submitting a job") as connection:
                job_id = int(connection.printFile(self.name, str(path), document.title[:255], options))
        log.info("job %d submitted to %s (%d bytes)", job_id, self.name, len(document.data))
        return job_id

    def job_status(self, job_id: int) -> JobStatus:
        with self._connection(f"reading job {job_id}") as connection:
            attributes = connection.getJobAttributes(job_id, requested_attributes=JOB_ATTRIBUTES)
        reasons = attributes.get("job-state-reasons", [])
        if isinstance(reasons, str):
            reasons = [reasons]
        phase = IPP_JOB_PHASES.get(int(attributes.get("job-state", 0)), JobPhase.PENDING)
        return JobStatus(
            job_id,
            phase,
            tuple(str(r) for r in reasons),
            str(attributes.get("job-printer-state-message", "")),
        )

    def cancel(self, job_id: int) -> None:
        with self._connection(f"cancelling job {job_id}") as connection:
            connection.cancelJob(job_id)
        log.info("job %d on %s cancelled", job_id, self.name)

    def state(self) -> PrinterState:
        """The queue's state; a network printer that does not answer is reported `offline` at once.

        CUPS itself only learns that a network printer is gone when a job fails to reach it, and then
        says so only in a message; probing the device's port lets a kiosk choose another printer first.
        """
        with self._connection("reading the printer state") as connection:
            attributes = connection.getPrinterAttributes(self.name, requested_attributes=PRINTER_ATTRIBUTES)
        state = state_from_attributes(attributes)
        if "offline" not in state.reasons and not device_reachable(str(attributes.get("device-uri", ""))):
            state = dataclasses.replace(
                state, condition=PrinterCondition.STOPPED, reasons=(*state.reasons, "offline")
            )
        return state


# A queue whose driver takes PostScript (cups-pdf, PostScript printers) gets PDF through cups-filters'
# pdftops, by default with Ghostscript as the renderer. Ghostscript 10's PDF interpreter drops the
# ToUnicode map of reportlab's embedded TrueType subsets, so the PostScript, and the PDF cups-pdf makes
# of it, would lose every Chinese character from the text layer; poppler's renderer keeps the glyph names
# (uniXXXX, see hall.pdf_fonts.NamedGlyphTTFont) that carry the characters through. A
# queue that takes PDF itself (IPP Everywhere) never runs pdftops and ignores the option.
PDF_RENDERER_OPTION = ("pdftops-renderer", "pdftops")


def pdf_job_options(content_type: str) -> dict[str, str]:
    """The job options a document of this type is submitted with (the caller's own options win)."""
    if content_type == "application/pdf":
        return dict([PDF_RENDERER_OPTION])
    return {"document-format": content_type}


NETWORK_PORTS = {"ipp": 631, "ipps": 631, "http": 631, "https": 443, "socket": 9100, "lpd": 515}


def device_reachable(device_uri: str, timeout: float = 0.5) -> bool:
    """False only for a network device URI whose host and port refuse or ignore a TCP connection."""
    parts = urlsplit(device_uri)
    default_port = NETWORK_PORTS.get(parts.scheme)
    if default_port is None or not parts.hostname:
        return True
    try:
        port = parts.port or default_port
    except ValueError:
        return True
    return tcp_open(parts.hostname, port, timeout=timeout)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def state_from_attributes(attributes: dict[str, Any]) -> PrinterState:
    """IPP printer attributes (as pycups returns them) to a `PrinterState`."""
    names = _as_list(attributes.get("marker-names"))
    levels = _as_list(attributes.get("marker-levels"))
    kinds = _as_list(attributes.get("marker-types"))
    colors = _as_list(attributes.get("marker-colors"))
    markers = tuple(
        Marker(
            str(name),
            int(levels[index]) if index < len(levels) else -1,
            str(kinds[index]) if index < len(kinds) else "",
            str(colors[index]) if index < len(colors) else "",
        )
        for index, name in enumerate(names)
    )
    return PrinterState(
        condition=IPP_PRINTER_CONDITIONS.get(
            int(attributes.get("printer-state", 0)), PrinterCondition.UNKNOWN
        ),
        reasons=meaningful_reasons(
            str(reason) for reason in _as_list(attributes.get("printer-state-reasons"))
        ),
        markers=markers,
        accepting=bool(attributes.get("printer-is-accepting-jobs", True)),
        message=str(attributes.get("printer-state-message", "")),
    )


def capabilities_from_attributes(attributes: dict[str, Any]) -> frozenset[Capability]:
    media = [str(item) for item in _as_list(attributes.get("media-supported"))]
    found: set[Capability] = set()
    if any(item in A4_MEDIA for item in media):
        found.add(Capability.A4)
    if any(item.startswith(RECEIPT_MEDIA_PREFIXES) for item in media):
        found.add(Capability.RECEIPT)
    if attributes.get("color-supported"):
        found.add(Capability.COLOR)
    if any(str(side).startswith("two-sided") for side in _as_list(attributes.get("sides-supported"))):
        found.add(Capability.DUPLEX)
    return frozenset(found)
