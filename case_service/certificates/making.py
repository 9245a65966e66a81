"""A case's certificate made for real: the draft filled from the case and its item's certificate template,
a preview of it, the issue (which moves the case to certificate_made through `CertificateContext.on_issued`),
and the seal put on that certificate by the sealer.

The seal is the hall's unified seal (行政审批局) when the item is under it (`Item.unified_seal`), otherwise
the seal of the item's own implementing unit: the certificate names that authority and the seal drawn on
it is that authority's."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_service.certificates import service
from case_service.certificates.models import CertificateRecord
from case_service.certificates.render import CertificateView, render_certificate
from case_service.certificates.service import (
    Actor,
    CertificateContext,
    CertificateError,
    CertificateStatus,
    IssueRequest,
)
from case_service.certificates.templates import default_valid_until, template_for
from case_service.domain.errors import (
    ConflictError,
    DomainError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
)
from case_service.storage import audit
from case_service.storage.models import Case, Item
from hall.privacy import mask_id_number

PREVIEW_LABEL = "样张 · 预览 · 未生效"
_ERRORS: dict[str, type[DomainError]] = {
    "not-found": NotFoundError,
    "conflict": ConflictError,
    "invalid": InvalidInputError,
    "forbidden": ForbiddenError,
}


@dataclass(frozen=True)
class Draft:
    """What the make-certificate form shows and the reviewer may correct before confirming."""

    certificate_name: str
    holder: str
    scope_label: str
    scope: str
    valid_from: dt.date
    valid_until: dt.date | None
    authority: str

    def request(self) -> IssueRequest:
        return IssueRequest(
            self.certificate_name, self.scope, self.valid_until, self.valid_from, self.authority
        )


def seal_authority(item: Item, hall_authority: str) -> str:
    """The unified seal's authority, or the item's own unit's where the item is not under it."""
    if item.unified_seal:
        return hall_authority
    return (item.implementing_unit or item.department).strip() or hall_authority


def draft(case: Case, item: Item, hall_authority: str, today: dt.date) -> Draft:
    template = template_for(case.item_code)
    return Draft(
        certificate_name=template.certificate_name,
        holder=case.applicant_name,
        scope_label=template.scope_label,
        scope=f"准予办理{case.item_name}",
        valid_from=today,
        valid_until=default_valid_until(template, today),
        authority=seal_authority(item, hall_authority),
    )


def preview(case: Case, holder_id_number: str, chosen: Draft, today: dt.date) -> bytes:
    """The certificate as it would be made, unsealed and marked as a preview (no number, no QR yet)."""
    view = CertificateView(
        number="（确认制作后生成）",
        certificate_name=chosen.certificate_name,
        holder=case.applicant_name,
        holder_id_masked=mask_id_number(holder_id_number),
        item_name=case.item_name,
        scope=chosen.scope,
        valid_from=chosen.valid_from,
        valid_until=chosen.valid_until,
        authority=chosen.authority,
        issued_on=today,
        qr_text=f"PREVIEW {case.number}",
        scope_label=chosen.scope_label,
    )
    return render_certificate(view, sealed=False, copy_label=PREVIEW_LABEL)


def make(
    session: Session, context: CertificateContext, case_number: str, chosen: IssueRequest, actor: Actor
) -> CertificateRecord:
    """Issues the certificate (the case moves to certificate_made with it), refusals as DomainErrors."""
    try:
        return service.issue(session, context, case_number, chosen, actor=actor)
    except CertificateError as err:
        raise _ERRORS.get(err.kind, ConflictError)(err.message) from err


def valid_number(session: Session, case_number: str) -> str | None:
    """The number of the case's valid certificate, if it has one."""
    return session.scalar(
        select(CertificateRecord.number).where(
            CertificateRecord.case_number == case_number,
            CertificateRecord.status == CertificateStatus.VALID,
        )
    )


def seal(session: Session, case_number: str, *, sealer: str, actor: str) -> CertificateRecord | None:
    """The sealer's seal on the case's valid certificate: who and when, audited on the certificate."""
    record = session.scalars(
        select(CertificateRecord).where(
            CertificateRecord.case_number == case_number,
            CertificateRecord.status == CertificateStatus.VALID,
        )
    ).first()
    if record is None:
        return None
    record.sealed_by = sealer
    record.sealed_at = dt.datetime.now(dt.UTC)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="certificate.seal",
        subject_type="certificate",
        subject_id=record.number,
        after={"case": case_number, "authority": record.authority, "sealed_by": sealer},
    )
    return record
