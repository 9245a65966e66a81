"""The back office's review: a level signs its opinion on a case (domain.review), the last level's opinion
decides it (once joint opinions and a required site visit are in: domain.decision, checked in `act`), and
the review may send the case back to the window (退回). Each is audited with the case."""

from __future__ import annotations

from collections.abc import Sequence

from case_service.cases import opinions
from case_service.cases.actions import act
from case_service.cases.context import Context
from case_service.cases.reading import load
from case_service.domain import review
from case_service.domain.errors import ConflictError
from case_service.domain.states import Action, CaseState
from case_service.domain.transitions import ActionInput
from case_service.storage.models import Case, Item


def item_of(ctx: Context, case: Case) -> Item:
    item = ctx.session.get(Item, case.item_id)
    assert item is not None
    return item


def sign(
    ctx: Context,
    case_ref: int | str,
    *,
    level: review.Level,
    findings: Sequence[review.Finding],
    conclusion: review.Conclusion,
    text: str,
) -> Case:
    """A level's opinion. The last level's is the decision (approve or deny, through `act`), made once
    every joint department has given its opinion and a required site visit is concluded; a first opinion
    on an accepted case starts its review."""
    case = load(ctx, case_ref, for_update=True)
    chain = opinions.chain_of(item_of(ctx, case))
    if level is chain[-1]:
        if conclusion is review.Conclusion.AGREE:
            data = ActionInput(reason=text.strip() or None)
            return act(ctx, case.id, Action.APPROVE, data, findings=findings)
        data = ActionInput(reason=text.strip() or None, reasons=review.denial_reasons(findings, text))
        return act(ctx, case.id, Action.DENY, data, findings=findings)
    if case.state == CaseState.ACCEPTED.value:
        case = act(ctx, case.id, Action.START_REVIEW, ActionInput())
    if case.state != CaseState.IN_REVIEW.value:
        raise ConflictError("办件不在审核中，不能签署审核意见", details={"state": case.state})
    rows = opinions.rows_of(ctx.session, case)
    opinion = review.sign(
        chain,
        opinions.signed_in_round(rows),
        level=level,
        round_number=opinions.round_of(rows),
        signer=ctx.principal.subject,
        signer_name=opinions.person_name(ctx.session, ctx.principal.subject),
        roles=ctx.principal.roles,
        findings=findings,
        conclusion=conclusion,
        text=text,
        now=opinions.now(),
    )
    opinions.store(ctx, case, opinion)
    return case


def send_back(ctx: Context, case_ref: int | str, reason: str) -> Case:
    """退回窗口 with the reason; the round of review ends (its opinions stay on record)."""
    return act(ctx, case_ref, Action.SEND_BACK, ActionInput(reason=review.send_back_reason(reason)))
