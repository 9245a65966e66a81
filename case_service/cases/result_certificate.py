"""A case's result certificate through the case operations: the draft the make-certificate form starts
from, its preview, and making it (certificates.making), within the staff member's scope."""

from __future__ import annotations

import dataclasses

from case_service.cases.context import ID_CONTEXT, Context
from case_service.cases.reading import load
from case_service.certificates import making
from case_service.certificates.models import CertificateRecord
from case_service.certificates.service import Actor, CertificateContext
from case_service.domain.states import Action, require_role
from case_service.storage.models import Case, Item


def _item(ctx: Context, case: Case) -> Item:
    item = ctx.session.get(Item, case.item_id)
    assert item is not None
    return item


def draft_of(ctx: Context, case: Case, hall_authority: str) -> making.Draft:
    return making.draft(case, _item(ctx, case), hall_authority, ctx.today)


def preview(ctx: Context, case: Case, chosen: making.Draft) -> bytes:
    holder_id = ctx.cipher.decrypt(case.applicant_id_enc, context=ID_CONTEXT)
    return making.preview(case, holder_id, chosen, ctx.today)


def make(
    ctx: Context,
    certificates: CertificateContext,
    case_ref: int | str,
    chosen: making.Draft | None = None,
) -> tuple[Case, CertificateRecord]:
    """Makes the case's certificate (`chosen`, or the draft as the template fills it); the case moves to
    certificate_made with it. The authority stays the seal's: unified, or the item's own unit."""
    require_role(Action.MAKE_CERTIFICATE, ctx.principal.roles)  # who may, before what state the case is in
    case = load(ctx, case_ref, for_update=True)
    default = making.draft(case, _item(ctx, case), certificates.authority, ctx.today)
    chosen = chosen or default
    if chosen.authority != default.authority:
        chosen = dataclasses.replace(chosen, authority=default.authority)
    principal = ctx.principal
    actor = Actor(principal.actor, principal, department=principal.department)
    record = making.make(ctx.session, certificates, case.number, chosen.request(), actor)
    ctx.session.refresh(case)
    return case, record
