"""Choosing a printer by what it can do and whether it can do it now (pure over printer snapshots)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from devices.printing.model import Capability, Printer, PrinterError, PrinterState, PrinterUnavailableError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Candidate:
    name: str
    capabilities: frozenset[Capability]
    state: PrinterState | None  # None: the state could not be read


def rank(candidates: Sequence[Candidate], need: Capability) -> tuple[list[Candidate], dict[str, str]]:
    """Usable candidates best first, and why each other one was passed over."""
    usable: list[Candidate] = []
    refused: dict[str, str] = {}
    for candidate in candidates:
        if candidate.state is None:
            refused[candidate.name] = "unreadable"
        elif need not in candidate.capabilities:
            refused[candidate.name] = f"cannot print {need.value}"
        elif not candidate.state.ready:
            problems = ", ".join(candidate.state.blocking) or candidate.state.condition.value
            refused[candidate.name] = f"not ready: {problems}"
        else:
            usable.append(candidate)

    def score(candidate: Candidate) -> tuple[int, int]:
        assert candidate.state is not None
        busy = 0 if candidate.state.condition.value == "idle" else 1
        low_supply = sum(1 for marker in candidate.state.markers if marker.low)
        return (busy, low_supply)

    usable.sort(key=score)
    return usable, refused


def choose_printer(printers: Sequence[Printer], need: Capability) -> Printer:
    """The best ready printer that can do `need`; `PrinterUnavailableError` says why none can."""
    candidates = []
    by_name = {}
    for printer in printers:
        by_name[printer.name] = printer
        try:
            capabilities = printer.capabilities
            state: PrinterState | None = printer.state()
        except PrinterError as err:
            log.warning("printer %s unreadable: %s", printer.name, err)
            capabilities, state = frozenset(), None
        candidates.append(Candidate(printer.name, capabilities, state))
    usable, refused = rank(candidates, need)
    if not usable:
        why = "; ".join(f"{name}: {reason}" for name, reason in refused.items()) or "no printers configured"
        raise PrinterUnavailableError(f"no printer can print {need.value} now ({why})")
    return by_name[usable[0].name]
