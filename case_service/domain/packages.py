"""“一件事一次办” packages: several items applied for once, with one set of materials, decided by their
departments in parallel and released together. Pure: no I/O.

A package names two or more catalogue items (catalogue/data/packages.json). Filing it files one case per
item, linked to the package. The materials the applicant hands in are the union of the items' lists, a
material several items ask for asked once (`union_materials`). The results are released together: no
case of a package is released while another is still being decided (`release_blockers`); a case that
ends without a result (不予许可, 不予受理, withdrawn) goes out with the others, with its notice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from case_service.domain.errors import ConflictError, InvalidInputError
from case_service.domain.intake import Mark
from hall.case_api import CaseState

S = CaseState
CODE_RE = re.compile(r"^YJS-\d{3}$")
# A result is made and waits for the release action (licence: sealed; forwarding: the higher
# authority's result in; public service: handled).
RESULT_WAITING = frozenset({S.SEALED, S.RESULT_RECEIVED, S.HANDLED})
# Released: at the window, in a locker, handed over; a registration is decided and given on the spot.
RELEASED = frozenset({S.READY_FOR_RELEASE, S.READY_FOR_PICKUP, S.DELIVERED, S.REGISTERED})
# Ended without a result to hand over; the applicant gets its notice with the others' results.
NO_RESULT = frozenset({S.DENIED, S.NOT_ACCEPTED, S.WITHDRAWN})
DECIDED = RESULT_WAITING | RELEASED | NO_RESULT
# "original" is the strictest form: the union asks for the strictest any item asks for.
_FORM_ORDER = ("original", "copy", "electronic")


class PackageStatus(StrEnum):
    IN_PROGRESS = "in_progress"  # a case is still being decided
    READY = "ready"  # every case decided: the results wait to be released together
    RELEASED = "released"  # released together (at the window, a locker, or handed over)
    CLOSED = "closed"  # every case ended without a result


STATUS_LABELS = {
    PackageStatus.IN_PROGRESS: "办理中",
    PackageStatus.READY: "已全部办结，待统一出件",
    PackageStatus.RELEASED: "已统一出件",
    PackageStatus.CLOSED: "已办结（均无许可结果）",
}


@dataclass(frozen=True)
class Definition:
    code: str
    name: str
    lead_department: str
    items: tuple[str, ...]
    description: str = ""
    basis: str = ""


def definition(raw: Mapping[str, Any], catalogue: Mapping[str, Mapping[str, Any]]) -> Definition:
    """A package as written in the data file, checked against the catalogue's current items."""
    code = str(raw.get("code", ""))
    if not CODE_RE.match(code):
        raise InvalidInputError(f"套餐编码「{code}」应形如 YJS-001", details={"field": "code"})
    items = tuple(str(item) for item in raw.get("items", ()))
    if len(items) < 2:
        raise InvalidInputError(f"套餐 {code} 至少应包含两个事项", details={"field": "items"})
    if len(set(items)) != len(items):
        raise InvalidInputError(f"套餐 {code} 的事项不能重复", details={"field": "items"})
    unknown = [item for item in items if item not in catalogue]
    if unknown:
        raise InvalidInputError(f"套餐 {code} 含有清单中没有的事项：{'、'.join(unknown)}")
    departments = {str(catalogue[item]["department"]) for item in items}
    lead = str(raw.get("lead_department", ""))
    if lead not in departments:
        raise InvalidInputError(f"套餐 {code} 的牵头部门「{lead}」不是其事项的实施部门之一")
    return Definition(
        code=code,
        name=str(raw["name"]),
        lead_department=lead,
        items=items,
        description=str(raw.get("description", "")),
        basis=str(raw.get("basis", "")),
    )


@dataclass(frozen=True)
class SharedMaterial:
    """One material of the package's one set: asked once, for every item that lists it."""

    name: str
    required: bool
    tolerated: bool
    form: str
    copies: int
    items: tuple[str, ...]  # the codes of the items whose lists name it


def _key(name: str) -> str:
    """Names compared as people read them: full- and half-width brackets alike, spaces ignored."""
    return "".join(name.split()).replace("（", "(").replace("）", ")")


def union_materials(items: Sequence[Mapping[str, Any]]) -> list[SharedMaterial]:
    """The union of the items' material lists, in the order first named, each material once: required
    if any item requires it, tolerated (容缺) only if every item naming it tolerates it, in the strictest
    form and the largest number of copies any item asks for."""
    merged: dict[str, SharedMaterial] = {}
    for item in items:
        for material in item["materials"]:
            key = _key(str(material["name"]))
            form = str(material.get("form", "original"))
            found = merged.get(key)
            if found is None:
                merged[key] = SharedMaterial(
                    name=str(material["name"]),
                    required=bool(material.get("required", True)),
                    tolerated=bool(material.get("tolerated", False)),
                    form=form if form in _FORM_ORDER else "original",
                    copies=int(material.get("copies", 1)),
                    items=(str(item["code"]),),
                )
                continue
            stricter = min(found.form, form, key=lambda f: _FORM_ORDER.index(f) if f in _FORM_ORDER else 0)
            merged[key] = SharedMaterial(
                name=found.name,
                required=found.required or bool(material.get("required", True)),
                tolerated=found.tolerated and bool(material.get("tolerated", False)),
                form=stricter,
                copies=max(found.copies, int(material.get("copies", 1))),
                items=(*found.items, str(item["code"])),
            )
    return list(merged.values())


def shared_requirements(shared: Sequence[SharedMaterial]) -> list[dict[str, Any]]:
    """The union as a material list (domain.intake.review checks the clerk's marks against it)."""
    return [
        {"name": m.name, "required": m.required, "tolerated": m.tolerated, "form": m.form, "copies": m.copies}
        for m in shared
    ]


def marks_for_item(item: Mapping[str, Any], marks: Sequence[Mark]) -> list[Mark]:
    """The clerk's marks on the one set, as one item's intake record holds them (its list's names)."""
    by_key = {_key(mark.name): mark for mark in marks}
    found = []
    for material in item["materials"]:
        mark = by_key.get(_key(str(material["name"])))
        if mark is not None:
            found.append(Mark(str(material["name"]), mark.status, mark.form, mark.count, mark.has_file))
    return found


def status_of(states: Iterable[str]) -> PackageStatus:
    """The package's status from its cases' states."""
    all_states = [S(state) for state in states]
    if not all_states or any(state not in DECIDED for state in all_states):
        return PackageStatus.IN_PROGRESS
    if all(state in NO_RESULT for state in all_states):
        return PackageStatus.CLOSED
    if any(state in RESULT_WAITING for state in all_states):
        return PackageStatus.READY
    return PackageStatus.RELEASED


def release_blockers(members: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The (case number, state) of every case of the package still being decided."""
    return [(number, state) for number, state in members if S(state) not in DECIDED]


def require_releasable(number: str, members: Iterable[tuple[str, str]], labels: Mapping[str, str]) -> None:
    """Refuses releasing case `number` while another case of its package is still being decided: the
    applicant collects every result of the package in one trip. `labels`: the states' Chinese names."""
    blockers = [(other, state) for other, state in release_blockers(members) if other != number]
    if blockers:
        waiting = "、".join(f"{other}（{labels.get(state, state)}）" for other, state in blockers)
        raise ConflictError(
            f"本办件属于“一件事一次办”套餐，须与套餐内其他办件统一出件；尚在办理：{waiting}",
            details={"waiting": [other for other, _ in blockers]},
        )
