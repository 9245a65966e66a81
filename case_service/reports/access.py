"""Who reads the figures, and of which departments: the centre's manager (and administrators) the
whole centre; a department head (a manager or approver with a department) their department only."""

from __future__ import annotations

from case_service.auth.tokens import Principal, PrincipalKind
from case_service.domain.errors import ForbiddenError
from case_service.domain.states import Role

READERS = frozenset({Role.MANAGER, Role.ADMIN, Role.APPROVER})


def report_scope(principal: Principal, asked: str | None = None) -> str | None:
    """The department the figures are limited to (None: the whole centre). `asked` narrows a centre
    reader to one department; a department head asking for another department is refused."""
    if principal.kind is not PrincipalKind.STAFF or not principal.roles & READERS:
        raise ForbiddenError("the figures are for the centre's managers and department heads")
    own = principal.department
    if own is None and Role.APPROVER in principal.roles and not principal.roles & {Role.MANAGER, Role.ADMIN}:
        raise ForbiddenError("an approver reads the figures of their department: none is set")
    if own is not None and asked is not None and asked != own:
        raise ForbiddenError(f"the figures of {asked} are not yours to read (yours: {own})")
    return own if own is not None else asked
