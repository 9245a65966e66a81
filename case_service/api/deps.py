"""Dependencies: services, one session per request, the principal from the bearer token, the context.

Dependencies without I/O are `async` so they run on the event loop instead of a threadpool hop each."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from case_service.auth.tokens import Principal, PrincipalKind
from case_service.cases.service import Context
from case_service.domain.errors import ForbiddenError, UnauthorizedError
from case_service.domain.states import Role
from case_service.runtime import Services

TOKEN_COOKIE = "hall_case_token"  # noqa: S105 - a cookie name


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def get_services(request: Request) -> Services:
    return services_of(request)


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_session(services: ServicesDep) -> AsyncIterator[Session]:
    """Opening a session does no I/O; closing one with a transaction still open (rollback, back to the
    pool) runs in the threadpool. After a commit the connection is already back in the pool, and the
    close is done here without a second thread hop."""
    session = services.sessions()
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


SessionDep = Annotated[Session, Depends(get_session)]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.cookies.get(TOKEN_COOKIE)


def principal_of(request: Request, services: Services) -> Principal:
    token = bearer_token(request)
    if not token:
        raise UnauthorizedError("sign in first: send Authorization: Bearer <token>")
    principal = services.signer.read(token)
    services.revocations.check(principal)
    return principal


async def get_principal(request: Request, services: ServicesDep) -> Principal:
    return principal_of(request, services)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def get_context(session: SessionDep, principal: PrincipalDep, services: ServicesDep) -> Context:
    calendar = services.calendars.cached()
    if calendar is None:
        calendar = await run_in_threadpool(services.calendars.get, session)
    return Context(session, calendar, services.cipher, services.today(), principal, services.index_keys)


ContextDep = Annotated[Context, Depends(get_context)]


def require_roles(*roles: Role) -> Any:
    wanted = frozenset(roles)

    async def check(principal: PrincipalDep) -> Principal:
        if not principal.roles & wanted:
            names = ", ".join(sorted(role.value for role in wanted))
            raise ForbiddenError(f"this needs the role {names}")
        return principal

    return Depends(check)


async def require_staff(principal: PrincipalDep) -> Principal:
    if principal.kind is not PrincipalKind.STAFF:
        raise ForbiddenError("staff only")
    return principal


# A numeric id in a path, bounded to the databases' integer keys: a larger number is the API's 422, not an
# overflow inside the driver (PostgreSQL's integer, SQLite's 64 bits).
RowId = Annotated[int, Path(ge=1, le=2_147_483_647)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Required on every create. A retry with the same key and body returns the first answer.",
        max_length=128,
    ),
]
