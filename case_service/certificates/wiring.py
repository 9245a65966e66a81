"""Connects the certificate room to the case service: its cases, its sign-in, its audit chain, its app.

`install(app, services)` builds the `CertificateContext` (signing key from the data directory), maps the
app's principals to certificate actors, and mounts the routes under ``/api/v1``.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from case_service.api.deps import principal_of
from case_service.auth.tokens import Principal, PrincipalKind
from case_service.cases import service as cases
from case_service.cases import supervision_feed
from case_service.certificates import api
from case_service.certificates.keys import load_signer, trusted_verifiers
from case_service.certificates.service import Actor, CaseFacts, CertificateContext
from case_service.domain.errors import ForbiddenError
from case_service.domain.states import Action, Role
from case_service.runtime import Services
from case_service.storage import audit
from case_service.storage.models import Case
from hall.privacy import PiiCipher
from hall.settings import Mode

log = logging.getLogger(__name__)

CERTIFICATE_STAFF = frozenset({Role.REVIEWER, Role.APPROVER, Role.SEALER, Role.CLERK, Role.ADMIN})


class CoreCases:
    """The core's `cases` table seen as `CaseFacts`."""

    def __init__(self, cipher: PiiCipher) -> None:
        self._cipher = cipher

    def get(self, session: Session, case_number: str) -> CaseFacts | None:
        case = session.scalars(select(Case).where(Case.number == case_number)).first()
        if case is None:
            return None
        id_number = self._cipher.decrypt(case.applicant_id_enc, context=cases.ID_CONTEXT)
        name = case.applicant_name
        return CaseFacts(
            case.number,
            case.item_code,
            case.item_name,
            name,
            id_number,
            case.state,
            departments=(case.department,),
            holder_index=case.applicant_index,
        )


def _audit(
    session: Session,
    *,
    actor: str,
    action: str,
    subject_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    audit.append(
        session,
        actor=actor,
        action=action,
        subject_type="certificate",
        subject_id=subject_id,
        before=before,
        after=after,
    )
    supervision_feed.enqueue_certificate(session, action, subject_id, actor)  # 审管分离


def _make_certificate_action(services: Services) -> Any:
    def advance(session: Session, case_number: str, actor: Actor) -> None:
        """approved → certificate_made, through the core's state machine (it checks the role)."""
        principal = actor.principal
        if not isinstance(principal, Principal):
            return
        context = cases.Context(
            session, services.calendars.get(session), services.cipher, services.today(), principal
        )
        cases.act(context, case_number, Action.MAKE_CERTIFICATE, cases.ActionInput())

    return advance


class CaseServiceActors:
    """The case service's bearer tokens as certificate actors (`api.ActorSource`)."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def staff(self, request: Request) -> Actor:
        principal = principal_of(request, self._services)
        if principal.kind is not PrincipalKind.STAFF or not principal.roles & CERTIFICATE_STAFF:
            raise ForbiddenError(
                "certificates are made and revoked by reviewers, approvers, sealers or clerks"
            )
        return Actor(principal.actor, principal, department=principal.department)

    def approver(self, request: Request) -> Actor:
        principal = principal_of(request, self._services)
        if principal.kind is not PrincipalKind.STAFF or Role.APPROVER not in principal.roles:
            raise ForbiddenError("certificates are revoked and reissued by an approver of the department")
        return Actor(principal.actor, principal, department=principal.department)

    def station(self, request: Request) -> Actor:
        """The holder's applicant token (a kiosk), or staff whose roles need certificates (a window).
        `department` here is the reader's scope, if any (not their department as an approver)."""
        principal = principal_of(request, self._services)
        if principal.kind is PrincipalKind.APPLICANT:
            return Actor(principal.actor, principal, applicant_indexes=principal.applicant_indexes)
        if principal.kind is PrincipalKind.STAFF and principal.roles & CERTIFICATE_STAFF:
            # A department's reviewers and approvers read that department's certificates only.
            return Actor(principal.actor, principal, department=cases.department_scope(principal))
        raise ForbiddenError("a certificate is read and printed with the applicant's sign-in, or by staff")


def build_context(services: Services) -> CertificateContext:
    settings = services.settings
    signer = load_signer(settings.data_dir, create=settings.mode is Mode.DEVELOPMENT)
    return CertificateContext(
        signer=signer,
        verifiers=trusted_verifiers(settings.data_dir, signer),
        cipher=services.cipher,
        cases=CoreCases(services.cipher),
        authority=settings.case.authority,
        verify_base_url=settings.case.public_url,
        today=services.today,
        audit=_audit,
        on_issued=_make_certificate_action(services),
    )


def install(app: FastAPI, services: Services) -> None:
    app.state.certificates = build_context(services)
    app.state.certificate_actors = CaseServiceActors(services)
    app.include_router(api.router, prefix="/api/v1")
    log.info("certificates: signing key %s", app.state.certificates.signer.key_id)
