"""Notices as documents of their moment: when an action issues a notice (acceptance, extension,
suspension, decision, …), the case's facts the notice reads are kept as they are that day
(`case_documents`), and the notice is always rendered from them, so an acceptance notice printed again
after an extension still says what it said on the day it was issued."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_service.cases.context import Context
from case_service.cases.opinions import OPINION
from case_service.cases.opinions import rows_of as opinion_rows
from case_service.domain.review import LEVEL_LABELS, Level
from case_service.domain.states import Action
from case_service.domain.transitions import SUSPENSION_KINDS, ActionInput
from case_service.storage.models import Case, CaseDocument, Item
from hall.calendar import CHINA_TZ

ACCEPTANCE = "acceptance"
NON_ACCEPTANCE = "non_acceptance"
SUPPLEMENT = "supplement"
DECISION = "decision"
SERVICE_RECEIPT = "service_receipt"
REGISTRATION = "registration"
EXTENSION = "extension"
SUSPENSION = "suspension"
RESUMPTION = "resumption"

# The notice each action issues (cases.notices.NoticeKind values).
ISSUED_BY: Mapping[Action, str] = {
    Action.ACCEPT: ACCEPTANCE,
    Action.AUTO_ACCEPT: ACCEPTANCE,
    Action.NOT_ACCEPT: NON_ACCEPTANCE,
    Action.REQUEST_SUPPLEMENT: SUPPLEMENT,
    Action.APPROVE: DECISION,
    Action.DENY: DECISION,
    Action.DELIVER: SERVICE_RECEIPT,
    Action.REGISTER: REGISTRATION,
    Action.EXTEND: EXTENSION,
    Action.SUSPEND: SUSPENSION,
    Action.RESUME: RESUMPTION,
}
# The case's fields a notice reads, kept as they are when it is issued.
_DATES = (
    "submitted_on",
    "accepted_on",
    "decision_due_on",
    "legal_due_on",
    "decided_on",
    "suspended_on",
)
_VALUES = (
    "number",
    "item_code",
    "item_name",
    "applicant_name",
    "state",
    "flow",
    "paused_days",
    "extended",
    "not_accepted_reason",
    "decision_reasons",
    "release_channel",
    "delivery_receipt",
    "supplement_notice",
    "owed_materials",
    "forwarding",
    "suspension_reason",
)


def _facts(case: Case) -> dict[str, Any]:
    facts: dict[str, Any] = {name: getattr(case, name) for name in _VALUES}
    for name in _DATES:
        value = getattr(case, name)
        facts[name] = value.isoformat() if value else None
    return facts


def freeze(
    ctx: Context, case: Case, action: Action, data: ActionInput, before: Mapping[str, Any]
) -> CaseDocument | None:
    """Keeps the notice `action` issues, with the facts of this moment (and what only the action knows:
    the extension's earlier due date, the suspension's procedure and expected length)."""
    kind = ISSUED_BY.get(action)
    if kind is None:
        return None
    extra: dict[str, Any] = {}
    if action is Action.EXTEND:
        extra = {"reason": (data.reason or "").strip(), "previous_due": before.get("decision_due_on")}
    elif action is Action.SUSPEND:
        procedure = SUSPENSION_KINDS.get(data.suspension_kind or "", "")
        reason = (data.reason or "").strip()
        extra = {"procedure": procedure, "reason": reason, "expected_days": data.expected_days}
    elif action is Action.RESUME:
        suspension = latest(ctx.session, case, SUSPENSION)
        extra = {"suspended_on": suspension.issued_on.isoformat() if suspension else None}
    elif action in (Action.APPROVE, Action.DENY):
        item_basis, quoted = review_quotes(ctx.session, case)
        extra = {"item_basis": item_basis, "opinions": list(quoted)}
    document = CaseDocument(
        case_id=case.id,
        kind=kind,
        number=case.number,
        issued_on=ctx.today,
        content={"case": _facts(case), "extra": extra},
        issued_by=ctx.principal.actor,
    )
    ctx.session.add(document)
    ctx.session.flush()
    return document


def _china_day(at: dt.datetime) -> str:
    """A stored time (UTC; SQLite gives it back naive) as the hall's day."""
    return (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone(CHINA_TZ).date().isoformat()


def review_quotes(session: Session, case: Case) -> tuple[str, tuple[str, ...]]:
    """The item's legal basis and the deciding round's opinions, as a decision quotes them."""
    item = session.get(Item, case.item_id)
    rows = [row for row in opinion_rows(session, case) if row.kind == OPINION]
    last_round = max((row.round for row in rows), default=0)
    quoted = tuple(
        f"{LEVEL_LABELS[Level(row.level)] if row.level else ''}意见"
        f"（{row.signer_name}，{_china_day(row.signed_at)}）：{row.text}"
        for row in rows
        if row.round == last_round
    )
    return (item.legal_basis if item else ""), quoted


def latest(session: Session, case: Case, kind: str) -> CaseDocument | None:
    return session.scalars(
        select(CaseDocument)
        .where(CaseDocument.case_id == case.id, CaseDocument.kind == kind)
        .order_by(CaseDocument.id.desc())
    ).first()


def as_issued(case: Case, document: CaseDocument) -> Case:
    """A detached copy of the case with the facts of the day the notice was issued."""
    facts = dict(document.content.get("case", {}))
    for name in _DATES:
        value = facts.get(name)
        facts[name] = dt.date.fromisoformat(value) if value else None
    issued_at = dt.datetime.combine(document.issued_on, dt.time(12), tzinfo=CHINA_TZ)
    copy = Case(id=case.id, item_id=case.item_id, department=case.department, updated_at=issued_at)
    for name, value in facts.items():
        setattr(copy, name, value)
    return copy
