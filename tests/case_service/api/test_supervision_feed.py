"""审管分离 against a real receiver: a small HTTP server in the test process on a free port plays the
supervising departments. Every approval result reaches the item's supervising department signed with its
secret, after the receiver was down for a while (the outbox keeps it and retries); the feed is exported
as JSON lines; a department's signed revocation comes back and the certificate verifies as revoked —
and an unsigned, wrongly signed or other department's revocation is refused."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from case_service.app import create_app
from case_service.storage.models import AuditEntry, SupervisionFeedEntry
from hall.net import free_port
from hall.settings import Settings
from tests.case_service.conftest import ITEM_COMPANY, CaseApi, Clock

LEAD = "州市场监管局"  # 0511's department, which supervises it after approval
OTHER = "州税务局"
SECRETS = {LEAD: "s" * 20 + "-market-supervision-key", OTHER: "t" * 20 + "-tax-bureau-key-000"}


@dataclass
class Receiver:
    """The supervising departments' webhook: answers 503 while `down`, records what it takes."""

    port: int
    down: bool = True
    taken: list[tuple[str, bytes, dict[str, str]]] = field(default_factory=list)
    refused: int = 0

    def url(self, department: str) -> str:
        return f"http://127.0.0.1:{self.port}/feed/{'market' if department == LEAD else 'tax'}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(free_port())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            data = self.rfile.read(int(self.headers["Content-Length"]))
            if state.down:
                state.refused += 1
                self.send_response(503)
            else:
                state.taken.append((self.path, data, dict(self.headers)))
                self.send_response(204)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", state.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def api(tmp_path: Path, receiver: Receiver) -> Iterator[CaseApi]:
    clock = Clock()
    feeds = {dept: {"url": receiver.url(dept), "secret": secret} for dept, secret in SECRETS.items()}
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'case.db'}",
        data_dir=tmp_path,
        case={
            "sweep_interval_seconds": 0,
            "supervision_feeds": feeds,
            "feed_interval_seconds": 0.2,
            "feed_retry_seconds": 0.3,
        },
    )
    app = create_app(settings, today=clock)
    with TestClient(app) as client:
        yield CaseApi(client, clock, settings)
    app.state.engine.dispose()


def _entries(api: CaseApi) -> list[SupervisionFeedEntry]:
    with Session(api.client.app.state.engine) as session:  # type: ignore[attr-defined]
        return list(session.scalars(select(SupervisionFeedEntry).order_by(SupervisionFeedEntry.id)))


def _wait(check: Any, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _signed(department: str, body: dict[str, Any], secret: str | None = None) -> tuple[bytes, dict[str, str]]:
    data = json.dumps(body, ensure_ascii=False).encode()
    mac = hmac.new((secret or SECRETS[department]).encode(), data, hashlib.sha256).hexdigest()
    return data, {"X-Hall-Signature": f"sha256={mac}", "Content-Type": "application/json"}


def test_results_reach_the_supervising_department_signed_and_its_revocation_comes_back(
    api: CaseApi, receiver: Receiver
) -> None:
    case = api.file_case(ITEM_COMPANY, name="张三丰")
    api.act(case["id"], "accept", "clerk1")
    api.act(case["id"], "start_review", "reviewer1")
    api.joint_opinion(case["id"])
    api.act(case["id"], "approve", "approver1", reason="符合法定条件")

    # The receiver is down: the result waits in the outbox, tried again and again.
    _wait(lambda: receiver.refused >= 2)
    (waiting,) = _entries(api)
    assert waiting.delivered_at is None and waiting.attempts >= 2 and "503" in waiting.last_error
    assert (waiting.department, waiting.event) == (LEAD, "approved")

    receiver.down = False
    _wait(lambda: len(receiver.taken) == 1)
    path, data, headers = receiver.taken[0]
    assert path == "/feed/market"  # the supervising department's own webhook, not the joint one's
    expected = hmac.new(SECRETS[LEAD].encode(), data, hashlib.sha256).hexdigest()
    assert headers["X-Hall-Signature"] == f"sha256={expected}"
    approved = json.loads(data)
    assert approved["event"] == "approved" and approved["case_number"] == case["number"]
    assert approved["supervising_department"] == LEAD and approved["event_id"] == headers["X-Hall-Event-Id"]
    _wait(lambda: _entries(api)[0].delivered_at is not None)

    made = api.act(case["id"], "make_certificate", "reviewer1")
    assert made["state"] == "certificate_made"
    _wait(lambda: len(receiver.taken) == 2)
    issued = json.loads(receiver.taken[1][1])
    assert issued["event"] == "certificate_issued"
    number = issued["certificate"]["number"]
    certificate = api.client.get(f"/api/v1/certificates/{number}", headers=api.staff("reviewer1")).json()
    token = certificate["qr_text"].rsplit("t=", 1)[-1]
    assert api.client.get("/api/v1/certificates/verify", params={"t": token}).json()["valid"] is True

    revocation = {
        "department": LEAD,
        "certificate_number": number,
        "reason": "事后检查发现经营场所与登记不符",
    }
    data, headers = _signed(LEAD, revocation)
    inbound = "/api/v1/supervision/revocations"
    # A stranger: unsigned, signed with a wrong key, or another department's key for this department.
    assert (
        api.client.post(inbound, content=data, headers={"Content-Type": "application/json"}).status_code
        == 401
    )
    forged = {**headers, "X-Hall-Signature": "sha256=" + "0" * 64}
    assert api.client.post(inbound, content=data, headers=forged).status_code == 401
    _, other_key = _signed(LEAD, revocation, secret=SECRETS[OTHER])
    refused = api.client.post(inbound, content=data, headers=other_key)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
    # A department that is real and signs correctly, but does not supervise this item.
    theirs, their_headers = _signed(OTHER, {**revocation, "department": OTHER})
    assert api.client.post(inbound, content=theirs, headers=their_headers).status_code == 403
    # A staff token is no signature either.
    staff = api.client.post(
        inbound, content=data, headers={**api.staff("approver1"), "Content-Type": "application/json"}
    )
    assert staff.status_code == 401
    assert api.client.get("/api/v1/certificates/verify", params={"t": token}).json()["valid"] is True

    done = api.client.post(inbound, content=data, headers=headers)
    assert done.status_code == 200, done.text
    verdict = api.client.get("/api/v1/certificates/verify", params={"t": token}).json()
    assert (
        verdict["valid"] is False
        and verdict["reason"] == "revoked"
        and "经营场所与登记不符" in verdict["detail"]
    )
    assert api.client.post(inbound, content=data, headers=headers).status_code == 409  # once

    with Session(api.client.app.state.engine) as session:  # type: ignore[attr-defined]
        audited = [
            (e.actor, e.action)
            for e in session.scalars(select(AuditEntry).where(AuditEntry.subject_id == number))
        ]
    assert (f"supervision:{LEAD}", "supervision.revocation_received") in audited
    assert (f"supervision:{LEAD}", "certificate.revoke") in audited

    _wait(lambda: len(receiver.taken) == 3)
    assert json.loads(receiver.taken[2][1])["event"] == "certificate_revoked"

    # The export: the day's feed as JSON lines, for managers and admins only.
    day = api.clock.today.isoformat()
    today = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8))).date().isoformat()
    params = {"from": min(day, today), "to": max(day, today)}
    exported = api.client.get("/api/v1/supervision/feed", params=params, headers=api.staff("manager1"))
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in exported.text.splitlines()]
    assert [line["event"] for line in lines] == ["approved", "certificate_issued", "certificate_revoked"]
    assert all(line["delivered_at"] for line in lines) and lines[0]["attempts"] >= 2
    for stranger in ("clerk1", "reviewer1", "approver1"):
        answer = api.client.get("/api/v1/supervision/feed", params=params, headers=api.staff(stranger))
        assert answer.status_code == 403
    assert api.client.get("/api/v1/supervision/feed", params=params).status_code == 401


def test_a_denial_is_kept_for_the_supervising_department(api: CaseApi) -> None:
    case = api.file_case(ITEM_COMPANY)
    api.act(case["id"], "accept", "clerk1")
    api.act(case["id"], "start_review", "reviewer1")
    api.joint_opinion(case["id"], conclusion="disagree")
    api.act(case["id"], "deny", "approver1", reasons=["名称与已登记企业重复"])
    (entry,) = _entries(api)
    assert (entry.event, entry.payload["event_label"]) == ("denied", "不予许可")
