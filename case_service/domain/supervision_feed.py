"""审管分离's feed, pure: every approval result (approved, denied, certificate issued, certificate revoked)
goes to the item's supervising department, who supervises after approval. Each entry is a JSON body signed
with the department's secret (HMAC-SHA256 over the exact bytes, header `X-Hall-Signature: sha256=<hex>`);
a receiver that is down is tried again later, each delay double the last, up to an hour. A revocation
by the supervising department comes back signed the same way with the same secret.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

SIGNATURE_HEADER = "X-Hall-Signature"
PREFIX = "sha256="
MAX_DELAY = dt.timedelta(hours=1)


class Event(StrEnum):
    APPROVED = "approved"
    DENIED = "denied"
    CERTIFICATE_ISSUED = "certificate_issued"
    CERTIFICATE_REVOKED = "certificate_revoked"


EVENT_LABELS: Mapping[Event, str] = {
    Event.APPROVED: "准予许可",
    Event.DENIED: "不予许可",
    Event.CERTIFICATE_ISSUED: "证照已制发",
    Event.CERTIFICATE_REVOKED: "证照已吊销",
}


def supervising_department(item_department: str, guide: Mapping[str, Any] | None) -> str:
    """The department that supervises after approval: the item's guide may name it
    (`supervising_department`); otherwise the item's own department (谁主管谁监管)."""
    named = str((guide or {}).get("supervising_department", "")).strip()
    return named or item_department


def body(payload: Mapping[str, Any]) -> bytes:
    """The exact bytes sent and signed: JSON, keys sorted, UTF-8."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def sign(secret: str, data: bytes) -> str:
    """The signature header's value for `data`."""
    return PREFIX + hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


def verify(secret: str, data: bytes, header: str | None) -> bool:
    """Whether `header` is the signature of `data` with `secret` (constant time)."""
    return bool(header) and hmac.compare_digest(sign(secret, data), str(header).strip())


def retry_delay(attempts: int, first_seconds: float) -> dt.timedelta:
    """The wait after the `attempts`-th failure: first_seconds, then doubled each time, at most an hour."""
    doublings = min(max(attempts - 1, 0), 32)  # beyond 2**32 any first delay is past the hour
    return min(dt.timedelta(seconds=first_seconds * 2**doublings), MAX_DELAY)
