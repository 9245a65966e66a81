"""The clerk's intake at the window (收件登记): what each material on the item's list was marked as, and
whether the marks hold together. Pure: no I/O.

A material is received (已收: paper in hand, its scan uploaded), reused (复用: the applicant's library
already has it), missing (未收) or tolerated (容缺: may follow after acceptance, only where the item's list
allows it). An agent (代办人) must hand in the authorisation letter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

STATUS_LABELS = {"received": "已收", "reused": "复用材料库", "missing": "未收", "tolerated": "容缺后补"}
FORM_LABELS = {"original": "原件", "copy": "复印件", "electronic": "电子件"}
IN_HAND = ("received", "reused")
MAX_COUNT = 20
AUTHORISATION = "授权委托书"


@dataclass(frozen=True)
class Mark:
    name: str
    status: str
    form: str
    count: int
    has_file: bool = False


def authorisation_material(requirements: Sequence[Mapping[str, Any]]) -> str | None:
    """The name of the item's material that carries the authorisation letter, if the list has one."""
    for requirement in requirements:
        if AUTHORISATION in requirement["name"]:
            return str(requirement["name"])
    return None


def default_status(requirement: Mapping[str, Any], in_library: bool) -> str:
    if in_library:
        return "reused"
    return "received" if requirement.get("required", True) else "missing"


def review(
    requirements: Sequence[Mapping[str, Any]],
    marks: Sequence[Mark],
    *,
    agent: bool,
    in_library: frozenset[str] = frozenset(),
    letter_in_hand: bool = False,
) -> list[str]:
    """Every problem with the marks, in Chinese, in the list's order; empty when they hold together.
    `letter_in_hand`: the clerk has the agent's letter although the item's list does not name one."""
    problems: list[str] = []
    by_name = {mark.name: mark for mark in marks}
    for requirement in requirements:
        name = requirement["name"]
        mark = by_name.get(name)
        if mark is None or mark.status not in STATUS_LABELS:
            problems.append(f"请为「{name}」选择收件情况")
            continue
        if mark.status == "tolerated" and not requirement.get("tolerated", False):
            problems.append(f"「{name}」不在本事项的容缺受理清单内，不能容缺")
        if mark.status == "received" and not mark.has_file:
            problems.append(f"「{name}」标为已收，请上传扫描件（PDF、JPG 或 PNG）")
        if mark.status == "reused" and name not in in_library:
            problems.append(f"申请人的材料库中没有「{name}」，不能复用")
        if mark.status in IN_HAND:
            if mark.form not in FORM_LABELS:
                problems.append(f"请为「{name}」选择原件或复印件")
            if not 1 <= mark.count <= MAX_COUNT:
                problems.append(f"「{name}」的份数应在1到{MAX_COUNT}之间")
    if agent:
        letter = authorisation_material(requirements)
        if letter is None and not letter_in_hand:
            problems.append("代办人办理须收取授权委托书原件，请勾选已收")
        if letter is not None and by_name.get(letter, Mark(letter, "missing", "", 0)).status not in IN_HAND:
            problems.append(f"代办人办理须收取「{letter}」")
    return problems


def reconcile(marks: Sequence[Mark], linked_from_library: Sequence[str]) -> list[Mark]:
    """The marks as the case holds them after filing: a material the filing linked from the applicant's
    library is reused, whatever the clerk marked (unless a scan was received for it as well)."""
    linked = set(linked_from_library)
    return [
        Mark(mark.name, "reused", mark.form, max(mark.count, 1), False)
        if mark.name in linked and mark.status != "received"
        else mark
        for mark in marks
    ]
