"""Turns stored rows into response bodies, masking personal data."""

from __future__ import annotations

import datetime as dt

from fastapi.responses import Response
from pydantic import BaseModel

from case_service.auth.tokens import PrincipalKind
from case_service.cases import service as cases
from case_service.catalogue import files as item_files
from case_service.catalogue.service import item_as_dict
from case_service.domain import everyday_words
from case_service.domain.calendar import WorkingCalendar
from case_service.domain.flows import Flow
from case_service.domain.states import NEXT_STEP, STATE_LABELS, CaseState, allowed_actions
from case_service.storage.models import Case, Item, ItemFile
from hall import case_api
from hall.privacy import DecryptionError, mask_id_number, mask_name, mask_phone


def _masked_secret(ctx: cases.Viewer, token: str | None, context: str) -> str | None:
    if token is None:
        return None
    try:
        plain = ctx.cipher.decrypt(token, context=context)
    except DecryptionError:
        return "(unreadable)"
    return mask_id_number(plain) if context == cases.ID_CONTEXT else mask_phone(plain)


def case_out(ctx: cases.Viewer, case: Case) -> case_api.CaseOut:
    state = CaseState(case.state)
    resume_to = CaseState(case.resume_to) if case.resume_to else None
    flow = Flow(case.flow or Flow.LICENCE)
    status = cases.deadline_of(ctx, case)
    name = case.applicant_name
    if ctx.principal.kind is PrincipalKind.DEVICE:
        name = mask_name(name)
    return case_api.CaseOut(
        id=case.id,
        number=case.number,
        item_code=case.item_code,
        item_version=case.item_version,
        item_name=case.item_name,
        department=case.department,
        channel=case.channel,
        applicant_name=name,
        applicant_id_number=_masked_secret(ctx, case.applicant_id_enc, cases.ID_CONTEXT) or "",
        applicant_phone=_masked_secret(ctx, case.applicant_phone_enc, cases.PHONE_CONTEXT),
        state=state.value,
        state_label=STATE_LABELS[state],
        next_step=NEXT_STEP[state],
        allowed_actions=[action.value for action in allowed_actions(state, resume_to=resume_to, flow=flow)],
        stage=case.stage,
        stage_due_on=case.stage_due_on,
        decision_due_on=case.decision_due_on,
        legal_due_on=case.legal_due_on,
        due_estimated=case.due_estimated,
        deadline=case_api.DeadlineOut(level=status.level.value, working_days_left=status.working_days_left)
        if status
        else None,
        submitted_at=case.submitted_at,
        submitted_on=case.submitted_on,
        accepted_on=case.accepted_on,
        auto_accepted=case.auto_accepted,
        decided_on=case.decided_on,
        extended=case.extended,
        paused_days=case.paused_days,
        suspension_reason=case.suspension_reason,
        not_accepted_reason=case.not_accepted_reason,
        decision_reasons=case.decision_reasons,
        release_channel=case.release_channel,
        supplement_notice=case.supplement_notice,
        delivery_receipt=case.delivery_receipt,
        flow=flow.value,
        owed_materials=case.owed_materials,
        forwarding=case.forwarding,
        received_window=case.received_window,
    )


def case_status(row: cases.StatusRow, calendar: WorkingCalendar, today: dt.date) -> case_api.CaseStatus:
    state = CaseState(row.state)
    status = cases.assess_deadline(calendar, today, row.stage_due_on, row.is_open)
    return case_api.CaseStatus(
        id=row.id,
        number=row.number,
        state=state.value,
        state_label=STATE_LABELS[state],
        next_step=NEXT_STEP[state],
        stage=row.stage,
        stage_due_on=row.stage_due_on,
        decision_due_on=row.decision_due_on,
        due_estimated=row.due_estimated,
        deadline=case_api.DeadlineOut(level=status.level.value, working_days_left=status.working_days_left)
        if status
        else None,
        release_channel=row.release_channel,
    )


def item_out(item: Item, uploaded: list[ItemFile] | None = None) -> case_api.ItemOut:
    """One version of an item; with `uploaded` (the item's stored files), the files it serves too."""
    fields = item_as_dict(item)
    files = []
    if uploaded is not None:
        files = [
            case_api.ItemFileOut(
                name=listed.name,
                url=item_files.url(item.code, listed.name),
                content_type=listed.content_type,
                generic=listed.generic,
                label=listed.label,
            )
            for listed in item_files.listing(fields, uploaded)
        ]
    words = everyday_words.words_of(fields.get("life_events", ()))
    return case_api.ItemOut.model_validate(
        {**fields, "version": item.version, "files": files, "life_event_words": words}
    )


def json_response(model: BaseModel, status_code: int = 200) -> Response:
    """Serialised once by pydantic-core. Returning a Response skips FastAPI's second validation of the
    body against `response_model`, which stays declared on the route for the OpenAPI document."""
    return Response(model.model_dump_json(), status_code=status_code, media_type="application/json")
