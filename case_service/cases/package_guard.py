"""The release guard of “一件事一次办” packages, read by cases.actions before a release: a case filed as
part of a package is released only with the others (domain.packages.require_releasable)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_service.domain import packages
from case_service.domain.states import STATE_LABELS
from case_service.storage.models import Case, CasePackageMember


def members_of(session: Session, case: Case) -> list[tuple[str, str]] | None:
    """(number, state) of every case of `case`'s package, or None when it was filed on its own."""
    package_id = session.scalar(
        select(CasePackageMember.package_id).where(CasePackageMember.case_id == case.id)
    )
    if package_id is None:
        return None
    rows = session.execute(
        select(Case.number, Case.state)
        .join(CasePackageMember, CasePackageMember.case_id == Case.id)
        .where(CasePackageMember.package_id == package_id)
    )
    return [(str(number), str(state)) for number, state in rows]


def require_releasable(session: Session, case: Case) -> None:
    members = members_of(session, case)
    if members is not None:
        packages.require_releasable(
            case.number, members, {str(s): label for s, label in STATE_LABELS.items()}
        )
