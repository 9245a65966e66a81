"""A staff form's POST, the same way on every manager's page: signed in (else the login page), the work
done in the request's transaction, then back to the page with a one-time flash (web/flash.py); a refusal
of the rules' (ForbiddenError) is a 403 page, any other rule's refusal goes back as the flash's error."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from fastapi.responses import Response

from case_service.api.deps import ServicesDep, SessionDep
from case_service.cases.context import Context
from case_service.domain.errors import DomainError, ForbiddenError
from case_service.web import flash
from case_service.web.routes import _context, _login_redirect, _page


def refused(request: Request, ctx: Context, text: str) -> Response:
    answer = _page(request, "message.html", ctx, text=text)
    answer.status_code = 403
    return answer


def run(
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    back_to: str,
    work: Callable[[Context], str],
) -> Response:
    """`work` does the form's change and says what was done (the flash); it raises DomainError to refuse."""
    ctx = _context(request, session, services)
    if ctx is None:
        return _login_redirect(request)
    try:
        done = work(ctx)
    except ForbiddenError as err:
        session.rollback()
        return refused(request, ctx, err.message)
    except DomainError as err:
        session.rollback()
        return flash.redirect(back_to, error=err.message)
    session.commit()
    return flash.redirect(back_to, message=done)
