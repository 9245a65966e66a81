"""The release guard of “一件事一次办” packages, read by cases.actions before a release: a case filed as
part of a package is released only with the others (domain.packages.require_releasable). `package_of`
reads a case's package and its cases (the case page, the 受理通知书)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_service.domain import packages
from case_service.domain.states import STATE_LABELS
from case_service.storage.models import Case, CasePackage, CasePackageMember


def package_of(session: Session, case: Case) -> tuple[CasePackage, list[Case]] | None:
    """`case`'s package and every case of it in the package's order, or None when it was filed on its own."""
    package = session.scalar(
        select(CasePackage)
        .join(CasePackageMember, CasePackageMember.package_id == CasePackage.id)
        .where(CasePackageMember.case_id == case.id)
    )
    return None if package is None else (package, cases_of(session, package.id))


def cases_of(session: Session, package_id: int) -> list[Case]:
    """A package's cases in the package's order."""
    members = session.scalars(
        select(Case)
        .join(CasePackageMember, CasePackageMember.case_id == Case.id)
        .where(CasePackageMember.package_id == package_id)
        .order_by(CasePackageMember.position)
    )
    return list(members)


def members_of(session: Session, case: Case) -> list[tuple[str, str]] | None:
    """(number, state) of every case of `case`'s package, or None when it was filed on its own."""
    found = package_of(session, case)
    return None if found is None else [(member.number, member.state) for member in found[1]]


def require_releasable(session: Session, case: Case) -> None:
    members = members_of(session, case)
    if members is not None:
        packages.require_releasable(
            case.number, members, {str(s): label for s, label in STATE_LABELS.items()}
        )
