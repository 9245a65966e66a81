"""The broker's logins: what `hall_controller.mosquitto_acl` writes into Mosquitto's password file."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from case_service.api import schemas
from case_service.api.deps import PrincipalDep, SessionDep, require_roles
from case_service.domain.errors import ForbiddenError
from case_service.domain.states import Role
from case_service.storage.models import Device
from devices.protocol.credentials import mqtt_username

router = APIRouter(prefix="/devices", tags=["devices"])


@router.get(
    "/broker-logins",
    response_model=list[schemas.BrokerLoginOut],
    dependencies=[require_roles(Role.ADMIN, Role.CONTROLLER)],
)
def broker_logins(
    hall_id: Annotated[str, Query(pattern=schemas.DEVICE_ID, examples=["hall-01"])],
    session: SessionDep,
    principal: PrincipalDep,
) -> list[schemas.BrokerLoginOut]:
    """The enrolled, unrevoked devices of a hall: user name and `$7$` hash (never a secret).

    An admin reads any hall's; a controller only its own hall's.
    """
    if Role.ADMIN not in principal.roles:
        own = session.scalar(select(Device.hall_id).where(Device.device_id == principal.subject))
        if own != hall_id:
            raise ForbiddenError("a controller reads only its own hall's broker logins")
    rows = session.scalars(
        select(Device)
        .where(Device.hall_id == hall_id, Device.active.is_(True), Device.secret_hash != "")
        .order_by(Device.device_id)
    )
    return [
        schemas.BrokerLoginOut(
            username=mqtt_username(row.kind, row.hall_id, row.device_id), password_hash=row.secret_hash
        )
        for row in rows
    ]
