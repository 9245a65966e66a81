"""The case page's review section (case/review.html): the chain of levels, every opinion and send-back,
and the form of the level the signed-in person may sign now; the audit timeline's words for an opinion."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from case_service.cases import joint, opinions, result_certificate
from case_service.cases import review as case_review
from case_service.cases import service as cases
from case_service.certificates.models import CertificateRecord
from case_service.certificates.service import CertificateStatus
from case_service.documents.approval_form import FormEntry
from case_service.domain import review
from case_service.domain.flows import Flow
from case_service.domain.states import CaseState, Role
from case_service.storage.models import Case, CaseOpinion
from hall.calendar import CHINA_TZ

REVIEWING = frozenset({CaseState.ACCEPTED, CaseState.IN_REVIEW})
MAKING_STATES = frozenset({"approved", "handled"})  # decided: the certificate is made now


def _local(at: dt.datetime) -> dt.datetime:
    return (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone(CHINA_TZ)


def entry_of(row: CaseOpinion) -> FormEntry:
    opinion = opinions.as_opinion(row) if row.kind == opinions.OPINION else None
    return FormEntry(
        level=opinion.level if opinion else None,
        round=row.round,
        signer=row.signer,
        signer_name=row.signer_name,
        signed_at=_local(row.signed_at),
        text=row.text,
        conclusion=opinion.conclusion if opinion else None,
        findings=opinion.findings if opinion else (),
    )


def review_panel(ctx: cases.Context, case: Case) -> dict[str, Any] | None:
    """What the case page's review section shows: the chain, every opinion and send-back, and the form
    of the level this user may sign now. None for flows without a review by levels."""
    if case.flow != Flow.LICENCE:
        return None
    item = case_review.item_of(ctx, case)
    chain = opinions.chain_of(item)
    rows = opinions.rows_of(ctx.session, case)
    signed = opinions.signed_in_round(rows)
    pending = review.pending(chain, signed) if CaseState(case.state) in REVIEWING else None
    roles = ctx.principal.roles
    can_sign = (
        pending is not None
        and bool(review.LEVEL_ROLES[pending] & roles)
        and all(opinion.signer != ctx.principal.subject for opinion in signed)
        and (pending is not chain[-1] or case.state == CaseState.IN_REVIEW.value)
    )
    points = [str(point) for point in (item.guide or {}).get("review_points", [])]
    unverified = "review_points" in (item.guide or {}).get("unverified", [])
    return {
        "chain": [review.LEVEL_LABELS[level] for level in chain],
        "entries": [entry_of(row) for row in rows],
        "level_labels": {level.value: label for level, label in review.LEVEL_LABELS.items()},
        "conclusions": review.CONCLUSION_LABELS,
        "final_conclusions": review.FINAL_CONCLUSION_LABELS,
        "final_level": chain[-1],
        "pending": pending,
        "pending_label": review.LEVEL_LABELS[pending] if pending else "",
        "is_final": pending is chain[-1],
        "can_sign": can_sign,
        "points": points,
        "points_unverified": unverified,
        "can_send_back": CaseState(case.state) in REVIEWING and bool(roles & {Role.REVIEWER, Role.APPROVER}),
        "approval_levels_unverified": "approval_levels" in (item.guide or {}).get("unverified", []),
        "joint": [
            {"task": task, "late": joint.is_late(task, ctx.today)}
            for task in joint.rows_of(ctx.session, case)
        ],
    }


def opinion_detail(after: dict[str, Any]) -> str:
    """An opinion's audit entry in the timeline: level, conclusion, opinion."""
    try:
        level = review.LEVEL_LABELS[review.Level(after.get("level", ""))]
        labels = review.FINAL_CONCLUSION_LABELS if level == "审批" else review.CONCLUSION_LABELS
        conclusion = labels[review.Conclusion(after.get("conclusion", ""))]
    except (ValueError, KeyError):
        return str(after.get("opinion", ""))
    return f"{level}: {conclusion}。{after.get('opinion', '')}"


def certificate_panel(ctx: cases.Context, case: Case, hall_authority: str) -> dict[str, Any]:
    """The case's certificates (the valid one first) and, for a reviewer of a decided case, the draft."""
    records = list(
        ctx.session.scalars(
            select(CertificateRecord)
            .where(CertificateRecord.case_number == case.number)
            .order_by(CertificateRecord.id.desc())
        )
    )
    can_make = (
        case.state in MAKING_STATES
        and Role.REVIEWER in ctx.principal.roles
        and not any(r.status == CertificateStatus.VALID for r in records)
    )
    return {
        "records": [
            {
                "record": record,
                "sealed_by": opinions.person_name(ctx.session, record.sealed_by) if record.sealed_by else "",
                "sealed_at": _local(record.sealed_at) if record.sealed_at else None,
            }
            for record in records
        ],
        "draft": result_certificate.draft_of(ctx, case, hall_authority) if can_make else None,
    }
