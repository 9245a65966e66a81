"""Actions on a case: load it, step it through the rules (domain.transitions), store it, audit it.

Every function works inside the caller's session (one transaction per request) and writes the audit
trail in that same transaction, so an action and its audit entry are stored together or not at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_service.auth.tokens import SYSTEM, PrincipalKind
from case_service.cases import issued, joint, opinions, package_guard, site_visits, supervision_feed
from case_service.cases.context import Context, snapshot
from case_service.cases.materials import RESULT_MATERIAL, case_materials, completeness
from case_service.cases.reading import load
from case_service.certificates import making
from case_service.domain import decision, review, site_visit, transitions
from case_service.domain.calendar import WorkingCalendar
from case_service.domain.errors import InvalidInputError, NotFoundError
from case_service.domain.flows import Flow
from case_service.domain.states import Action, CaseState, require_role
from case_service.domain.supervision_feed import Event
from case_service.domain.transitions import ActionInput
from case_service.storage import audit
from case_service.storage.models import Case, Evaluation, Item
from hall.calendar import CHINA_TZ
from hall.privacy import PiiCipher


def _progress_of(case: Case) -> transitions.Progress:
    """The case's legal progress, as the rules (domain.transitions) read it."""
    values = {name: getattr(case, name) for name in transitions.PROGRESS_FIELDS}
    values["state"] = CaseState(case.state)
    values["resume_to"] = CaseState(case.resume_to) if case.resume_to else None
    values["flow"] = Flow(case.flow or Flow.LICENCE)
    return transitions.Progress(**values)


def _store(case: Case, progress: transitions.Progress) -> None:
    """Writes the fields the rules changed onto the loaded case (flushed with the session)."""
    for name in transitions.PROGRESS_FIELDS:
        value = getattr(progress, name)
        if isinstance(value, (CaseState, Flow)):
            value = value.value
        if getattr(case, name) != value:
            setattr(case, name, value)


def _terms(item: Item) -> transitions.Terms:
    return transitions.Terms(
        item.promised_limit_days,
        item.legal_limit_days,
        item.stage_budgets,
        higher_authority=str((item.guide or {}).get("higher_authority", "")),
        issues_certificate=True,  # every item of the licence and certificate flows issues its result
    )


# The decisions, and the event each sends the supervising department (审管分离).
DECISIONS = {Action.APPROVE: Event.APPROVED, Action.DENY: Event.DENIED}

# Actions whose rules read the case's materials against the item's list.
_CHECKS_MATERIALS = frozenset({Action.REQUEST_SUPPLEMENT, Action.ACCEPT, Action.REGISTER})


def _result_document(ctx: Context, case: Case) -> str | None:
    """The latest upload of the higher authority's result (its sha256), or None."""
    found = [
        blob.sha256
        for material, blob, _ in case_materials(ctx.session, case)
        if material.name == RESULT_MATERIAL
    ]
    return found[-1] if found else None


def _step(ctx: Context, case: Case, item: Item, action: Action, data: ActionInput) -> None:
    report = None
    if action in _CHECKS_MATERIALS:
        report = completeness(ctx, case, defects=data.defects, conditions_met=data.conditions_met)
    moved = transitions.step(
        _progress_of(case),
        action,
        data,
        terms=_terms(item),
        calendar=ctx.calendar,
        today=ctx.today,
        now=dt.datetime.now(CHINA_TZ),
        report=report,
        result_document=_result_document(ctx, case) if action is Action.RECORD_RESULT else None,
        certificate=making.valid_number(ctx.session, case.number)
        if action in transitions.NEEDS_CERTIFICATE
        else None,
    )
    _store(case, moved)


def act(
    ctx: Context,
    case_id: int | str,
    action: Action,
    data: ActionInput,
    *,
    findings: Sequence[review.Finding] = (),
) -> Case:
    """One action on a case, audited. A decision (approve, deny) is the last level's opinion and is kept
    with `findings` (cases.opinions); a send-back closes the round of review."""
    case = load(ctx, case_id, for_update=True)
    item = ctx.session.get(Item, case.item_id)
    assert item is not None
    if action is not Action.AUTO_ACCEPT:
        require_role(action, ctx.principal.roles)
        if (
            ctx.principal.kind is PrincipalKind.APPLICANT
            and case.applicant_index not in ctx.principal.applicant_indexes
        ):
            raise NotFoundError(f"no case {case_id}")
        _auto_accept_if_lapsed(ctx, case, item)
    if action is Action.RELEASE:
        package_guard.require_releasable(ctx.session, case)  # a package's results go out together
    before = snapshot(case)
    opinion = opinions.decision_opinion(ctx, case, item, action, data, findings=findings)
    if action in DECISIONS:
        _may_decide(ctx.session, case, item)
    _step(ctx, case, item, action, data)
    audit.append(
        ctx.session,
        actor=ctx.principal.actor,
        action=f"case.{action.value}",
        subject_type="case",
        subject_id=case.id,
        before=before,
        after={**snapshot(case), **({"reason": data.reason} if data.reason else {})},
    )
    if opinion is not None:
        opinions.store(ctx, case, opinion)
    if action in DECISIONS:  # 审管分离: the result goes to the supervising department
        supervision_feed.enqueue(ctx.session, case, DECISIONS[action], actor=ctx.principal.actor)
    if action is Action.SEND_BACK:
        opinions.store_send_back(ctx, case, data.reason or "")
    if action is Action.SEAL:
        making.seal(ctx.session, case.number, sealer=ctx.principal.subject, actor=ctx.principal.actor)
    issued.freeze(ctx, case, action, data, before)
    if action is Action.ACCEPT:
        joint.open_for(ctx, case, item)
    ctx.session.flush()
    return case


def _may_decide(session: Session, case: Case, item: Item) -> None:
    """domain.decision: no decision while a joint department's opinion or a required site visit is due."""
    decision.may_decide(
        [joint.as_task(row) for row in joint.rows_of(session, case)],
        site_visit.requirement(item.guide),
        [site_visits.state_of(row) for row in site_visits.visits_of(session, case)],
    )


def accept_if_lapsed(ctx: Context, case_ref: int | str) -> Case:
    """Opening a case applies art. 32 at once (the same rule as `sweep`): a submitted case whose notice
    period lapsed is accepted by law, as the system and audited, before anyone reads or acts on it."""
    case = load(ctx, case_ref)
    if case.state != CaseState.SUBMITTED.value:
        return case
    case = load(ctx, case.id, for_update=True)
    item = ctx.session.get(Item, case.item_id)
    assert item is not None
    _auto_accept_if_lapsed(ctx, case, item)
    return case


def _auto_accept_if_lapsed(ctx: Context, case: Case, item: Item) -> bool:
    """Art. 32 (transitions.lapsed): accepts the case as the system, audited, before anyone acts on it."""
    if not transitions.lapsed(_progress_of(case), ctx.calendar, ctx.today):
        return False
    before = snapshot(case)
    _step(ctx, case, item, Action.AUTO_ACCEPT, ActionInput())
    audit.append(
        ctx.session,
        actor=SYSTEM.actor,
        action="case.auto_accept",
        subject_type="case",
        subject_id=case.id,
        before=before,
        after={**snapshot(case), "basis": transitions.AUTO_ACCEPT_BASIS},
    )
    issued.freeze(ctx, case, Action.AUTO_ACCEPT, ActionInput(), before)
    joint.open_for(ctx, case, item)
    return True


def sweep(session: Session, calendar: WorkingCalendar, cipher: PiiCipher, today: dt.date) -> int:
    """Accepts every submitted case whose 5-day notice period lapsed; returns how many."""
    ctx = Context(session, calendar, cipher, today, SYSTEM)
    cutoff_candidates = session.scalars(
        select(Case)
        .where(
            Case.state == CaseState.SUBMITTED.value,
            Case.stage_due_on < today,
            Case.supplement_notice.is_(None),
        )
        .with_for_update()
    ).all()
    accepted = 0
    for case in cutoff_candidates:
        item = session.get(Item, case.item_id)
        assert item is not None
        accepted += _auto_accept_if_lapsed(ctx, case, item)
    return accepted


def evaluate(
    ctx: Context, case: Case, *, score: int, comment: str, window: str | None, clerk: str | None
) -> Evaluation:
    if not 1 <= score <= 5:
        raise InvalidInputError("score must be 1 (非常不满意) to 5 (非常满意)")
    evaluation = Evaluation(
        case_id=case.id, score=score, comment=comment, source=ctx.principal.actor, window=window, clerk=clerk
    )
    ctx.session.add(evaluation)
    ctx.session.flush()
    audit.append(
        ctx.session,
        actor=ctx.principal.actor,
        action="case.evaluate",
        subject_type="case",
        subject_id=case.id,
        after={"score": score, "window": window, "clerk": clerk},
    )
    return evaluation
