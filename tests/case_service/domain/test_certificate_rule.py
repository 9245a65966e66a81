"""A case whose item issues a certificate is made, sealed, released and delivered only with one (pure)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from case_service.domain import transitions
from case_service.domain.errors import ConflictError
from case_service.domain.flows import Flow
from case_service.domain.states import Action, CaseState
from case_service.domain.transitions import ActionInput
from tests.case_service.domain.test_transitions import CAL, NOW, TERMS, TODAY, act, case_in

ISSUING = replace(TERMS, issues_certificate=True)
DELIVERY = ActionInput(receipt={"recipient": "张三", "method": "window"})


@pytest.mark.parametrize(
    ("state", "action", "data"),
    [
        (CaseState.APPROVED, Action.MAKE_CERTIFICATE, None),
        (CaseState.CERTIFICATE_MADE, Action.SEAL, None),
        (CaseState.SEALED, Action.RELEASE, ActionInput(channel="window")),
        (CaseState.READY_FOR_RELEASE, Action.DELIVER, DELIVERY),
        (CaseState.READY_FOR_RELEASE, Action.READY_FOR_PICKUP, ActionInput(receipt={"locker": "A-01"})),
    ],
)
def test_no_step_past_the_decision_without_the_certificate(
    state: CaseState, action: Action, data: ActionInput | None
) -> None:
    with pytest.raises(ConflictError, match="尚无有效证照") as refused:
        act(case_in(state), action, data, terms=ISSUING)
    assert refused.value.details == {"action": action.value, "certificate": None}


def test_with_the_certificate_the_case_moves_on() -> None:
    made = transitions.step(
        case_in(CaseState.APPROVED),
        Action.MAKE_CERTIFICATE,
        ActionInput(),
        terms=ISSUING,
        calendar=CAL,
        today=TODAY,
        now=NOW,
        certificate="513200-XK-SJ-0535-2025-00000001",
    )
    assert made.state is CaseState.CERTIFICATE_MADE


def test_a_public_service_without_a_result_needs_none() -> None:
    handled = case_in(CaseState.HANDLED, Flow.PUBLIC_SERVICE)
    released = act(handled, Action.RELEASE, ActionInput(channel="window"), terms=ISSUING)
    assert released.state is CaseState.READY_FOR_RELEASE
