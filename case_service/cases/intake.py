"""The window's intake record (收件登记) beside a filed case: what the clerk received, as an audit entry.

The case row holds the applicant as filed (a name and an ID number); who stood at the window (the company,
its legal representative, an agent) and the checklist of materials are kept in the `case.intake` entry
of the audit trail, the people in it sealed with the PII key. The receipt (收件凭证) is printed from it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy import select

from case_service.cases.context import Context
from case_service.domain.intake import Mark
from case_service.storage import audit
from case_service.storage.models import AuditEntry, Case, Material

ACTION = "case.intake"
PEOPLE_CONTEXT = "case.intake.people"


def library_names(ctx: Context, id_number: str, names: Sequence[str]) -> frozenset[str]:
    """Which of `names` the applicant's material library holds (under every PII key's blind index)."""
    owners = {cipher.blind_index(id_number) for cipher in (ctx.cipher, *ctx.index_keys)}
    rows = ctx.session.scalars(
        select(Material.name).where(Material.owner_index.in_(owners), Material.name.in_(list(names)))
    )
    return frozenset(rows)


def record(
    ctx: Context,
    case: Case,
    *,
    marks: Sequence[Mark],
    applicant_kind: str,
    company: dict[str, str] | None,
    people: dict[str, str],
    letter_in_hand: bool,
) -> None:
    """Writes the intake entry in the caller's transaction. `people`: names, ID and phone numbers (sealed);
    `company`: its name and credit code (public register data, kept readable)."""
    sealed = ctx.cipher.encrypt(json.dumps(people, ensure_ascii=False), context=PEOPLE_CONTEXT)
    audit.append(
        ctx.session,
        actor=ctx.principal.actor,
        action=ACTION,
        subject_type="case",
        subject_id=case.id,
        after={
            "applicant_kind": applicant_kind,
            "company": company,
            "materials": [asdict(mark) for mark in marks],
            "letter_in_hand": letter_in_hand,
            "people": sealed,
        },
    )


def read(ctx: Context, case: Case) -> dict[str, Any] | None:
    """The case's intake entry with its people unsealed, or None for a case not taken in at a window."""
    entry = ctx.session.scalar(
        select(AuditEntry)
        .where(
            AuditEntry.subject_type == "case",
            AuditEntry.subject_id == str(case.id),
            AuditEntry.action == ACTION,
        )
        .order_by(AuditEntry.seq)
        .limit(1)
    )
    if entry is None or entry.after is None:
        return None
    found = dict(entry.after)
    found["people"] = json.loads(ctx.cipher.decrypt(found["people"], context=PEOPLE_CONTEXT))
    found["materials"] = [Mark(**mark) for mark in found["materials"]]
    found["at"] = entry.at
    found["actor"] = entry.actor
    return found
