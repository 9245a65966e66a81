"""What the case page shows of a case's site visits (现场核查, web/site_visit.py's forms)."""

from __future__ import annotations

from typing import Any

from case_service.cases import service as cases
from case_service.cases import site_visits
from case_service.domain import site_visit
from case_service.storage.models import Case


def panel(ctx: cases.Context, case: Case) -> dict[str, Any] | None:
    """What the case page shows of the visits: None where the item needs none and none was made."""
    required = site_visits.requirement(ctx.session, case)
    rows = site_visits.visits_of(ctx.session, case)
    if not required.required and not required.unverified and not rows:
        return None
    states = [site_visits.state_of(r) for r in rows]
    staff = (
        bool(ctx.principal.roles & site_visits.STAFF_ROLES) and ctx.principal.department == case.department
    )
    again = not states or states[-1].conclusion is site_visit.Conclusion.RECTIFY
    can_schedule = staff and case.state in site_visits.OPEN_STATES and again
    last = rows[-1] if rows else None
    can_record = bool(
        last
        and last.conclusion is None
        and ctx.principal.subject in [i["username"] for i in last.inspectors]
        and ctx.today >= last.visit_on
    )
    return {
        "required": required,
        "visits": rows,
        "labels": {c.value: label for c, label in site_visit.CONCLUSION_LABELS.items()},
        "blocking": site_visit.blocking(required, states),
        "can_schedule": can_schedule,
        "inspectors": site_visits.inspectors_available(ctx.session, case.department) if can_schedule else [],
        "min_inspectors": site_visit.MIN_INSPECTORS,
        "can_record": can_record,
        "points": site_visits.check_points(ctx.session, case) if can_record else (),
        "conclusions": site_visit.CONCLUSION_LABELS,
        "today": ctx.today,
    }


def timeline_detail(action: str, after: dict[str, Any]) -> str:
    """A site visit's audit entry in words for 办理过程: when and where, or the conclusion."""
    if action == "case.site_visit_schedule":
        names = "、".join(str(i.get("name", "")) for i in after.get("inspectors", []))
        return f"{after.get('visit_on', '')} {after.get('place', '')} 检查人员: {names}"
    conclusion = after.get("conclusion")
    label = site_visit.CONCLUSION_LABELS.get(site_visit.Conclusion(conclusion)) if conclusion else None
    return f"核查结论: {label}" if label else ""
