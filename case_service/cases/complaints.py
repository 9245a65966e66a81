"""投诉 kept in the database: registering (routed to the case's department, or the one named; one about
the hall itself to the hall's office), the answer, telling the complainant; each an audit entry on the
complaint. The rules: domain.complaints."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from case_service.auth.tokens import PrincipalKind
from case_service.cases.context import Context
from case_service.cases.reading import load
from case_service.domain import complaints as rules
from case_service.domain.errors import ForbiddenError, InvalidInputError, NotFoundError
from case_service.storage import audit
from case_service.storage.models import Case, Complaint, Item
from hall.privacy import mask_phone

CONTACT_CONTEXT = "complaint.contact_phone"


def departments(session: Session) -> list[str]:
    """The departments of the catalogue's current items: those a complaint may be routed to."""
    return list(
        session.scalars(
            select(Item.department).where(Item.is_current == true()).distinct().order_by(Item.department)
        )
    )


def register(
    ctx: Context, *, channel: str, complainant: str, summary: str, department: str = "", case_ref: str = ""
) -> Complaint:
    """A complaint registered by the window (or a manager) or filed by the applicant themself (kiosk,
    online: about one of their own cases, in their own name)."""
    principal = ctx.principal
    roles = frozenset(role.value for role in principal.roles)
    applicant = principal.kind is PrincipalKind.APPLICANT
    if not applicant and not (principal.kind is PrincipalKind.STAFF and roles & rules.REGISTRARS):
        raise ForbiddenError("投诉由窗口或大厅管理员登记 the window or a manager registers complaints")
    case: Case | None = None
    if case_ref.strip():
        case = load(ctx, case_ref.strip())  # an applicant: their own cases only
        department = case.department
    elif applicant:
        raise InvalidInputError("请选择要投诉的办件 (the case is required)")
    elif department not in departments(ctx.session):
        raise InvalidInputError(f"部门 {department[:64]!r} 不在事项目录中 (unknown department)")
    if applicant:
        assert case is not None
        complainant = case.applicant_name
    known, name, text = rules.check_registration(
        channel=channel, complainant=complainant, summary=summary, department=department
    )
    complaint = Complaint(
        case_id=case.id if case else None,
        department=department,
        channel=known.value,
        complainant=name,
        summary=text,
        registered_by=principal.actor,
        received_on=ctx.today,
        reply_by=rules.reply_by(ctx.calendar, ctx.today),
    )
    after = {"case": case.number if case else None, "department": department, "channel": known.value}
    return _registered(ctx, complaint, after)


def register_about_hall(
    ctx: Context, *, office: str, channel: str, topic: str, detail: str = "", phone: str = ""
) -> Complaint:
    """A complaint about the hall itself, to the hall's `office`: filed by a person at the kiosk (signed
    in: in their name; or by the kiosk itself, anonymously) or online, or registered by the window."""
    principal = ctx.principal
    roles = frozenset(role.value for role in principal.roles)
    if principal.kind is PrincipalKind.APPLICANT:
        assert principal.sealed_name is not None
        complainant = ctx.cipher.decrypt(principal.sealed_name, context="token.name")
    elif principal.kind is PrincipalKind.DEVICE and "kiosk" in roles and channel == rules.Channel.KIOSK:
        complainant = rules.ANONYMOUS  # nobody signed in at the kiosk
    elif principal.kind is PrincipalKind.STAFF and roles & rules.REGISTRARS:
        complainant = rules.ANONYMOUS
    else:
        raise ForbiddenError("对大厅的投诉由本人在自助终端或网上提交,或由窗口登记 not yours to file")
    known, summary, contact = rules.check_hall_complaint(topic=topic, detail=detail, phone=phone)
    kind, name, _text = rules.check_registration(
        channel=channel, complainant=complainant, summary=summary, department=office
    )
    complaint = Complaint(
        case_id=None,
        department=office,
        channel=kind.value,
        complainant=name,
        summary=summary,
        registered_by=principal.actor,
        received_on=ctx.today,
        reply_by=rules.reply_by(ctx.calendar, ctx.today),
        topic=known.value,
        contact_phone_enc=ctx.cipher.encrypt(contact, context=CONTACT_CONTEXT) if contact else None,
    )
    after = {"about": "hall", "topic": known.value, "department": office, "channel": kind.value}
    return _registered(ctx, complaint, {**after, "contact": bool(contact)})


def _registered(ctx: Context, complaint: Complaint, after: Mapping[str, object]) -> Complaint:
    """The new complaint kept, with its audit entry (what it is about, and its reply date)."""
    ctx.session.add(complaint)
    ctx.session.flush()
    audit.append(
        ctx.session,
        actor=ctx.principal.actor,
        action="complaint.register",
        subject_type="complaint",
        subject_id=complaint.id,
        after={**after, "reply_by": complaint.reply_by.isoformat()},
    )
    return complaint


def masked_contact(ctx: Context, complaint: Complaint) -> str | None:
    """The contact phone of a complaint about the hall, masked (None: none given)."""
    if complaint.contact_phone_enc is None:
        return None
    return mask_phone(ctx.cipher.decrypt(complaint.contact_phone_enc, context=CONTACT_CONTEXT))


def _get(ctx: Context, complaint_id: int) -> Complaint:
    complaint = ctx.session.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFoundError(f"投诉 {complaint_id} not found")
    return complaint


def answer(ctx: Context, complaint_id: int, text: str) -> Complaint:
    complaint = _get(ctx, complaint_id)
    reply = rules.check_answer(
        answer=text,
        roles=frozenset(role.value for role in ctx.principal.roles),
        department=ctx.principal.department,
        routed_to=complaint.department,
        answered=complaint.answered_on is not None,
        about_hall=complaint.about_hall,
    )
    complaint.answer, complaint.answered_by, complaint.answered_on = reply, ctx.principal.subject, ctx.today
    audit.append(
        ctx.session,
        actor=ctx.principal.actor,
        action="complaint.answer",
        subject_type="complaint",
        subject_id=complaint.id,
        after={"answer": reply, "in_time": rules.answered_in_time(complaint.reply_by, ctx.today)},
    )
    return complaint


def tell(ctx: Context, complaint_id: int, how: str) -> Complaint:
    complaint = _get(ctx, complaint_id)
    told = rules.check_telling(
        how=how,
        roles=frozenset(role.value for role in ctx.principal.roles),
        answered=complaint.answered_on is not None,
        told=complaint.told_on is not None,
        reachable=complaint.reachable,
    )
    complaint.told_on, complaint.told_how = ctx.today, told.value
    audit.append(
        ctx.session,
        actor=ctx.principal.actor,
        action="complaint.tell",
        subject_type="complaint",
        subject_id=complaint.id,
        after={"how": told.value},
    )
    return complaint


def listed(
    session: Session, department: str | None, *, limit: int = 200
) -> list[tuple[Complaint, str | None]]:
    """The newest complaints first, each with its case's number (None: about no one case)."""
    query = (
        select(Complaint, Case.number)
        .outerjoin(Case, Case.id == Complaint.case_id)
        .order_by(Complaint.id.desc())
        .limit(limit)
    )
    if department is not None:
        query = query.where(Complaint.department == department)
    return [(complaint, number) for complaint, number in session.execute(query).all()]
