"""The API's documentation page works on a hall's network without internet: every asset it loads comes
from the service itself (issue 16: `/docs` stayed blank, its scripts were on a CDN)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from hall_controller.app import create_app as create_controller
from tests.fixtures.hall import HallProcess
from tests.hall_controller.harness import controller_settings, new_hall_id

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_the_case_services_docs_render_with_no_request_leaving_the_hall(
    start_hall_process: Callable[..., HallProcess], page: Any
) -> None:
    service = start_hall_process("case-service")
    base = service.url
    assert base is not None
    outside: list[str] = []

    def only_the_service(route: Any) -> None:
        if route.request.url.startswith(base):
            route.continue_()
        else:  # the internet is not there in a hall
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_service)
    page.goto(f"{base}/docs")
    page.locator(".swagger-ui .opblock").first.wait_for(timeout=30_000)
    assert page.locator(".swagger-ui .opblock").count() > 50
    assert "/api/v1/cases" in page.inner_text("body")
    assert outside == []
    assert httpx.get(f"{base}/redoc", timeout=10).status_code == 404  # FastAPI's CDN page is off
    assert httpx.get(f"{base}/docs/assets/..%2Fapi_docs.py", timeout=10).status_code == 404


def test_the_controllers_docs_name_only_its_own_assets(any_broker: Any, tmp_path: Any) -> None:
    app = create_controller(controller_settings(any_broker.url, tmp_path, new_hall_id()))
    with TestClient(app) as client:
        html = client.get("/docs").text
        addresses = re.findall(r"""(?:src|href)=["']([^"']+)""", html)
        assert addresses and all(address.startswith("/docs/assets/") for address in addresses), addresses
        for address in addresses:
            assert client.get(address).status_code == 200, address
        assert "cdn" not in html.lower()
