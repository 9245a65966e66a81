"""Filing a case: the submission's hot path, in one RawTransaction (storage.rawsql).

The rules are domain.transitions'; the SQL is storage.case_rows' and the catalogue's `for_filing_raw`.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from case_service.auth.tokens import Principal
from case_service.cases.context import ID_CONTEXT, PHONE_CONTEXT, snapshot
from case_service.catalogue import service as catalogue
from case_service.domain import transitions
from case_service.domain.calendar import WorkingCalendar
from case_service.domain.errors import InvalidInputError
from case_service.domain.identity import normalise_id_number
from case_service.storage import audit, case_rows
from case_service.storage.models import Case, utcnow
from case_service.storage.rawsql import RawStatement, RawTransaction
from hall.privacy import PiiCipher


@dataclass(frozen=True)
class Filer:
    """A Context without a session: what filing a case reads besides its RawTransaction."""

    calendar: WorkingCalendar
    cipher: PiiCipher
    today: dt.date
    principal: Principal
    index_keys: tuple[PiiCipher, ...] = ()


@dataclass(frozen=True)
class Applicant:
    name: str
    id_number: str
    phone: str | None = None


def _new_number(today: dt.date) -> str:
    """e.g. 20250926-1A2B3C4D: the dash keeps it apart from numeric ids in paths."""
    return f"{today:%Y%m%d}-{secrets.token_hex(4).upper()}"


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
    return [catalogue.filing_read(item_code), *case_rows.filing_reads(tx, _owners(filer, id_number))]


def _owners(filer: Filer, id_number: str) -> list[str]:
    """The applicant's blind index under the current PII key, then under the keys before a rotation:
    whose material library the case may reuse."""
    return list(
        dict.fromkeys(cipher.blind_index(id_number) for cipher in (filer.cipher, *filer.index_keys[1:]))
    )


def submit(
    tx: RawTransaction,
    filer: Filer,
    *,
    item_code: str,
    channel: str,
    applicant: Applicant,
    window: int | None = None,
) -> Case:
    """Files a case in the caller's transaction: the rules (domain.transitions.admit, opened), then the
    case's row and its reused materials (storage.case_rows.file_case). Returns the case as inserted, not
    attached to a session. The audit entry waits in `tx` for audit.write_and_commit. `window`: the hall's
    window the filing clerk is signed in at, if any."""
    item = catalogue.for_filing_raw(tx, item_code)
    name, id_number = transitions.admit(
        item.code,
        status=item.status,
        channels=item.channels,
        channel=channel,
        name=applicant.name,
        id_number=applicant.id_number,
    )
    progress = transitions.opened(
        _new_number(filer.today), item.stage_budgets, filer.calendar, filer.today, flow=item.flow
    )
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
        "flow": progress.flow.value,
        "created_by": filer.principal.actor,
        "received_window": window,
        "updated_at": now,
    }
    case_id, reused = case_rows.file_case(
        tx, values, owners=_owners(filer, id_number), material_names=item.material_names
    )
    case = Case(id=case_id, **values)  # transient: what was inserted, for the answer and the audit entry
    audit.append_raw(
        tx,
        actor=filer.principal.actor,
        action="case.submit",
        subject_type="case",
        subject_id=case.id,
        after={**snapshot(case), "item": f"{item.code}@v{item.version}", "reused_materials": reused},
    )
    return case
