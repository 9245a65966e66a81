"""“一件事一次办” applications: filing a package (one case per item, linked), its one set of materials,
reading it with its cases' states, and releasing its results together. The rules are domain.packages'.

Filing runs in two transactions, each idempotent on the caller's key: the cases are filed by the same
`cases.submit` a single application runs (one RawTransaction for all of them, so all or none), then
`link` records the package, its members, the materials and each case's intake record. A repeated
request finds the cases filed and the package linked, and answers with them.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from pydantic import BaseModel
from sqlalchemy import Engine, func, select

from case_service.api import idempotency
from case_service.auth.tokens import PrincipalKind
from case_service.cases import intake as records
from case_service.cases import package_guard
from case_service.cases import service as cases
from case_service.cases.notices import NoticeKind
from case_service.catalogue.packages import Offered, get
from case_service.domain import packages
from case_service.domain.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from case_service.domain.intake import Mark, reconcile
from case_service.domain.states import STATE_LABELS, Action, CaseState, Role, require_role
from case_service.storage import audit
from case_service.storage.models import Case, CasePackage, CasePackageMember, utcnow
from case_service.storage.rawsql import RawTransaction

# Who may read a package: the staff of the hall, and the applicant whose package it is.
READERS = frozenset(
    {Role.CLERK, Role.REVIEWER, Role.APPROVER, Role.SEALER, Role.MANAGER, Role.ADMIN, Role.APPLICANT}
)
FILERS = frozenset({Role.CLERK, Role.APPLICANT})
# The notice a case that ended without a result goes out with.
NOTICE_OF = {CaseState.DENIED: NoticeKind.DECISION, CaseState.NOT_ACCEPTED: NoticeKind.NON_ACCEPTANCE}


class _Filed(BaseModel):
    case_ids: list[int]


@dataclass(frozen=True)
class Upload:
    name: str
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class WindowIntake:
    """What the clerk recorded at the window, kept as each case's intake record (cases.intake)."""

    marks: Sequence[Mark]
    applicant_kind: str
    company: dict[str, str] | None
    people: dict[str, str]
    letter_in_hand: bool


def file_cases(
    engine: Engine,
    filer: cases.Filer,
    package: Offered,
    *,
    channel: str,
    applicant: cases.Applicant,
    key: str,
) -> list[int]:
    """One case per item of the package, all in one transaction; idempotent on `key`."""
    if not filer.principal.roles & FILERS:
        raise ForbiddenError("a package is filed by a window clerk or with an applicant token")
    if not package.available:
        raise ConflictError(f"package {package.definition.code} has an item that takes no applications")
    if not key.strip():
        raise InvalidInputError("the Idempotency-Key header is required on every create (any unique string)")
    codes = package.definition.items
    with RawTransaction(engine) as tx:
        answer = idempotency.run_raw(
            tx,
            scope=filer.principal.idempotency_scope,
            key=f"package:{key}",
            request_hash=idempotency.fingerprint(
                "package",
                package.definition.code,
                channel,
                applicant.name,
                applicant.id_number,
                applicant.phone,
            ),
            produce=lambda: _Filed(
                case_ids=[
                    int(cases.submit(tx, filer, item_code=code, channel=channel, applicant=applicant).id)
                    for code in codes
                ]
            ),
        )
    ids: list[int] = json.loads(bytes(answer.body))["case_ids"]
    return ids


def _new_number(ctx: cases.Context) -> str:
    return f"YJS{ctx.today:%Y%m%d}-{secrets.token_hex(3).upper()}"


def package_of_case(ctx: cases.Context, case_id: int) -> CasePackage | None:
    return ctx.session.scalar(
        select(CasePackage)
        .join(CasePackageMember, CasePackageMember.package_id == CasePackage.id)
        .where(CasePackageMember.case_id == case_id)
    )


def link(
    ctx: cases.Context,
    package: Offered,
    case_ids: Sequence[int],
    *,
    channel: str,
    uploads: Sequence[Upload] = (),
    window: WindowIntake | None = None,
) -> CasePackage:
    """Records the package of the cases `file_cases` filed (once: a repeat finds it), with the one set of
    materials linked to every case whose item lists it, and each case's intake record. Flushed, not
    committed."""
    existing = package_of_case(ctx, case_ids[0])
    if existing is not None:
        return existing
    filed = [cases.load(ctx, case_id) for case_id in case_ids]
    row = CasePackage(
        number=_new_number(ctx),
        package_code=package.definition.code,
        package_name=package.definition.name,
        lead_department=package.definition.lead_department,
        channel=channel,
        applicant_name=filed[0].applicant_name,
        applicant_index=filed[0].applicant_index,
        materials=[asdict(mark) for mark in window.marks] if window else [],
        created_by=ctx.principal.actor,
    )
    ctx.session.add(row)
    ctx.session.flush()
    for position, case in enumerate(filed):
        ctx.session.add(CasePackageMember(package_id=row.id, case_id=case.id, position=position))
    ctx.session.flush()
    for upload in uploads:
        _attach(ctx, package, filed, upload)
    if window is not None:
        for case, item in zip(filed, package.items, strict=True):
            linked = [m.name for m, _blob, reused in cases.case_materials(ctx.session, case) if reused]
            records.record(
                ctx,
                case,
                marks=reconcile(packages.marks_for_item(item, window.marks), linked),
                applicant_kind=window.applicant_kind,
                company=window.company,
                people=window.people,
                letter_in_hand=window.letter_in_hand,
            )
    audit.append(
        ctx.session,
        actor=ctx.principal.actor,
        action="package.file",
        subject_type="package",
        subject_id=row.number,
        after={
            "package": package.definition.code,
            "cases": [case.number for case in filed],
            "materials": [upload.name for upload in uploads],
        },
    )
    return row


def _attach(ctx: cases.Context, package: Offered, filed: Sequence[Case], upload: Upload) -> int:
    """One material of the one set, linked to every case whose item lists it (under that list's name)."""
    attached = 0
    for case, item in zip(filed, package.items, strict=True):
        for name in [m.name for m in packages.marks_for_item(item, [Mark(upload.name, "received", "", 1)])]:
            cases.add_material(
                ctx,
                case,
                name=name,
                filename=upload.filename,
                content_type=upload.content_type,
                data=upload.data,
            )
            attached += 1
    if not attached:
        expected = [material.name for material in package.materials]
        raise InvalidInputError(
            f"{upload.name!r} is not a material of package {package.definition.code}",
            details={"expected": expected},
        )
    return attached


@dataclass(frozen=True)
class View:
    package: CasePackage
    cases: list[Case]

    @property
    def status(self) -> packages.PackageStatus:
        return packages.status_of(case.state for case in self.cases)

    @property
    def waiting(self) -> list[tuple[str, str]]:
        return packages.release_blockers((case.number, case.state) for case in self.cases)


def load(ctx: cases.Context, number: str) -> View:
    """A package with its cases, for hall staff and for the applicant whose package it is."""
    principal = ctx.principal
    if not principal.roles & READERS:
        raise ForbiddenError("packages are read by hall staff and by their applicant")
    row = ctx.session.scalar(select(CasePackage).where(CasePackage.number == number[:32]))
    if row is None or (
        principal.kind is PrincipalKind.APPLICANT and row.applicant_index not in principal.applicant_indexes
    ):
        raise NotFoundError(f"no package {number}")
    return View(row, package_guard.cases_of(ctx.session, row.id))


def listed(ctx: cases.Context, *, limit: int, offset: int) -> tuple[list[View], int]:
    """The newest applications first: an applicant's own, or every one for the hall's staff."""
    principal = ctx.principal
    if not principal.roles & READERS:
        raise ForbiddenError("packages are read by hall staff and by their applicant")
    query = select(CasePackage)
    if principal.kind is PrincipalKind.APPLICANT:
        query = query.where(CasePackage.applicant_index.in_(sorted(principal.applicant_indexes)))
    total = ctx.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = ctx.session.scalars(query.order_by(CasePackage.id.desc()).limit(limit).offset(offset))
    return [load(ctx, row.number) for row in rows], total


def attach(ctx: cases.Context, number: str, upload: Upload) -> list[Case]:
    """A material of the one set handed in after filing (the kiosk's, online): every case listing it."""
    view = load(ctx, number)
    _attach(ctx, get(ctx.session, view.package.package_code), view.cases, upload)
    return view.cases


def release(ctx: cases.Context, number: str, *, channel: str = "window") -> View:
    """统一出件: every result of the package released at once, once every case is decided. A case that
    ended without a result (不予许可…) goes with the others: its notice is named in the audit entry."""
    require_role(Action.RELEASE, ctx.principal.roles)
    view = load(ctx, number)
    status = view.status
    if status is packages.PackageStatus.IN_PROGRESS:
        members = [(case.number, case.state) for case in view.cases]
        packages.require_releasable("", members, {str(s): label for s, label in STATE_LABELS.items()})
    if status is not packages.PackageStatus.READY:
        raise ConflictError(f"package {number} has nothing left to release ({status.value})")
    released = []
    for case in view.cases:
        if CaseState(case.state) in packages.RESULT_WAITING:
            cases.act(ctx, case.id, Action.RELEASE, cases.ActionInput(channel=channel))
            released.append(case.number)
    without = [
        {"case": case.number, "state": case.state, "notice": NOTICE_OF[CaseState(case.state)].value}
        for case in view.cases
        if CaseState(case.state) in NOTICE_OF
    ]
    view.package.released_by = ctx.principal.actor
    view.package.released_at = utcnow()
    audit.append(
        ctx.session,
        actor=ctx.principal.actor,
        action="package.release",
        subject_type="package",
        subject_id=view.package.number,
        after={"released": released, "without_result": without, "channel": channel},
    )
    ctx.session.flush()
    return load(ctx, number)
