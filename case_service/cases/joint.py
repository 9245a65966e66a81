"""Joint approval through the case operations (domain.joint): the tasks opened at acceptance, a joint
department's opinion, the lead's decision waiting for them, and what supervision shows."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_service.cases import materials
from case_service.cases.context import Context
from case_service.cases.opinions import person_name
from case_service.domain import joint
from case_service.domain.errors import ConflictError, NotFoundError
from case_service.domain.review import Conclusion
from case_service.storage import audit
from case_service.storage.models import Case, CaseTask, Item, MaterialBlob


def as_task(row: CaseTask) -> joint.Task:
    return joint.Task(
        department=row.department,
        due_on=row.due_on,
        answered_on=row.answered_on,
        conclusion=Conclusion(row.conclusion) if row.conclusion else None,
        text=row.text,
        signer=row.signer,
    )


def rows_of(session: Session, case: Case) -> list[CaseTask]:
    return list(session.scalars(select(CaseTask).where(CaseTask.case_id == case.id).order_by(CaseTask.id)))


def open_for(ctx: Context, case: Case, item: Item) -> list[CaseTask]:
    """At acceptance: one task per joint department of the item, due inside the decision limit."""
    if not item.joint_departments or case.accepted_on is None or case.decision_due_on is None:
        return []
    if rows_of(ctx.session, case):
        return []
    tasks = joint.open_tasks(
        case.department, item.joint_departments, ctx.calendar, case.accepted_on, case.decision_due_on
    )
    rows = [CaseTask(case_id=case.id, department=task.department, due_on=task.due_on) for task in tasks]
    ctx.session.add_all(rows)
    if rows:
        audit.append(
            ctx.session,
            actor=ctx.principal.actor,
            action="case.joint_open",
            subject_type="case",
            subject_id=case.id,
            after={"tasks": [{"department": r.department, "due_on": r.due_on.isoformat()} for r in rows]},
        )
    ctx.session.flush()
    return rows


def load_task(ctx: Context, case_id: int) -> tuple[Case, CaseTask]:
    """A joint department's staff read the case through their task (not 'not found' for a task that
    is not theirs: the same answer as for no case at all)."""
    case = ctx.session.get(Case, case_id)
    department = ctx.principal.department
    row = None
    if case is not None and department:
        row = ctx.session.scalar(
            select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.department == department)
        )
    if case is None or row is None:
        raise NotFoundError(f"no joint task of yours on case {case_id}")
    return case, row


def read_material(ctx: Context, case_id: int, material_id: int) -> MaterialBlob:
    """One material of the case for a joint department with a task on it; audited as every read."""
    case, _row = load_task(ctx, case_id)
    return materials.read_material(ctx, case, material_id)[1]


def answer(ctx: Context, case_id: int, conclusion: Conclusion, text: str) -> tuple[Case, CaseTask]:
    case, row = load_task(ctx, case_id)
    if not case.is_open or case.decided_on is not None:
        raise ConflictError("本办件已作出决定，不再征求联办意见")
    done = joint.answer(
        as_task(row),
        department=ctx.principal.department,
        roles=ctx.principal.roles,
        signer=ctx.principal.subject,
        conclusion=conclusion,
        text=text,
        today=ctx.today,
    )
    row.answered_on, row.conclusion, row.text = done.answered_on, conclusion.value, done.text
    row.signer, row.signer_name = done.signer, person_name(ctx.session, done.signer)
    audit.append(
        ctx.session,
        actor=ctx.principal.actor,
        action="case.joint_opinion",
        subject_type="case",
        subject_id=case.id,
        after={
            "department": row.department,
            "conclusion": conclusion.value,
            "opinion": row.text,
            "signer_name": row.signer_name,
            "late": row.due_on < ctx.today,
        },
    )
    ctx.session.flush()
    return case, row


def open_tasks(session: Session, department: str | None) -> list[tuple[CaseTask, Case]]:
    """Open tasks on open cases: one department's, or (None) every department's, the earliest due first."""
    query = (
        select(CaseTask, Case)
        .join(Case, Case.id == CaseTask.case_id)
        .where(CaseTask.answered_on.is_(None), Case.is_open.is_(True), Case.decided_on.is_(None))
        .order_by(CaseTask.due_on, CaseTask.id)
    )
    if department is not None:
        query = query.where(CaseTask.department == department)
    return [(task, case) for task, case in session.execute(query).all()]


def is_late(task: CaseTask, today: dt.date) -> bool:
    return bool(joint.holding_up([as_task(task)], today))
