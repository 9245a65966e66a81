"""电子监察 cards and 督办, kept in the database: issuing the cards the open cases earned (the sweep and the
supervisor's button), listing them in a reader's scope, urging a department and recording its answer.
Every card, order and answer is an audit entry on its case. The rules are `domain.cards`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from case_service.auth.tokens import Principal
from case_service.domain import cards as rules
from case_service.domain import deadlines
from case_service.domain.calendar import WorkingCalendar
from case_service.domain.errors import ConflictError, ForbiddenError, NotFoundError
from case_service.storage import audit
from case_service.storage.models import AuditEntry, Case, SupervisionCard, Urging

STAFF = "staff:"
SWEEP_ACTOR = "system:supervision"
# The stages whose handler is the person who started the review (else: everyone in the role).
REVIEW_STAGES = {deadlines.Stage.REVIEW.value, deadlines.Stage.CERTIFICATE.value}
WINDOW_STAGES = {
    deadlines.Stage.ACCEPTANCE.value,
    deadlines.Stage.RELEASE.value,
    deadlines.Stage.HIGHER_AUTHORITY.value,
}


def _staff_name(actor: str | None) -> str | None:
    return actor[len(STAFF) :] if actor and actor.startswith(STAFF) else None


def _reviewers(session: Session, case_ids: list[int]) -> dict[int, str]:
    """Who started each case's review (the last to do so), from the audit trail."""
    if not case_ids:
        return {}
    rows = session.execute(
        select(AuditEntry.subject_id, AuditEntry.actor)
        .where(
            AuditEntry.subject_type == "case",
            AuditEntry.subject_id.in_([str(case_id) for case_id in case_ids]),
            AuditEntry.action == "case.start_review",
        )
        .order_by(AuditEntry.seq)
    ).all()
    found: dict[int, str] = {}
    for subject_id, actor in rows:
        name = _staff_name(actor)
        if name is not None:
            found[int(subject_id)] = name
    return found


def issue_cards(
    session: Session,
    calendar: WorkingCalendar,
    today: dt.date,
    *,
    actor: str = SWEEP_ACTOR,
    warning_days: int = deadlines.WARNING_DAYS,
) -> list[SupervisionCard]:
    """The cards the open cases have earned by `today` and not yet received: written, each with an audit
    entry on its case naming `actor` (the sweep, or the supervisor who pressed the button). Running it
    again the same day issues nothing new."""
    horizon = deadlines.warning_horizon(calendar, today, warning_days)
    candidates = list(
        session.scalars(
            select(Case)
            .where(Case.is_open == true(), Case.stage_due_on.is_not(None), Case.stage_due_on <= horizon)
            .order_by(Case.stage_due_on, Case.id)
        )
    )
    if not candidates:
        return []
    ids = [case.id for case in candidates]
    held = {
        (card.case_id, card.stage, card.stage_due_on, card.colour)
        for card in session.scalars(select(SupervisionCard).where(SupervisionCard.case_id.in_(ids)))
    }
    reviewers = _reviewers(session, [case.id for case in candidates if case.stage in REVIEW_STAGES])
    issued = []
    for case in candidates:
        assert case.stage_due_on is not None
        if case.stage is None:
            continue
        for colour in rules.cards_earned(calendar, case.stage_due_on, today, warning_days):
            if (case.id, case.stage, case.stage_due_on, colour.value) in held:
                continue
            handler = (
                reviewers.get(case.id)
                if case.stage in REVIEW_STAGES
                else _staff_name(case.created_by)
                if case.stage in WINDOW_STAGES
                else None
            )
            recipients = [r.as_dict() for r in rules.recipients(colour, case.stage, case.department, handler)]
            card = SupervisionCard(
                case_id=case.id,
                colour=colour.value,
                stage=case.stage,
                stage_due_on=case.stage_due_on,
                department=case.department,
                issued_on=today,
                recipients=recipients,
            )
            session.add(card)
            issued.append(card)
            audit.append(
                session,
                actor=actor,
                action=f"supervision.{colour.value}_card",
                subject_type="case",
                subject_id=case.id,
                after={
                    "colour": colour.value,
                    "stage": case.stage,
                    "stage_due_on": case.stage_due_on.isoformat(),
                    "recipients": recipients,
                },
            )
    session.flush()
    return issued


@dataclass(frozen=True)
class CardRow:
    card: SupervisionCard
    case: Case
    urgings: list[Urging]


def list_cards(
    session: Session, department: str | None, *, since: dt.date | None = None, limit: int = 100
) -> list[CardRow]:
    """The newest cards first (red before yellow on a day), in a department's scope, with their 督办."""
    query = (
        select(SupervisionCard, Case)
        .join(Case, Case.id == SupervisionCard.case_id)
        .order_by(SupervisionCard.issued_on.desc(), SupervisionCard.colour, SupervisionCard.id.desc())
        .limit(limit)
    )
    if department is not None:
        query = query.where(SupervisionCard.department == department)
    if since is not None:
        query = query.where(SupervisionCard.issued_on >= since)
    rows = session.execute(query).all()
    case_ids = {case.id for _card, case in rows}
    by_case: dict[int, list[Urging]] = {}
    if case_ids:
        for urging in session.scalars(select(Urging).where(Urging.case_id.in_(case_ids)).order_by(Urging.id)):
            by_case.setdefault(urging.case_id, []).append(urging)
    return [CardRow(card, case, by_case.get(case.id, [])) for card, case in rows]


def list_urgings(session: Session, department: str | None, *, limit: int = 100) -> list[tuple[Urging, Case]]:
    query = select(Urging, Case).join(Case, Case.id == Urging.case_id).order_by(Urging.id.desc()).limit(limit)
    if department is not None:
        query = query.where(Urging.department == department)
    return [(urging, case) for urging, case in session.execute(query).all()]


def cards_for(session: Session, principal: Principal, *, limit: int = 100) -> list[CardRow]:
    """The cards addressed to this member of staff (newest first)."""
    query = select(SupervisionCard).order_by(SupervisionCard.id.desc()).limit(2000)
    if principal.department is not None:
        query = query.where(SupervisionCard.department == principal.department)
    roles = frozenset(role.value for role in principal.roles)
    mine = [
        card
        for card in session.scalars(query)
        if any(
            rules.addressed_to(recipient, principal.subject, roles, principal.department)
            for recipient in card.recipients
        )
    ][:limit]
    ids = {card.case_id for card in mine}
    cases = {case.id: case for case in session.scalars(select(Case).where(Case.id.in_(ids)))}
    return [CardRow(card, cases[card.case_id], []) for card in mine]


def current_cards(session: Session, listed: Sequence[Case]) -> dict[int, list[str]]:
    """The colours of the cards the present stage of each listed case earned (its stage and due date),
    red before yellow: what the staff's work lists show beside the case. Cases without one are left out."""
    if not listed:
        return {}
    present = {case.id: (case.stage, case.stage_due_on) for case in listed}
    query = select(
        SupervisionCard.case_id, SupervisionCard.stage, SupervisionCard.stage_due_on, SupervisionCard.colour
    )
    found: dict[int, set[str]] = {}
    for case_id, stage, due_on, colour in session.execute(
        query.where(SupervisionCard.case_id.in_(list(present)))
    ):
        if present[case_id] == (stage, due_on):
            found.setdefault(case_id, set()).add(colour)
    order = [rules.Colour.RED.value, rules.Colour.YELLOW.value]
    return {case_id: [colour for colour in order if colour in colours] for case_id, colours in found.items()}


def urge(
    session: Session,
    calendar: WorkingCalendar,
    today: dt.date,
    principal: Principal,
    case_id: int,
    *,
    reply_by: dt.date,
    instruction: str,
    card_id: int | None = None,
) -> Urging:
    """A supervisor's 督办 to the case's department (a department's own manager: their department only)."""
    roles = frozenset(role.value for role in principal.roles)
    if not rules.is_supervisor(roles):
        raise ForbiddenError("督办需要监察 (manager) 权限 urging needs the manager role")
    case = session.get(Case, case_id)
    if case is None:
        raise NotFoundError(f"case {case_id} not found")
    text = rules.check_urging(
        calendar,
        today,
        reply_by=reply_by,
        instruction=instruction,
        urger_department=principal.department,
        case_department=case.department,
    )
    if card_id is not None:
        card = session.get(SupervisionCard, card_id)
        if card is None or card.case_id != case.id:
            raise NotFoundError(f"card {card_id} is not a card of case {case.number}")
    urging = Urging(
        case_id=case.id,
        card_id=card_id,
        department=case.department,
        instruction=text,
        issued_by=principal.subject,
        issued_on=today,
        reply_by=reply_by,
    )
    session.add(urging)
    session.flush()
    audit.append(
        session,
        actor=principal.actor,
        action="supervision.urge",
        subject_type="case",
        subject_id=case.id,
        after={
            "urging": urging.id,
            "department": case.department,
            "reply_by": reply_by.isoformat(),
            "instruction": text,
            "card": card_id,
        },
    )
    return urging


def answer(session: Session, today: dt.date, principal: Principal, urging_id: int, text: str) -> Urging:
    """The urged department's answer, given once by its head."""
    urging = session.get(Urging, urging_id)
    if urging is None:
        raise NotFoundError(f"督办 {urging_id} not found")
    reply = rules.check_reply(
        answer=text,
        replier_roles=frozenset(role.value for role in principal.roles),
        replier_department=principal.department,
        urged_department=urging.department,
    )
    if urging.answered_on is not None:
        raise ConflictError(f"督办 {urging_id} 已答复 was answered on {urging.answered_on}")
    urging.answer, urging.answered_by, urging.answered_on = reply, principal.subject, today
    status = rules.urging_status(urging.reply_by, today, today)
    audit.append(
        session,
        actor=principal.actor,
        action="supervision.answer",
        subject_type="case",
        subject_id=urging.case_id,
        after={"urging": urging.id, "answer": reply, "status": status.value},
    )
    return urging
