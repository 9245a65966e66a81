"""审管分离's feed through the case service (domain.supervision_feed): an approval result is put in the
outbox in the transaction that made it (so nothing is lost if the receiver is down or the process dies),
sent from there to the supervising department's webhook, signed, and retried with growing delays until
it is taken (at least once: the receiver recognises a repeat by `event_id`); the feed exported for a
date range; and a supervising department's signed revocation of a certificate."""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from case_service.certificates.models import CertificateRecord
from case_service.config import FeedTarget
from case_service.domain import supervision_feed as feed
from case_service.domain.errors import ForbiddenError, InvalidInputError, NotFoundError, UnauthorizedError
from case_service.storage import audit
from case_service.storage.models import Case, Item, SupervisionFeedEntry
from hall.calendar import CHINA_TZ

log = logging.getLogger(__name__)
SEND_TIMEOUT_SECONDS = 10.0
BATCH = 50


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def supervisor_of(session: Session, case: Case) -> str:
    item = session.get(Item, case.item_id)
    assert item is not None
    return feed.supervising_department(item.department, item.guide)


def enqueue(
    session: Session, case: Case, event: feed.Event, *, actor: str, extra: Mapping[str, Any] | None = None
) -> SupervisionFeedEntry:
    """One approval result into the outbox, in the caller's transaction."""
    department = supervisor_of(session, case)
    event_id = str(uuid.uuid4())
    at = _now()
    payload: dict[str, Any] = {
        "event_id": event_id,
        "event": event.value,
        "event_label": feed.EVENT_LABELS[event],
        "at": at.astimezone(CHINA_TZ).isoformat(timespec="seconds"),
        "supervising_department": department,
        "case_number": case.number,
        "item_code": case.item_code,
        "item_name": case.item_name,
        "approving_department": case.department,
        "applicant": case.applicant_name,
        "decided_on": case.decided_on.isoformat() if case.decided_on else None,
        "actor": actor,
        **(extra or {}),
    }
    row = SupervisionFeedEntry(
        event_id=event_id,
        department=department,
        event=event.value,
        case_id=case.id,
        payload=payload,
        created_at=at,
        attempts=0,
        next_attempt_at=at,
        last_error="",
    )
    session.add(row)
    session.flush()
    return row


def enqueue_certificate(session: Session, action: str, number: str, actor: str) -> None:
    """After a certificate is issued (or reissued) or revoked: its event for the supervising department."""
    events = {
        "certificate.issue": feed.Event.CERTIFICATE_ISSUED,
        "certificate.reissue": feed.Event.CERTIFICATE_ISSUED,
        "certificate.revoke": feed.Event.CERTIFICATE_REVOKED,
    }
    if action not in events:
        return
    record = session.scalar(select(CertificateRecord).where(CertificateRecord.number == number))
    case = session.scalar(select(Case).where(Case.number == record.case_number)) if record else None
    if record is None or case is None:
        return
    extra = {
        "certificate": {
            "number": record.number,
            "name": record.certificate_name,
            "holder": record.holder_name,
            "scope": record.scope,
            "valid_from": record.valid_from.isoformat(),
            "valid_until": record.valid_until.isoformat() if record.valid_until else None,
            "authority": record.authority,
            "status": record.status,
            "status_reason": record.status_reason,
        }
    }
    enqueue(session, case, events[action], actor=actor, extra=extra)


@dataclass(frozen=True)
class Sent:
    delivered: int
    failed: int


def send_due(session: Session, targets: Mapping[str, FeedTarget], *, retry_seconds: float) -> Sent:
    """Sends every entry now due, oldest first; each answer is stored at once (commit per entry). An
    entry for a department with no webhook configured waits in the outbox (and in the export) untried."""
    if not targets:
        return Sent(0, 0)
    due = session.scalars(
        select(SupervisionFeedEntry)
        .where(
            SupervisionFeedEntry.delivered_at.is_(None),
            SupervisionFeedEntry.next_attempt_at <= _now(),
            SupervisionFeedEntry.department.in_(list(targets)),
        )
        .order_by(SupervisionFeedEntry.id)
        .limit(BATCH)
    ).all()
    delivered = failed = 0
    with httpx.Client(timeout=SEND_TIMEOUT_SECONDS, follow_redirects=False) as client:
        for row in due:
            error = _send(client, targets[row.department], row)
            if error is None:
                row.delivered_at = _now()
                row.last_error = ""
                delivered += 1
            else:
                row.attempts += 1
                row.next_attempt_at = _now() + feed.retry_delay(row.attempts, retry_seconds)
                row.last_error = error[:500]
                failed += 1
                log.warning(
                    "supervision feed: entry %d for %s not taken (attempt %d): %s",
                    row.id,
                    row.department,
                    row.attempts,
                    row.last_error,
                )
            session.commit()
    return Sent(delivered, failed)


def _send(client: httpx.Client, target: FeedTarget, row: SupervisionFeedEntry) -> str | None:
    """None when the webhook took the entry (2xx), else why not (never the secret or the URL's query)."""
    data = feed.body(row.payload)
    signature = feed.sign(target.secret.get_secret_value(), data)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        feed.SIGNATURE_HEADER: signature,
        "X-Hall-Event-Id": row.event_id,
    }
    try:
        answer = client.post(target.url, content=data, headers=headers)
    except httpx.HTTPError as err:
        return f"{type(err).__name__}: could not reach the webhook"
    if 200 <= answer.status_code < 300:
        return None
    return f"the webhook answered {answer.status_code}"


def export(session: Session, start: dt.date, end: dt.date, department: str | None = None) -> Iterator[str]:
    """The feed between two days (China time, both included) as JSON lines: each entry's payload with its
    delivery state."""
    if end < start:
        raise InvalidInputError("结束日期不能早于开始日期 (the end is before the start)")
    since = dt.datetime.combine(start, dt.time(), CHINA_TZ)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), CHINA_TZ)
    query = (
        select(SupervisionFeedEntry)
        .where(SupervisionFeedEntry.created_at >= since, SupervisionFeedEntry.created_at < until)
        .order_by(SupervisionFeedEntry.id)
    )
    if department:
        query = query.where(SupervisionFeedEntry.department == department)
    for row in session.scalars(query):
        line = {
            **row.payload,
            "delivered_at": row.delivered_at.isoformat() if row.delivered_at else None,
            "attempts": row.attempts,
        }
        yield json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n"


@dataclass(frozen=True)
class Revocation:
    department: str
    certificate_number: str
    reason: str


def read_revocation(targets: Mapping[str, FeedTarget], data: bytes, signature: str | None) -> Revocation:
    """A supervising department's revocation, accepted only when signed with that department's secret."""
    try:
        body = json.loads(data)
        department = str(body["department"]).strip()
        number = str(body["certificate_number"]).strip()
        reason = str(body.get("reason", "")).strip()
    except (ValueError, KeyError, TypeError) as err:
        raise UnauthorizedError("unsigned or unreadable revocation") from err
    target = targets.get(department)
    if target is None or not feed.verify(target.secret.get_secret_value(), data, signature):
        raise UnauthorizedError("撤销请求的签名无效 (the revocation's signature is not valid)")
    if not reason:
        raise InvalidInputError("请写明吊销理由 (a revocation needs a reason)")
    return Revocation(department, number, reason)


def check_supervises(session: Session, revocation: Revocation) -> CertificateRecord:
    """The department supervises the certificate's item; another department's certificate is not its own."""
    record = session.scalar(
        select(CertificateRecord).where(CertificateRecord.number == revocation.certificate_number)
    )
    case = session.scalar(select(Case).where(Case.number == record.case_number)) if record else None
    if record is None or case is None:
        raise NotFoundError(f"no certificate {revocation.certificate_number}")
    if supervisor_of(session, case) != revocation.department:
        raise ForbiddenError(
            f"证照{record.number}不由{revocation.department}监管"
            f" ({revocation.department} does not supervise this certificate's item)"
        )
    return record


def audit_inbound(session: Session, revocation: Revocation) -> None:
    audit.append(
        session,
        actor=f"supervision:{revocation.department}",
        action="supervision.revocation_received",
        subject_type="certificate",
        subject_id=revocation.certificate_number,
        after={"department": revocation.department, "reason": revocation.reason},
    )
