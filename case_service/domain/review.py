"""The review of a case and its levels of approval (承办 → 审核 → 审批), pure.

An item names how many levels sign before its decision (one to three, `levels`): with one the approver
decides alone, with two the reviewer (承办) signs first, with three a second officer (审核) between them.
Each level signs in order, once per round, by a different person with a role the level needs; its opinion
answers every review point of the item (审查要点: met or not, with a note where not) and ends with a
conclusion and its text. The last level's opinion is the decision: agree → approve, disagree → deny.
Sending the case back to the window (退回) closes the round: the opinions stay on record, the next round
starts over at the first level.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from case_service.domain.errors import ConflictError, ForbiddenError, InvalidInputError
from case_service.domain.states import Action, Role

MAX_LEVELS = 3
DEFAULT_LEVELS = 1  # an item that names no levels: the approver decides alone, as the law's minimum


class Level(StrEnum):
    UNDERTAKE = "undertake"  # 承办
    CHECK = "check"  # 审核
    APPROVE = "approve"  # 审批


class Conclusion(StrEnum):
    AGREE = "agree"
    DISAGREE = "disagree"


LEVEL_LABELS: Mapping[Level, str] = {Level.UNDERTAKE: "承办", Level.CHECK: "审核", Level.APPROVE: "审批"}
LEVEL_ROLES: Mapping[Level, frozenset[Role]] = {
    Level.UNDERTAKE: frozenset({Role.REVIEWER}),
    Level.CHECK: frozenset({Role.REVIEWER, Role.APPROVER}),
    Level.APPROVE: frozenset({Role.APPROVER}),
}
CONCLUSION_LABELS: Mapping[Conclusion, str] = {
    Conclusion.AGREE: "同意准予许可",
    Conclusion.DISAGREE: "不同意，建议不予许可",
}
FINAL_CONCLUSION_LABELS: Mapping[Conclusion, str] = {
    Conclusion.AGREE: "准予许可",
    Conclusion.DISAGREE: "不予许可",
}
_CHAINS: Mapping[int, tuple[Level, ...]] = {
    1: (Level.APPROVE,),
    2: (Level.UNDERTAKE, Level.APPROVE),
    3: (Level.UNDERTAKE, Level.CHECK, Level.APPROVE),
}


@dataclass(frozen=True)
class Finding:
    """One review point answered: met or not, with a note (required where not met)."""

    point: str
    met: bool
    note: str = ""


@dataclass(frozen=True)
class Opinion:
    """One level's signed opinion in one round."""

    level: Level
    round: int
    signer: str
    signer_name: str
    findings: tuple[Finding, ...]
    conclusion: Conclusion
    text: str
    signed_at: dt.datetime


def levels(count: object) -> tuple[Level, ...]:
    """The chain of an item's `approval_levels` (1–3; missing means DEFAULT_LEVELS)."""
    if count is None or count == "":
        count = DEFAULT_LEVELS
    if isinstance(count, bool) or not isinstance(count, int) or count not in _CHAINS:
        raise InvalidInputError(f"approval_levels must be 1 to {MAX_LEVELS}, not {count!r}")
    return _CHAINS[count]


def pending(chain: Sequence[Level], signed: Sequence[Opinion]) -> Level | None:
    """The next level to sign in this round (`signed`: this round's opinions), None when all signed."""
    done = {opinion.level for opinion in signed}
    return next((level for level in chain if level not in done), None)


def ready_to_decide(chain: Sequence[Level], signed: Sequence[Opinion]) -> bool:
    """Every level before the last has signed this round."""
    return pending(chain, signed) is chain[-1]


def findings_of(points: Sequence[str], answers: Mapping[str, tuple[bool | None, str]]) -> tuple[Finding, ...]:
    """Every review point answered (met or not met; a note where not met), in the item's order."""
    findings = []
    unanswered = []
    for point in points:
        met, note = answers.get(point, (None, ""))
        if met is None:
            unanswered.append(point)
            continue
        if not met and not note.strip():
            raise InvalidInputError(f"审查要点“{point}”不符合的，请写明具体情况")
        findings.append(Finding(point, met, note.strip()))
    if unanswered:
        raise InvalidInputError(
            f"请逐项填写审查要点的审查意见，尚未填写: {'、'.join(unanswered)}",
            details={"unanswered": unanswered},
        )
    return tuple(findings)


def sign(
    chain: Sequence[Level],
    signed: Sequence[Opinion],
    *,
    level: Level,
    round_number: int,
    signer: str,
    signer_name: str,
    roles: frozenset[Role] | set[Role],
    findings: Sequence[Finding],
    conclusion: Conclusion,
    text: str,
    now: dt.datetime,
) -> Opinion:
    """A level's opinion, or the DomainError saying why it may not be signed now."""
    if level not in chain:
        raise ConflictError(
            f"本事项的审批层级为{'→'.join(LEVEL_LABELS[each] for each in chain)}，没有{LEVEL_LABELS[level]}",
            details={"level": level.value},
        )
    expected = pending(chain, signed)
    if expected is not level:
        waiting = LEVEL_LABELS[expected] if expected else "无"
        raise ConflictError(
            f"应由{waiting}环节签署意见，不能签署{LEVEL_LABELS[level]}意见",
            details={"level": level.value, "pending": expected.value if expected else None},
        )
    if not LEVEL_ROLES[level] & set(roles):
        raise ForbiddenError(
            f"{LEVEL_LABELS[level]}意见须由{'或'.join(sorted(r.value for r in LEVEL_ROLES[level]))}签署",
            details={"level": level.value},
        )
    if any(opinion.signer == signer for opinion in signed):
        raise ConflictError("同一人不能在同一办件中签署两个层级的意见", details={"signer": signer})
    if not text.strip():
        raise InvalidInputError(f"请填写{LEVEL_LABELS[level]}意见")
    if conclusion is Conclusion.AGREE and not all(finding.met for finding in findings):
        raise InvalidInputError("有审查要点不符合的，不能同意准予许可")
    return Opinion(
        level=level,
        round=round_number,
        signer=signer,
        signer_name=signer_name,
        findings=tuple(findings),
        conclusion=conclusion,
        text=text.strip(),
        signed_at=now,
    )


def decision(opinion: Opinion) -> Action:
    """The last level's opinion as the decision it makes."""
    return Action.APPROVE if opinion.conclusion is Conclusion.AGREE else Action.DENY


def denial_reasons(findings: Sequence[Finding], text: str) -> list[str]:
    """A denial's reasons (行政许可法 第三十八条): the points not met, then the opinion's own lines."""
    reasons = [f"{finding.point}：{finding.note}" for finding in findings if not finding.met]
    reasons += [line.strip() for line in text.splitlines() if line.strip()]
    return reasons


def send_back_reason(reason: str) -> str:
    """退回: the reason told to the window is required."""
    if not reason.strip():
        raise InvalidInputError("退回窗口须写明退回原因")
    return reason.strip()
