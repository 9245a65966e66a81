"""The stored opinions of a case's review (domain.review): read them, check a decision against them, keep
a signed opinion or a send-back, each audited in the caller's transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_service.cases.context import Context
from case_service.domain import review
from case_service.domain.errors import ConflictError
from case_service.domain.flows import Flow
from case_service.domain.states import Action
from case_service.domain.transitions import ActionInput
from case_service.storage import audit
from case_service.storage.models import Case, CaseOpinion, Item, User

SEND_BACK = "send_back"
OPINION = "opinion"


def chain_of(item: Item) -> tuple[review.Level, ...]:
    """The item's levels of approval (its guide's `approval_levels`)."""
    return review.levels((item.guide or {}).get("approval_levels"))


def rows_of(session: Session, case: Case) -> list[CaseOpinion]:
    return list(
        session.scalars(select(CaseOpinion).where(CaseOpinion.case_id == case.id).order_by(CaseOpinion.id))
    )


def round_of(rows: Sequence[CaseOpinion]) -> int:
    """The round of review now open: one more than the send-backs so far."""
    return 1 + sum(1 for row in rows if row.kind == SEND_BACK)


def as_opinion(row: CaseOpinion) -> review.Opinion:
    return review.Opinion(
        level=review.Level(row.level or review.Level.APPROVE),
        round=row.round,
        signer=row.signer,
        signer_name=row.signer_name,
        findings=tuple(
            review.Finding(str(f["point"]), bool(f["met"]), str(f.get("note", ""))) for f in row.findings
        ),
        conclusion=review.Conclusion(row.conclusion or review.Conclusion.AGREE),
        text=row.text,
        signed_at=row.signed_at,
    )


def signed_in_round(rows: Sequence[CaseOpinion]) -> list[review.Opinion]:
    """This round's signed opinions."""
    current = round_of(rows)
    return [as_opinion(row) for row in rows if row.kind == OPINION and row.round == current]


def person_name(session: Session, username: str) -> str:
    user = session.scalar(select(User).where(User.username == username))
    return user.display_name if user and user.display_name else username


def now() -> dt.datetime:
    """Stored in UTC, as every time of the case service (shown in the hall's time)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def decision_opinion(
    ctx: Context,
    case: Case,
    item: Item,
    action: Action,
    data: ActionInput,
    *,
    findings: Sequence[review.Finding] = (),
) -> review.Opinion | None:
    """Approve or deny in the licence flow is the last level's opinion: refused until every level before
    it has signed this round (and by someone who signed none of them). None for other actions."""
    if action not in (Action.APPROVE, Action.DENY) or case.flow != Flow.LICENCE:
        return None
    chain = chain_of(item)
    rows = rows_of(ctx.session, case)
    signed = signed_in_round(rows)
    if not review.ready_to_decide(chain, signed):
        waiting = review.pending(chain, signed)
        label = review.LEVEL_LABELS[waiting] if waiting else ""
        levels = "→".join(review.LEVEL_LABELS[x] for x in chain)
        raise ConflictError(
            f"{label}意见尚未签署，不能作出决定（本事项审批层级：{levels}）",
            details={"pending": waiting.value if waiting else None},
        )
    conclusion = review.Conclusion.AGREE if action is Action.APPROVE else review.Conclusion.DISAGREE
    text = (data.reason or "").strip() or "\n".join(r.strip() for r in data.reasons if r.strip())
    return review.sign(
        chain,
        signed,
        level=chain[-1],
        round_number=round_of(rows),
        signer=ctx.principal.subject,
        signer_name=person_name(ctx.session, ctx.principal.subject),
        roles=ctx.principal.roles,
        findings=findings,
        conclusion=conclusion,
        text=text or review.FINAL_CONCLUSION_LABELS[conclusion],
        now=now(),
    )


def _findings_json(opinion: review.Opinion) -> list[dict[str, Any]]:
    return [{"point": f.point, "met": f.met, "note": f.note} for f in opinion.findings]


def store(ctx: Context, case: Case, opinion: review.Opinion) -> CaseOpinion:
    """Keeps a signed opinion and audits it (level, signer, conclusion, each point's finding)."""
    row = CaseOpinion(
        case_id=case.id,
        round=opinion.round,
        kind=OPINION,
        level=opinion.level.value,
        signer=opinion.signer,
        signer_name=opinion.signer_name,
        findings=_findings_json(opinion),
        conclusion=opinion.conclusion.value,
        text=opinion.text,
        signed_at=opinion.signed_at,
    )
    ctx.session.add(row)
    audit.append(
        ctx.session,
        actor=ctx.principal.actor,
        action="case.opinion",
        subject_type="case",
        subject_id=case.id,
        after={
            "state": case.state,
            "round": opinion.round,
            "level": opinion.level.value,
            "signer": opinion.signer,
            "signer_name": opinion.signer_name,
            "conclusion": opinion.conclusion.value,
            "opinion": opinion.text,
            "findings": _findings_json(opinion),
        },
    )
    ctx.session.flush()
    return row


def store_send_back(ctx: Context, case: Case, reason: str) -> CaseOpinion:
    """退回: the round's end, with the reason (the action's own audit entry records the move)."""
    rows = rows_of(ctx.session, case)
    row = CaseOpinion(
        case_id=case.id,
        round=round_of(rows),
        kind=SEND_BACK,
        level=None,
        signer=ctx.principal.subject,
        signer_name=person_name(ctx.session, ctx.principal.subject),
        findings=[],
        conclusion=None,
        text=reason.strip(),
        signed_at=now(),
    )
    ctx.session.add(row)
    ctx.session.flush()
    return row
