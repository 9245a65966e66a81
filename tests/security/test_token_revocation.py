"""Issue 15: tokens could not be revoked: a signed-out or stolen token worked until it expired (8 hours
for staff, 12 for devices).

Every token now has an id; a sign-out voids it, an administrator voids every token of a staff member or
device, and each request is checked against the revocations (other processes see them within a second).
"""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from case_service.app import create_app
from case_service.bootstrap import demo_password
from case_service.storage.models import AuditEntry
from tests.case_service.conftest import CaseApi, make_settings, sqlite_api  # noqa: F401


def _login(client: TestClient, username: str) -> dict[str, str]:
    answer = client.post(
        "/api/v1/auth/login", json={"username": username, "password": demo_password(username)}
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_a_signed_out_token_is_refused(sqlite_api: CaseApi) -> None:  # noqa: F811
    client = sqlite_api.client
    first, second = _login(client, "clerk1"), _login(client, "clerk1")
    assert client.post("/api/v1/auth/logout", headers=first).status_code == 204
    assert client.get("/api/v1/auth/me", headers=first).status_code == 401
    assert client.get("/api/v1/cases", headers=first).status_code == 401
    assert client.get("/api/v1/auth/me", headers=second).status_code == 200  # only that one token


def test_the_staff_pages_sign_out_for_good(sqlite_api: CaseApi) -> None:  # noqa: F811
    client = sqlite_api.client
    signed_in = client.post(
        "/web/login", data={"username": "clerk1", "password": demo_password("clerk1")}, follow_redirects=False
    )
    cookie = signed_in.cookies["hall_case_token"]
    assert client.get("/web/work", follow_redirects=False).status_code == 200
    client.get("/web/logout", follow_redirects=False)
    client.cookies.set("hall_case_token", cookie)  # the old cookie, kept by whoever copied it
    again = client.get("/web/work", follow_redirects=False)
    assert again.status_code == 303 and "/web/login" in again.headers["location"]
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {cookie}"}).status_code == 401


def test_an_administrator_revokes_every_token_of_a_person_in_every_process(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 'case.db'}", tmp_path)
    first, second = create_app(settings), create_app(settings, prepare_db=False)
    with TestClient(first) as one, TestClient(second) as other:
        stolen = _login(one, "clerk1")
        assert other.get("/api/v1/auth/me", headers=stolen).status_code == 200
        body = {"kind": "staff", "subject": "clerk1", "reason": "工牌遗失"}
        refused = one.post("/api/v1/admin/tokens/revoke", json=body, headers=_login(one, "manager1"))
        assert refused.status_code == 403
        done = one.post("/api/v1/admin/tokens/revoke", json=body, headers=_login(one, "admin"))
        assert done.status_code == 200, done.text
        assert one.get("/api/v1/auth/me", headers=stolen).status_code == 401
        deadline = time.monotonic() + 10
        while other.get("/api/v1/auth/me", headers=stolen).status_code != 401:
            assert time.monotonic() < deadline, "the other process still accepts the revoked token"
            time.sleep(0.2)
        assert other.get("/api/v1/auth/me", headers=_login(other, "clerk1")).status_code == 200
        with first.state.sessions() as session:
            entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "token.revoke_all")).one()
        assert (entry.subject_id, entry.actor, (entry.after or {})["reason"]) == (
            "clerk1",
            "staff:admin",
            "工牌遗失",
        )
    first.state.engine.dispose()
    second.state.engine.dispose()
