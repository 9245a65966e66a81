"""Checks the materials handed in against the item's list (the guide's 申请材料); the supplement notice and
the acceptance's refusal come from this check.

A required material not handed in is missing, unless the guide tolerates it (容缺): a tolerated material is
owed, and the case may be accepted with it owed (the acceptance notice lists it with its deadline). A
conditional material (with a `condition`) is required only when the clerk marks its condition as applying.
A case with no material at all is never acceptable for an item that asks for any."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class MaterialRequirement:
    name: str
    required: bool  # False: conditional ("if applicable")
    form: str = "original"  # original | copy | electronic
    copies: int = 1
    condition: str = ""
    tolerated: bool = False  # 容缺: may be handed in after acceptance


@dataclass(frozen=True)
class Defect:
    material: str
    problem: str


@dataclass(frozen=True)
class CompletenessReport:
    missing: tuple[str, ...]
    defects: tuple[Defect, ...] = field(default_factory=tuple)
    unknown: tuple[str, ...] = field(default_factory=tuple)  # handed in but not on the list
    owed: tuple[str, ...] = field(default_factory=tuple)  # tolerated (容缺) and not handed in
    nothing_given: bool = False  # the item asks for materials and none was handed in

    @property
    def complete(self) -> bool:
        return not self.missing and not self.defects

    @property
    def acceptable(self) -> bool:
        """Acceptance (受理) may go ahead: nothing missing that is not tolerated, no defect named, and not
        an empty application."""
        return self.complete and not self.nothing_given

    def refusal(self) -> str:
        """Why acceptance is refused (empty when it is not), in the clerk's language."""
        if self.acceptable:
            return ""
        if self.nothing_given and not self.missing:
            return "未提交任何申请材料,不能受理(容缺材料也须先提交其余材料)"
        return "申请材料不齐全,不能受理,请先补齐:" + "、".join(self.notice_lines())

    def notice_lines(self) -> list[str]:
        """Every missing or defective material, once (补正材料一次性告知)."""
        lines = [f"{name}:未提交" for name in self.missing]
        lines += [f"{defect.material}:{defect.problem}" for defect in self.defects]
        return lines


def check(
    requirements: Iterable[MaterialRequirement],
    provided: Mapping[str, int],
    *,
    defects: Iterable[Defect] = (),
    conditions_met: Iterable[str] = (),
) -> CompletenessReport:
    """`provided`: material name -> number of files handed in. Conditional materials count only when the
    clerk marks their condition as met (`conditions_met` holds their names)."""
    needed_conditionals = set(conditions_met)
    listed = list(requirements)
    names = {requirement.name for requirement in listed}
    absent = [
        requirement
        for requirement in listed
        if _needed(requirement, needed_conditionals) and provided.get(requirement.name, 0) < 1
    ]
    missing = tuple(requirement.name for requirement in absent if not requirement.tolerated)
    owed = tuple(requirement.name for requirement in absent if requirement.tolerated)
    defect_list = tuple(defects)
    unknown_defects = [defect.material for defect in defect_list if defect.material not in names]
    unknown = tuple(sorted({name for name in provided if name not in names} | set(unknown_defects)))
    asks = any(_needed(requirement, needed_conditionals) for requirement in listed)
    given = any(provided.get(name, 0) > 0 for name in names)
    return CompletenessReport(missing, defect_list, unknown, owed, nothing_given=asks and not given)


def _needed(requirement: MaterialRequirement, conditions_met: set[str]) -> bool:
    """Required, unless conditional (a `condition`, or not required) and its condition not marked met."""
    if requirement.condition or not requirement.required:
        return requirement.name in conditions_met
    return True
