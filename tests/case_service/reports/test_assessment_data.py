"""The 效能考核 figures per department on SQLite and PostgreSQL, against SQL of the test's own."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from case_service.reports.assessment import DepartmentFigures
from case_service.reports.assessment_data import department_figures
from case_service.reports.periods import PeriodKind, period_of
from tests.case_service.conftest import CaseApi
from tests.case_service.reports.cases import generate, generate_ratings
from tests.case_service.reports.test_assessment_page import START, add_cards_and_complaints, expected

pytestmark = pytest.mark.integration


def values(figures: DepartmentFigures) -> dict[str, float | None]:
    return {indicator.value: value for indicator, value in figures.values().items()}


def test_department_figures_match_sql(case_api: CaseApi) -> None:
    engine = case_api.client.app.state.engine  # type: ignore[attr-defined]
    generate(engine, count=300)
    generate_ratings(engine)
    add_cards_and_complaints(engine)
    wanted = expected(engine)
    with Session(engine) as session:
        found = department_figures(session, period_of(PeriodKind.MONTH, START), None)
        scoped = department_figures(session, period_of(PeriodKind.MONTH, START), "州市场监管局")
    assert {figures.department for figures in found} == set(wanted)
    for figures in found:
        assert values(figures) == pytest.approx(wanted[figures.department]), figures.department
    assert [figures.department for figures in scoped] == ["州市场监管局"]
    assert values(scoped[0]) == pytest.approx(wanted["州市场监管局"])
