"""HTTP routes of the lockers extension (under /api/v1/ext/lockers): thin over the locker service."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field, ValidationError

from devices.protocol import lockers
from hall.http_errors import ApiError
from hall.models import Strict
from hall.settings import Mode
from hall_controller.auth import Clerk, Manager, client_address, id_card_voucher, optional_voucher
from hall_controller.lockers.allocation import Size
from hall_controller.lockers.ports import ReleasableCase
from hall_controller.lockers.repository import (
    CaseAlreadyDepositedError,
    NoCompartmentError,
    RepositoryError,
)
from hall_controller.lockers.service import LockedOutError, LockerError, OpenNotDetectedError

if TYPE_CHECKING:
    from hall_controller.lockers.extension import LockersExtension

Ident = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$")]


log = logging.getLogger(__name__)


# Names in bodies (clerk, admin, staff) are accepted for old callers and ignored: the audit trail records
# the signed-in user from the token.
class DepositRequest(Strict):
    case_id: Ident
    size: Annotated[str, Field(pattern="^(S|M|L|XL)$")] = "M"
    clerk: Ident | None = None
    bank_id: Ident | None = None


class PickupRequest(Strict):
    bank_id: Ident
    method: lockers.PickupMethod
    value: Annotated[str, Field(min_length=1, max_length=200)]


class RemoteOpenRequest(Strict):
    bank_id: Ident
    number: Annotated[int, Field(ge=1, le=512)]
    admin: Ident | None = None
    reason: Annotated[str, Field(min_length=4, max_length=200)]


class ReturnRequest(Strict):
    bank_id: Ident
    number: Annotated[int, Field(ge=1, le=512)]
    staff: Ident | None = None


class DemoCase(Strict):
    case_id: Ident
    title: Annotated[str, Field(max_length=100)] = ""
    phone: Annotated[str, Field(pattern=r"^1[3-9]\d{9}$")]
    id_number: Annotated[str, Field(pattern=r"^\d{17}[\dXx]$")]


ModelT = TypeVar("ModelT", bound=BaseModel)


async def _raw_body(request: Request) -> bytes:
    return await request.body()


RawBody = Annotated[bytes, Depends(_raw_body)]


def _parse(model: type[ModelT], raw: bytes) -> ModelT:
    """Our own parsing: FastAPI's default error handler fails (500) on a body that is not UTF-8."""
    try:
        return model.model_validate_json(raw)
    except ValidationError as err:
        problems = [
            {"loc": [str(part) for part in e["loc"]], "msg": e["msg"]}
            for e in err.errors(include_input=False)
        ]
        raise ApiError(422, "validation_error", f"invalid {model.__name__}", problems) from err


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }


def _refuse(err: Exception) -> HTTPException | ApiError:
    if isinstance(err, LockedOutError):
        retry = int(err.retry_after) + 1
        return ApiError(429, "locked_out", str(err), {"retry_after": retry}, {"Retry-After": str(retry)})
    if isinstance(err, OpenNotDetectedError):
        return ApiError(409, "OPEN_NOT_DETECTED", str(err))
    if isinstance(err, NoCompartmentError | CaseAlreadyDepositedError):
        return HTTPException(409, str(err))
    if isinstance(err, RepositoryError):
        return HTTPException(503, "locker database unavailable")
    if isinstance(err, LockerError):
        return ApiError(400, err.code, str(err))
    return HTTPException(400, str(err))


ERRORS = (LockerError, NoCompartmentError, CaseAlreadyDepositedError, RepositoryError)


def build_router(extension: LockersExtension) -> APIRouter:
    router = APIRouter(tags=["lockers"])

    @router.get("/compartments")
    def compartments() -> list[dict[str, Any]]:
        repository = extension.repository
        if repository is None:
            raise HTTPException(503, "lockers not started")
        return [
            {"id": c.id, "bank_id": c.bank_id, "number": c.number, "size": c.size.name, "state": c.state}
            for c in repository.compartments()
        ]

    @router.post("/deposits", openapi_extra=_schema(DepositRequest))
    def deposit(raw: RawBody, staff: Clerk) -> dict[str, Any]:
        body = _parse(DepositRequest, raw)
        try:
            compartment = extension.require().start_deposit(
                body.case_id, Size.parse(body.size), staff.username, body.bank_id
            )
        except ERRORS as err:
            raise _refuse(err) from err
        extension.context.notify()
        return {"bank_id": compartment.bank_id, "number": compartment.number, "state": "door_open"}

    @router.post("/pickups", openapi_extra=_schema(PickupRequest))
    def pickup(raw: RawBody, request: Request) -> dict[str, Any]:
        """Open to everyone: the code, QR or (vouched-for) ID card is the credential. Wrong attempts count
        per source (this address, or the kiosk or clerk behind the token)."""
        body = _parse(PickupRequest, raw)
        if body.method is lockers.PickupMethod.ID_CARD:
            voucher: str | None = id_card_voucher(request)
            log.info("ID-card pickup at %s vouched for by %s", body.bank_id, voucher)
        else:
            voucher = optional_voucher(request)
        source = voucher or f"http:{client_address(request)}"
        try:
            return extension.pickup(body.bank_id, body.method, body.value, source)
        except ERRORS as err:
            raise _refuse(err) from err

    @router.post("/remote-open", openapi_extra=_schema(RemoteOpenRequest))
    def remote_open(raw: RawBody, staff: Manager) -> dict[str, Any]:
        body = _parse(RemoteOpenRequest, raw)
        try:
            extension.require().admin_open(body.bank_id, body.number, staff.username, body.reason)
        except ERRORS as err:
            raise _refuse(err) from err
        return {"bank_id": body.bank_id, "number": body.number, "opened": True}

    @router.post("/returns", openapi_extra=_schema(ReturnRequest))
    def take_back(raw: RawBody, staff: Clerk) -> dict[str, Any]:
        body = _parse(ReturnRequest, raw)
        try:
            extension.require().return_to_window(body.bank_id, body.number, staff.username)
        except ERRORS as err:
            raise _refuse(err) from err
        return {"bank_id": body.bank_id, "number": body.number, "opened": True}

    @router.get("/uncollected")
    def uncollected(
        _staff: Clerk, days: Annotated[float | None, Query(ge=0, le=3650)] = None
    ) -> list[dict[str, Any]]:
        try:
            found = extension.require().uncollected(days)
        except ERRORS as err:
            raise _refuse(err) from err
        return [
            {"case_id": d.case_id, "compartment": d.compartment_id, "deposited": d.deposited} for d in found
        ]

    @router.get("/audit")
    def audit(
        _staff: Manager, compartment: Annotated[str | None, Query(max_length=80)] = None
    ) -> list[dict[str, Any]]:
        repository = extension.repository
        if repository is None:
            raise HTTPException(503, "lockers not started")
        return repository.audit_trail(compartment)

    @router.post("/demo-cases", include_in_schema=False)
    def demo_case(raw: RawBody, _staff: Clerk) -> dict[str, str]:
        """With HALL_CONTROLLER__LOCKER_CASES=memory (development only): a case ready for release."""
        body = _parse(DemoCase, raw)
        add = getattr(extension.cases, "add", None)
        if add is None or extension.context.settings.mode is Mode.PRODUCTION:
            raise HTTPException(404, "cases come from the case service")
        add(ReleasableCase(body.case_id, body.title, body.phone, body.id_number))
        return {"case_id": body.case_id, "state": "ready_for_release"}

    return router
