"""Best-fit compartment choice, pure. Two clerks never get the same compartment: that guarantee is the
repository's (a conditional claim inside a transaction); this module only ranks the candidates."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum


class Size(IntEnum):
    S = 1
    M = 2
    L = 3
    XL = 4

    @classmethod
    def parse(cls, value: str) -> Size:
        try:
            return cls[value.strip().upper()]
        except KeyError as err:
            raise ValueError(
                f"unknown compartment size {value!r}: one of {', '.join(cls.__members__)}"
            ) from err


@dataclass(frozen=True, slots=True)
class Candidate:
    compartment_id: str
    size: Size


def rank(free: Iterable[Candidate], needed: Size) -> list[Candidate]:
    """Free compartments that fit, best first: the smallest that fits, then by id (stable, predictable)."""
    fitting = [candidate for candidate in free if candidate.size >= needed]
    return sorted(fitting, key=lambda candidate: (candidate.size, candidate.compartment_id))


def best_fit(free: Iterable[Candidate], needed: Size) -> Candidate | None:
    ranked = rank(free, needed)
    return ranked[0] if ranked else None
