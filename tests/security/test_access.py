"""Access: every principal refused what is not its own, on a real case-service app (SQLite).

The expectations are derived from the domain's own table (ACTION_ROLES): for every case action and
every kind of principal — each staff role, a kiosk, a hall controller, the applicant, another
applicant — a principal without the role is refused (403, or 404 when the case is not theirs to see)
and the case does not move. Tokens are bound to the signing key and to their kind.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from case_service.app import create_app
from case_service.bootstrap import DEMO_STAFF, demo_password
from case_service.domain.states import ACTION_ROLES, Action, Role
from hall.settings import Settings
from tests.fixtures.applicant import card_sign_in
from tests.fixtures.devices import enrol
from tests.reliability.workers import ITEM_COMPANY, person

pytestmark = pytest.mark.integration
DEVICE_KINDS = ("kiosk", "controller")
_keys = itertools.count()


class Principals:
    def __init__(self, client: TestClient, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self.headers: dict[str, dict[str, str]] = {}
        for username in DEMO_STAFF:
            answer = client.post(
                "/api/v1/auth/login", json={"username": username, "password": demo_password(username)}
            )
            assert answer.status_code == 200, answer.text
            self.headers[username] = _bearer(answer.json())
        secrets = {kind: enrol(client, self.headers["admin"], f"{kind}-01", kind) for kind in DEVICE_KINDS}
        for kind in DEVICE_KINDS:
            self.headers[kind] = self.device(f"{kind}-01", kind, secrets[kind])
        for name, index in (("owner", 1), ("stranger", 2)):
            applicant = person(index)
            self.headers[name] = card_sign_in(
                client,
                secret=secrets["kiosk"],
                name=applicant["name"],
                id_number=applicant["id_number"],
            )

    def device(self, device_id: str, kind: str, secret: str | None = None) -> dict[str, str]:
        """A device token: the enrolled device's own secret, or `secret` as given."""
        if secret is None:
            secret = enrol(self.client, self.headers["admin"], device_id, kind)
        answer = self.client.post(
            "/api/v1/auth/device-token", json={"device_id": device_id, "secret": secret}
        )
        if answer.status_code != 200:
            return {"status": str(answer.status_code)}
        return _bearer(answer.json())

    def roles(self, name: str) -> set[Role]:
        if name in DEMO_STAFF:
            return {Role(role) for role in DEMO_STAFF[name][1]}
        return {"kiosk": {Role.KIOSK}, "controller": {Role.CONTROLLER}}.get(name, {Role.APPLICANT})

    def new_case(self) -> dict[str, Any]:
        answer = self.client.post(
            "/api/v1/cases",
            json={"item_code": ITEM_COMPANY, "channel": "window", "applicant": person(1)},
            headers={**self.headers["clerk1"], "Idempotency-Key": f"access-{next(_keys)}"},
        )
        assert answer.status_code == 201, answer.text
        body: dict[str, Any] = answer.json()
        return body


def _bearer(body: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {body['access_token']}"}


@pytest.fixture(scope="module")
def principals(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Principals]:
    data_dir: Path = tmp_path_factory.mktemp("access")
    settings = Settings(
        database_url=f"sqlite:///{data_dir / 'case.db'}",
        data_dir=data_dir,
        case={"sweep_interval_seconds": 0},
    )
    app = create_app(settings)
    with TestClient(app) as client:
        yield Principals(client, settings)
    app.state.engine.dispose()


PRINCIPALS = [*DEMO_STAFF, "kiosk", "controller", "owner", "stranger"]


@pytest.mark.parametrize("action", [a for a in Action if a is not Action.AUTO_ACCEPT])
def test_every_action_refuses_every_principal_without_its_role(
    principals: Principals, action: Action
) -> None:
    case = principals.new_case()
    url = f"/api/v1/cases/{case['id']}"
    refused = [name for name in PRINCIPALS if not principals.roles(name) & ACTION_ROLES[action]]
    assert refused, action
    for name in refused:
        answer = principals.client.post(
            f"{url}/actions/{action.value}", json={}, headers=principals.headers[name]
        )
        allowed_codes = {403, 404} if name == "stranger" else {403}
        assert answer.status_code in allowed_codes, (action.value, name, answer.status_code, answer.text)
    after = principals.client.get(url, headers=principals.headers["manager1"]).json()
    assert after["state"] == case["state"] == "submitted"


def test_an_applicant_sees_only_their_own_cases(principals: Principals) -> None:
    case = principals.new_case()
    client, headers = principals.client, principals.headers
    assert client.get(f"/api/v1/cases/{case['id']}", headers=headers["owner"]).status_code == 200
    assert client.get(f"/api/v1/cases/{case['id']}", headers=headers["stranger"]).status_code in (403, 404)
    mine = client.get("/api/v1/cases", headers=headers["stranger"]).json()
    assert mine["total"] == 0 and mine["items"] == []
    assert client.get("/api/v1/cases", headers=headers["owner"]).json()["total"] >= 1


def test_device_credentials_are_bound_to_their_kind_and_secret(principals: Principals) -> None:
    client, headers = principals.client, principals.headers
    assert principals.device("kiosk-09", "kiosk", secret="x" * 40) == {"status": "401"}
    # A kiosk reads cases only through an applicant token; a controller cannot mint applicant tokens.
    assert client.get("/api/v1/cases", headers=headers["kiosk"]).status_code == 403
    minted = client.post("/api/v1/auth/card-challenge", headers=headers["controller"])
    assert minted.status_code == 403
    # Staff-only and admin-only endpoints refuse devices and applicants.
    for name in ("kiosk", "controller", "owner", "clerk1"):
        assert client.get("/api/v1/audit/verify", headers=headers[name]).status_code == 403, name
    holiday = {"is_working_day": False, "note": "春节"}
    for name in ("kiosk", "controller", "owner", "manager1"):
        answer = client.put("/api/v1/admin/holidays/2030-01-02", json=holiday, headers=headers[name])
        assert answer.status_code == 403, (name, answer.status_code)
    assert (
        client.put("/api/v1/admin/holidays/2030-01-02", json=holiday, headers=headers["admin"]).status_code
        == 200
    )


def test_a_token_signed_with_another_key_is_refused(principals: Principals) -> None:
    token = principals.headers["admin"]["Authorization"].removeprefix("Bearer ")
    header, body, signature = token.split(".") if token.count(".") == 2 else (token, "", "")
    forged = f"{header}.{body}.{signature[::-1]}" if body else token[:-4] + "AAAA"
    answer = principals.client.get("/api/v1/audit/verify", headers={"Authorization": f"Bearer {forged}"})
    assert answer.status_code == 401
    assert principals.client.get("/api/v1/audit/verify").status_code == 401
