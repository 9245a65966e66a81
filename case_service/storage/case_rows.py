"""The case table's two hot paths in raw SQL (storage.rawsql): filing a case, and the status poll.

Everything else reads and writes cases through the ORM session. These two run often enough (every
kiosk and counter submission, every kiosk and controller poll) that SQLAlchemy's execution layer would
cost more than their SQL; they run the same Core statements, compiled once, on a pooled connection.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, cast

from sqlalchemy import Engine, Table, bindparam, func, insert, select

from case_service.storage.models import Case, CaseMaterial, Material
from case_service.storage.rawsql import RawStatement, RawTransaction, read_one

_CASES = cast(Table, Case.__table__)
_MATERIALS = cast(Table, Material.__table__)


# The status poll ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusRow:
    """The columns a status poll needs, and those the scope check reads."""

    id: int
    number: str
    state: str
    stage: str | None
    stage_due_on: dt.date | None
    decision_due_on: dt.date | None
    due_estimated: bool
    release_channel: str | None
    is_open: bool
    applicant_index: str
    department: str


_STATUS = select(*(_CASES.c[each.name] for each in fields(StatusRow)))
_STATUS_BY_ID = RawStatement(_STATUS.where(_CASES.c.id == bindparam("ref")))
_STATUS_BY_NUMBER = RawStatement(_STATUS.where(_CASES.c.number == bindparam("ref")))


def read_status(engine: Engine, ref: int | str) -> StatusRow | None:
    """The status of the case with this id (int) or number (str): one query, no session. `engine`: the
    poll engine (db.make_poll_engine); a connection found dead is replaced once (rawsql.read_one)."""
    row = read_one(engine, _STATUS_BY_ID if isinstance(ref, int) else _STATUS_BY_NUMBER, {"ref": ref})
    return None if row is None else StatusRow(*row)


# Filing -------------------------------------------------------------------------------------------------

FILED_COLUMNS = (
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
    "flow",
    "created_by",
    "received_window",
    "updated_at",
)
_INSERT_CASE = RawStatement(insert(_CASES).returning(_CASES.c.id), keys=FILED_COLUMNS)
_INSERT_CASE_WITH_ID = RawStatement(insert(_CASES), keys=("id", *FILED_COLUMNS))
# PostgreSQL only: the id the INSERT would take from the column's sequence.
_NEXT_CASE_ID = RawStatement(select(func.nextval(func.pg_get_serial_sequence("cases", "id"))))
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


def filing_reads(tx: RawTransaction, owners: Iterable[str]) -> list[tuple[RawStatement, dict[str, Any]]]:
    """The reads `file_case` makes before it writes (the owners' libraries, on PostgreSQL the case's
    id): for RawTransaction.prefetch, which sends them in one round trip with the request's other reads."""
    return [
        *((_LIBRARY, {"owner": owner}) for owner in owners),
        *([(_NEXT_CASE_ID, {})] if tx.defers_writes else []),
    ]


def file_case(
    tx: RawTransaction, values: Mapping[str, Any], *, owners: Sequence[str], material_names: Sequence[str]
) -> tuple[int, list[str]]:
    """Inserts the case (`values`: the FILED_COLUMNS) and links the latest material of each listed name
    from the owners' libraries (the applicant's blind index under each PII key): what was given once is
    not asked again. Returns the case's id and the names linked. On PostgreSQL the writes wait in `tx`
    and go with its COMMIT's round trip (RawTransaction.later)."""
    if tx.defers_writes:
        ((case_id,),) = tx.execute(_NEXT_CASE_ID)
        tx.later(_INSERT_CASE_WITH_ID, [{"id": case_id, **values}])
    else:
        ((case_id,),) = tx.execute(_INSERT_CASE, values)
    wanted = set(material_names)
    latest: dict[str, int] = {}
    for owner in owners if wanted else ():
        for name, material_id in tx.execute(_LIBRARY, {"owner": owner}):
            if name in wanted and material_id > latest.get(name, 0):
                latest[name] = material_id
    if latest:
        links = [{"case_id": case_id, "material_id": each, "reused": True} for each in latest.values()]
        tx.later(_LINK_MATERIAL, links)
    return case_id, sorted(latest)
