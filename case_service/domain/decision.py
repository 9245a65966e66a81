"""When a case may be decided (approve or deny), pure: the one rule that every way of deciding passes
through (the staff page's last opinion and the API's bare approve / deny alike, cases.actions).

The lead department decides once every joint department has given its opinion (并联审批, domain.joint)
and, where the item needs a site visit, once the visit is concluded other than 整改后复查 (domain.site_visit).
"""

from __future__ import annotations

from collections.abc import Sequence

from case_service.domain import joint, site_visit
from case_service.domain.errors import ConflictError


def may_decide(
    tasks: Sequence[joint.Task],
    required: site_visit.Requirement,
    visits: Sequence[site_visit.VisitState],
) -> None:
    """Refuses (ConflictError, Chinese and English) while joint opinions or a site visit are outstanding."""
    waiting = joint.waiting(tasks)
    if waiting:
        names = "、".join(waiting)
        raise ConflictError(
            f"联办部门尚未提出意见: {names}，不能作出决定"
            f" (the joint departments have not given their opinions yet: {names})",
            details={"waiting": waiting},
        )
    held = site_visit.hold(required, visits)
    if held is not None:
        raise ConflictError(f"{held.zh} ({held.en})", details={"site_visit": "pending"})
