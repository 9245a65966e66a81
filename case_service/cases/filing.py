"""Filing a case: the submission's hot path, in one RawTransaction (storage.rawsql)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select

from case_service.auth.tokens import Principal
from case_service.cases.context import ID_CONTEXT, PHONE_CONTEXT, snapshot
from case_service.catalogue import service as catalogue
from case_service.domain import transitions
from case_service.domain.calendar import WorkingCalendar
from case_service.domain.errors import InvalidInputError
from case_service.domain.identity import normalise_id_number
from case_service.storage import audit
from case_service.storage.models import Case, CaseMaterial, Material, utcnow
from case_service.storage.rawsql import RawStatement, RawTransaction
from hall.privacy import PiiCipher

_CASES = cast(Table, Case.__table__)


@dataclass(frozen=True)
class Filer:
    """A Context without a session: what filing a case reads besides its RawTransaction."""

    calendar: WorkingCalendar
    cipher: PiiCipher
    today: dt.date
    principal: Principal
    index_keys: tuple[PiiCipher, ...] = ()


@dataclass(frozen=True, slots=True)
class FiledCase:
    """A case as just filed: the very values inserted, and the columns left empty. What `submit`
    returns in place of an ORM Case, which costs several times more to build and is not needed."""

    id: int
    number: str
    item_id: int
    item_code: str
    item_version: int
    item_name: str
    department: str
    channel: str
    applicant_name: str
    applicant_id_enc: str
    applicant_index: str
    applicant_phone_enc: str | None
    state: str
    is_open: bool
    submitted_at: dt.datetime
    submitted_on: dt.date
    auto_accepted: bool
    stage: str | None
    stage_entered_on: dt.date | None
    stage_due_on: dt.date | None
    due_estimated: bool
    paused_days: int
    extended: bool
    created_by: str
    updated_at: dt.datetime
    resume_to: str | None = None
    accepted_on: dt.date | None = None
    decision_due_on: dt.date | None = None
    legal_due_on: dt.date | None = None
    decided_on: dt.date | None = None
    suspended_on: dt.date | None = None
    suspension_reason: str | None = None
    not_accepted_reason: str | None = None
    decision_reasons: str | None = None
    release_channel: str | None = None
    delivery_receipt: dict[str, Any] | None = None
    supplement_notice: dict[str, Any] | None = None


@dataclass(frozen=True)
class Applicant:
    name: str
    id_number: str
    phone: str | None = None


def _new_number(today: dt.date) -> str:
    """e.g. 20250926-1A2B3C4D: the dash keeps it apart from numeric ids in paths."""
    return f"{today:%Y%m%d}-{secrets.token_hex(4).upper()}"


_CASE_VALUES = (
    "number",
    "item_id",
    "item_code",
    "item_version",
    "item_name",
    "department",
    "channel",
    "applicant_name",
    "applicant_id_enc",
    "applicant_index",
    "applicant_phone_enc",
    "state",
    "is_open",
    "submitted_at",
    "submitted_on",
    "auto_accepted",
    "stage",
    "stage_entered_on",
    "stage_due_on",
    "due_estimated",
    "paused_days",
    "extended",
    "created_by",
    "updated_at",
)
_INSERT_CASE = RawStatement(insert(_CASES).returning(_CASES.c.id), keys=_CASE_VALUES)
_INSERT_CASE_WITH_ID = RawStatement(insert(_CASES), keys=("id", *_CASE_VALUES))
# PostgreSQL only: the id the INSERT would take from the column's sequence.
_NEXT_CASE_ID = RawStatement(select(func.nextval(func.pg_get_serial_sequence("cases", "id"))))
_MATERIALS = cast(Table, Material.__table__)
# The applicant's library by name, one owner (blind index) at a time: a fixed statement, compiled once,
# where an IN list of owners and names would be compiled on every call.
_LIBRARY = RawStatement(
    select(_MATERIALS.c.name, func.max(_MATERIALS.c.id))
    .where(_MATERIALS.c.owner_index == bindparam("owner"))
    .group_by(_MATERIALS.c.name)
)
_LINK_MATERIAL = RawStatement(
    insert(cast(Table, CaseMaterial.__table__)), keys=("case_id", "material_id", "reused")
)


def submission_reads(
    tx: RawTransaction, filer: Filer, *, item_code: str, applicant: Applicant
) -> list[tuple[RawStatement, dict[str, Any]]]:
    """The reads `submit` will make in `tx` before it writes (the item, the applicant's library under
    each PII key, on PostgreSQL the case's id): for RawTransaction.prefetch, which runs them in one
    round trip. None for an ID number `submit` will refuse."""
    try:
        id_number = normalise_id_number(applicant.id_number)
    except InvalidInputError:
        return []
    owners = dict.fromkeys(cipher.blind_index(id_number) for cipher in (filer.cipher, *filer.index_keys[1:]))
    return [
        catalogue.filing_read(item_code),
        *((_LIBRARY, {"owner": owner}) for owner in owners),
        *([(_NEXT_CASE_ID, {})] if tx.defers_writes else []),
    ]


def submit(
    tx: RawTransaction, filer: Filer, *, item_code: str, channel: str, applicant: Applicant
) -> FiledCase:
    """Files a case. The hot path of the service: Core statements run raw (storage.rawsql) in the
    caller's transaction, and what it returns is built from the very values inserted (FiledCase).
    The audit entry waits in `tx` for audit.write_and_commit."""
    item = catalogue.for_filing_raw(tx, item_code)
    name, id_number = transitions.admit(
        item.code,
        status=item.status,
        channels=item.channels,
        channel=channel,
        name=applicant.name,
        id_number=applicant.id_number,
    )
    progress = transitions.opened(_new_number(filer.today), item.stage_budgets, filer.calendar, filer.today)
    now = utcnow()
    values: dict[str, Any] = {
        "number": progress.number,
        "item_id": item.id,
        "item_code": item.code,
        "item_version": item.version,
        "item_name": item.name,
        "department": item.department,
        "channel": channel,
        "applicant_name": name,
        "applicant_id_enc": filer.cipher.encrypt(id_number, context=ID_CONTEXT),
        "applicant_index": filer.cipher.blind_index(id_number),
        "applicant_phone_enc": filer.cipher.encrypt(applicant.phone, context=PHONE_CONTEXT)
        if applicant.phone
        else None,
        "state": progress.state.value,
        "is_open": progress.is_open,
        "submitted_at": now,
        "submitted_on": progress.submitted_on,
        "auto_accepted": progress.auto_accepted,
        "stage": progress.stage,
        "stage_entered_on": progress.stage_entered_on,
        "stage_due_on": progress.stage_due_on,
        "due_estimated": progress.due_estimated,
        "paused_days": progress.paused_days,
        "extended": progress.extended,
        "created_by": filer.principal.actor,
        "updated_at": now,
    }
    if tx.defers_writes:
        # PostgreSQL: the id comes from the sequence (read ahead with the other reads), and the row
        # goes in with the COMMIT's round trip.
        ((case_id,),) = tx.execute(_NEXT_CASE_ID)
        tx.later(_INSERT_CASE_WITH_ID, [{"id": case_id, **values}])
    else:
        ((case_id,),) = tx.execute(_INSERT_CASE, values)
    case = FiledCase(id=case_id, **values)
    older = tuple(cipher.blind_index(id_number) for cipher in filer.index_keys[1:])
    reused = _reuse_library(tx, case, item.material_names, older)
    audit.append_raw(
        tx,
        actor=filer.principal.actor,
        action="case.submit",
        subject_type="case",
        subject_id=case.id,
        after={**snapshot(case), "item": f"{item.code}@v{item.version}", "reused_materials": reused},
    )
    return case


def _reuse_library(
    tx: RawTransaction, case: FiledCase, names: Sequence[str], older_indexes: tuple[str, ...] = ()
) -> list[str]:
    """Links the applicant's latest material of each listed name: what was given once is not asked again.
    `older_indexes`: the applicant's blind indexes under PII keys before a rotation."""
    if not names:
        return []
    wanted = set(names)
    latest: dict[str, int] = {}
    for owner in dict.fromkeys((case.applicant_index, *older_indexes)):
        for name, material_id in tx.execute(_LIBRARY, {"owner": owner}):
            if name in wanted and material_id > latest.get(name, 0):
                latest[name] = material_id
    if latest:
        tx.later(
            _LINK_MATERIAL,
            [
                {"case_id": case.id, "material_id": material_id, "reused": True}
                for material_id in latest.values()
            ],
        )
    return sorted(latest)
