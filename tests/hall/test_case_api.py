"""One HTTP contract (hall/case_api.py): the case service answers with its models, the kiosk and the
controller read them, and an answer that is not the contract is a failing service, never a half-read case.

The clients meet a stand-in service here (httpx.MockTransport) only to send what the real one never does;
tests/kiosk/test_http_case.py and tests/hall_controller/lockers/test_locker_real_case_service.py read the
real case service through the same models.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from case_service.api.routes.cases import router as cases_router
from case_service.domain.states import CaseState as DomainCaseState
from hall.case_api import CaseOut, CaseState, CaseStatus, ItemOut
from hall_controller.lockers.case_http import HttpCaseClient
from hall_controller.lockers.ports import CaseError
from kiosk.adapters.http_case import HttpCaseService, fee_text
from kiosk.ports import ServiceUnavailableError

TOKEN = {"access_token": "t", "expires_at": int(time.time()) + 3600, "kind": "device", "roles": ["kiosk"]}


def test_the_case_service_answers_with_the_shared_models() -> None:
    assert DomainCaseState is CaseState  # the domain's states are the contract's
    answers = {
        getattr(route, "path", ""): getattr(route, "response_model", None) for route in cases_router.routes
    }
    assert answers["/cases/{case_id}"] is CaseOut
    assert answers["/cases/{case_id}/status"] is CaseStatus


def kiosk_answering(cases: dict[str, Any]) -> HttpCaseService:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/auth/device-token"):
            return httpx.Response(200, json=TOKEN)
        return httpx.Response(200, json=cases)

    return HttpCaseService(
        "http://case-service.invalid",
        device_id="kiosk-01",
        secret="s",
        transport=httpx.MockTransport(answer),
    )


def test_the_kiosk_takes_an_answer_outside_the_contract_for_a_failing_service() -> None:
    kiosk = kiosk_answering({"items": [{"number": "20261123A1", "state": "teleported"}], "total": 1})
    with pytest.raises(ServiceUnavailableError, match="not a Page"):
        kiosk.cases("applicant-token")


class Answering:
    """The controller's link to the case service, answering every GET with `body`."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body

    def request(
        self, method: str, path: str, *, json: Any = None, idempotency_key: str | None = None
    ) -> httpx.Response:
        return httpx.Response(200, content=_json(self.body))


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


def test_the_lockers_refuse_a_case_answer_outside_the_contract() -> None:
    half_a_case = Answering({"state": "ready_for_release", "release_channel": "locker"})
    lockers = HttpCaseClient(half_a_case)  # type: ignore[arg-type]
    with pytest.raises(CaseError, match="not a CaseOut"):
        lockers.releasable("42")


def _item(**guide: Any) -> ItemOut:
    base = {
        "code": "513200-XK-SJ-0529",
        "version": 1,
        "name": "食品经营许可",
        "department": "州市场监管局",
        "kind": "行政许可",
        "category": "经营类",
        "legal_basis": "",
        "implementing_unit": "",
        "applicant_type": "",
        "materials": [],
        "legal_limit_days": 20,
        "promised_limit_days": 10,
        "stage_budgets": {},
        "fees": [],
        "unified_seal": True,
        "channels": ["kiosk"],
        "joint_departments": [],
        "status": "active",
        "exercise_level_note": "",
        "source": "",
    }
    return ItemOut.model_validate({**base, **guide})


def test_the_kiosk_calls_a_fee_free_only_when_the_guide_says_so() -> None:
    assert fee_text(_item(fee_status="不收费")) == ("不收费", "Free")
    unknown = ("待部门核实", "to be confirmed by the department")
    assert fee_text(_item()) == unknown  # no fee status: unknown, not free
    assert fee_text(
        _item(fee_status="收费", fees=[{"name": "检疫费", "amount": "按头计收"}], unverified=["fees"])
    ) == (unknown)
    charged = _item(fee_status="收费", fees=[{"name": "登记费", "amount": "100元", "basis": "某规定"}])
    assert fee_text(charged) == ("登记费 100元", "登记费 100元")
