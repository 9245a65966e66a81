"""Staff at the case service's API (the demo accounts of development mode), and a sealed certificate made
the way staff make one: a complete kiosk application accepted, reviewed, approved, certificate made, sealed.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import httpx
from PIL import Image

from case_service.domain.flows import Flow, flow_of
from kiosk.adapters.http_case import HttpCaseService
from kiosk.flow.model import IdCard


class Staff:
    """The case service's staff endpoints with real staff tokens (the demo accounts of development mode)."""

    def __init__(self, base_url: str) -> None:
        self._client = httpx.Client(base_url=base_url + "/api/v1", timeout=30)
        self._tokens: dict[str, str] = {}

    def close(self) -> None:
        self._client.close()

    def headers(self, username: str) -> dict[str, str]:
        if username not in self._tokens:
            body = {"username": username, "password": f"demo-{username}"}
            answer = self._client.post("/auth/login", json=body)
            assert answer.status_code == 200, answer.text
            self._tokens[username] = answer.json()["access_token"]
        return {"Authorization": f"Bearer {self._tokens[username]}"}

    def goes_by_licence(self, item_id: str) -> bool:
        """The item's cases go the licence way (review, decision, certificate), not registered on the
        spot (即办件, 备案) nor forwarded, and the approver decides them alone (one level of approval,
        no 承办 opinion to sign first, no joint department's opinion or site visit to wait for): what a
        test that needs a certificate must pick."""
        item = self.call("GET", f"/items/{item_id}", "clerk1")
        alone = not item.get("joint_departments") and not item.get("site_visit")
        return flow_of(item) is Flow.LICENCE and item.get("approval_levels", 1) == 1 and alone

    def call(self, method: str, path: str, username: str, **kwargs: Any) -> Any:
        answer = self._client.request(method, path, headers=self.headers(username), **kwargs)
        assert answer.status_code < 300, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer.json()

    def get(self, path: str, username: str) -> bytes:
        answer = self._client.get(path, headers=self.headers(username))
        assert answer.status_code == 200, f"GET {path}: {answer.status_code}"
        return answer.content

    def act(self, number: str, action: str, username: str, **body: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.call("POST", f"/cases/{number}/actions/{action}", username, json=body)
        return result


def _png() -> str:
    buffer = io.BytesIO()
    Image.new("L", (60, 80), 255).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def sealed_certificate(
    service: HttpCaseService, staff: Staff, card: IdCard, *, valid_until: str = "2031-12-31"
) -> dict[str, Any]:
    """A certificate for `card`'s holder, sealed; the case service's answer (number, qr_text, ...)."""
    department = staff.call("GET", "/auth/me", "reviewer1")["department"]
    item = next(
        detail
        for detail in (service.item(summary.item_id) for summary in service.search_items(""))
        if detail.kiosk_apply and detail.department_zh == department and staff.goes_by_licence(detail.item_id)
    )
    token = service.identify_card(card).token
    given = [{"code": m.code, "image_png_base64": _png()} for m in item.materials if m.required]
    payload = {"item_id": item.item_id, "form": {"phone": "13812345678"}, "materials": given}
    outcome = service.submit(token, payload, f"sealed-{card.id_number[-6:]}-{item.item_id}")
    assert outcome.accepted, outcome
    number = outcome.case_id
    staff.act(number, "accept", "clerk1")
    staff.act(number, "start_review", "reviewer1")
    staff.act(number, "approve", "approver1", reason="符合法定条件")
    issue = {"scope": "核验测试范围", "valid_until": valid_until}
    certificate: dict[str, Any] = staff.call("POST", f"/cases/{number}/certificate", "reviewer1", json=issue)
    assert staff.act(number, "seal", "sealer1")["state"] == "sealed"
    return certificate
