"""Found by schemathesis: a huge paging offset was a 500 (OverflowError in SQLite), not a clear refusal.

`GET /api/v1/items?offset=…` and `GET /api/v1/cases?offset=…` accepted any non-negative integer; past
2**63 - 1 SQLite cannot bind it. The routes now bound `offset` (case_service.api.schemas.MAX_OFFSET).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from case_service.app import create_app
from case_service.bootstrap import demo_password
from hall.settings import Settings

pytestmark = pytest.mark.integration
HUGE = str(2**64)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data_dir: Path = tmp_path_factory.mktemp("paging")
    settings = Settings(
        database_url=f"sqlite:///{data_dir / 'case.db'}",
        data_dir=data_dir,
        case={"sweep_interval_seconds": 0},
    )
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
    app.state.engine.dispose()


def test_an_ordinary_offset_pages(client: TestClient) -> None:
    answer = client.get("/api/v1/items", params={"offset": 10, "limit": 5})
    assert answer.status_code == 200 and answer.json()["offset"] == 10


@pytest.mark.parametrize("path", ["/api/v1/items", "/api/v1/cases"])
def test_a_huge_offset_is_refused_clearly(client: TestClient, path: str) -> None:
    token = client.post(
        "/api/v1/auth/login", json={"username": "clerk1", "password": demo_password("clerk1")}
    )
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    answer = client.get(path, params={"offset": HUGE}, headers=headers)
    assert answer.status_code == 422, (answer.status_code, answer.text[:200])
