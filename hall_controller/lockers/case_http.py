"""`CaseClient` over the case service's HTTP API, as the hall controller (a device with role controller).

The controller asks for a device token with the hall's device secret, reads the case, and moves it with
the ``ready_for_pickup`` and ``deliver`` actions (the receipt travels with them). The case service shows
controllers the applicant's phone and ID number masked, so this client cannot yet send the pickup SMS
nor bind an ID card: `releasable` returns empty contact fields until the case service offers the
controller those details (see docs/lockers.md).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx

from hall_controller.lockers.ports import CaseError, ReleasableCase

log = logging.getLogger(__name__)

API = "/api/v1"
TOKEN_MARGIN_SECONDS = 60.0


class HttpCaseClient:
    def __init__(self, http: httpx.Client, device_id: str, device_secret: str) -> None:
        self._http = http
        self._device_id = device_id
        self._secret = device_secret
        self._token: str | None = None
        self._token_expires = 0.0

    @classmethod
    def connect(
        cls, base_url: str, device_id: str, device_secret: str, timeout: float = 10.0
    ) -> HttpCaseClient:
        return cls(httpx.Client(base_url=base_url, timeout=timeout), device_id, device_secret)

    def _authorisation(self) -> dict[str, str]:
        if self._token is None or time.time() > self._token_expires - TOKEN_MARGIN_SECONDS:
            body = {"device_id": self._device_id, "secret": self._secret, "kind": "controller"}
            answer = self._send("POST", f"{API}/auth/device-token", body, {})
            self._token = str(answer["access_token"])
            self._token_expires = float(answer["expires_at"])
        return {"Authorization": f"Bearer {self._token}"}

    def _send(self, method: str, path: str, body: dict[str, Any] | None, headers: dict[str, str]) -> Any:
        try:
            response = self._http.request(method, path, json=body, headers=headers)
        except httpx.HTTPError as err:
            raise CaseError(f"case service unreachable: {err}") from err
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise CaseError(f"case service refused {method} {path}: {response.status_code} {detail}")
        return response.json()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        result = self._send(method, path, body, self._authorisation())
        if not isinstance(result, dict):
            raise CaseError(f"case service answered {path} with something that is not an object")
        return result

    def releasable(self, case_id: str) -> ReleasableCase:
        case = self._call("GET", f"{API}/cases/{case_id}")
        if case.get("state") != "ready_for_release" or case.get("release_channel") != "locker":
            raise CaseError(
                f"case {case_id} is {case.get('state')} by {case.get('release_channel')}, "
                "not ready for release into a locker"
            )
        phone = str(case.get("applicant_phone") or "")
        if "*" in phone:
            log.warning("case %s: the case service shows the phone masked; no pickup SMS possible", case_id)
            phone = ""
        return ReleasableCase(str(case_id), str(case.get("item_name", "")), phone, "")

    def mark_ready_for_pickup(self, case_id: str, where: str) -> None:
        self._call("POST", f"{API}/cases/{case_id}/actions/ready_for_pickup", {"receipt": {"locker": where}})

    def mark_delivered(self, case_id: str, receipt: dict[str, Any]) -> None:
        self._call(
            "POST",
            f"{API}/cases/{case_id}/actions/deliver",
            {"receipt": {"method": "locker", **receipt}},
        )

    def mark_returned_to_window(self, case_id: str, reason: str) -> None:
        raise CaseError("the case service has no way back from ready_for_pickup to ready_for_release yet")
