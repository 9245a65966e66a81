"""`CaseClient` over the case service's HTTP API, as the hall controller (a device with role controller).

It rides on the controller's one link to the case service (hall_controller/case_link.py): the device
token of ``controller-<hall>``, renewed there. Reads go straight to the case service: the case must be
``ready_for_release`` by locker, and ``GET /cases/{id}/release-contact`` (controllers only) gives the
applicant's phone and ID number in full, for the pickup SMS and the ID-card binding; the controller keeps
the phone encrypted and only a keyed hash of the ID number. Writes (``ready_for_pickup``, ``deliver``
with the receipt, ``return_to_window``) go through the controller's outbox when one is given: stored
before the door's effect is acknowledged, delivered in order with an Idempotency-Key once the case
service answers, so a locker keeps working through a network cut and the case catches up.
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from hall.case_api import CaseOut, CaseState, ReleaseContact
from hall_controller.case_link import CaseServiceClient, CaseServiceUnavailableError, Outbox
from hall_controller.lockers.ports import CaseError, ReleasableCase

log = logging.getLogger(__name__)

API = "/api/v1"
M = TypeVar("M", bound=BaseModel)


class HttpCaseClient:
    def __init__(self, client: CaseServiceClient, outbox: Outbox | None = None) -> None:
        self._client = client
        self._outbox = outbox

    def _get(self, model: type[M], path: str) -> M:
        """The answer as the contract's model (hall/case_api.py)."""
        try:
            answer = self._client.request("GET", path)
        except CaseServiceUnavailableError as err:
            raise CaseError(str(err)) from err
        if answer.status_code >= 400:
            raise CaseError(f"case service refused GET {path}: {answer.status_code} {_detail(answer.text)}")
        try:
            return model.model_validate_json(answer.content)
        except ValidationError as err:
            raise CaseError(
                f"case service answered {path} with something that is not a {model.__name__}"
            ) from err

    def _write(self, path: str, body: dict[str, Any], key: str | None = None) -> None:
        if self._outbox is not None:
            self._outbox.enqueue("POST", path, body, key=key)
            return
        try:
            answer = self._client.request("POST", path, json=body, idempotency_key=key)
        except CaseServiceUnavailableError as err:
            raise CaseError(str(err)) from err
        if answer.status_code >= 400:
            raise CaseError(f"case service refused POST {path}: {answer.status_code} {_detail(answer.text)}")

    def releasable(self, case_id: str) -> ReleasableCase:
        case = self._get(CaseOut, f"{API}/cases/{case_id}")
        if case.state is not CaseState.READY_FOR_RELEASE or case.release_channel != "locker":
            raise CaseError(
                f"case {case_id} is {case.state} by {case.release_channel}, "
                "not ready for release into a locker"
            )
        contact = self._get(ReleaseContact, f"{API}/cases/{case_id}/release-contact")
        return ReleasableCase(
            str(case_id), contact.item_name or case.item_name, contact.phone, contact.id_number
        )

    def mark_ready_for_pickup(self, case_id: str, where: str, *, key: str | None = None) -> None:
        self._write(f"{API}/cases/{case_id}/actions/ready_for_pickup", {"receipt": {"locker": where}}, key)

    def mark_delivered(self, case_id: str, receipt: dict[str, Any], *, key: str | None = None) -> None:
        body = {"receipt": {"method": "locker", **receipt}}
        self._write(f"{API}/cases/{case_id}/actions/deliver", body, key)

    def mark_returned_to_window(self, case_id: str, reason: str) -> None:
        self._write(f"{API}/cases/{case_id}/actions/return_to_window", {"reason": reason})


def _detail(text: str) -> str:
    # Error bodies are the case service's own messages; cut them short for the log, never echo a body back.
    return text[:200]
