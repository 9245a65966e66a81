"""Checks the materials handed in against the item's list; the supplement notice comes from this check."""

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


@dataclass(frozen=True)
class Defect:
    material: str
    problem: str


@dataclass(frozen=True)
class CompletenessReport:
    missing: tuple[str, ...]
    defects: tuple[Defect, ...] = field(default_factory=tuple)
    unknown: tuple[str, ...] = field(default_factory=tuple)  # handed in but not on the list

    @property
    def complete(self) -> bool:
        return not self.missing and not self.defects

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
    missing = tuple(
        requirement.name
        for requirement in listed
        if (requirement.required or requirement.name in needed_conditionals)
        and provided.get(requirement.name, 0) < 1
    )
    defect_list = tuple(defects)
    unknown_defects = [defect.material for defect in defect_list if defect.material not in names]
    unknown = tuple(sorted({name for name in provided if name not in names} | set(unknown_defects)))
    return CompletenessReport(missing, defect_list, unknown)
