from __future__ import annotations

import pytest

from case_service.domain.errors import ForbiddenError, IllegalTransitionError
from case_service.domain.states import (
    ACTION_ROLES,
    FINAL_STATES,
    TRANSITIONS,
    Action,
    CaseState,
    Role,
    allowed_actions,
    next_state,
    require_role,
)

S, A = CaseState, Action


def walk(state: CaseState, *actions: Action) -> CaseState:
    for action in actions:
        state = next_state(state, action)
    return state


def test_the_happy_path_follows_the_chain_of_seed_003() -> None:
    end = walk(
        S.SUBMITTED,
        A.ACCEPT,
        A.START_REVIEW,
        A.APPROVE,
        A.MAKE_CERTIFICATE,
        A.SEAL,
        A.RELEASE,
        A.READY_FOR_PICKUP,
    )
    assert end is S.READY_FOR_PICKUP
    assert next_state(end, A.DELIVER) is S.DELIVERED


def test_supplement_goes_back_to_submitted_and_can_then_be_refused() -> None:
    assert walk(S.SUBMITTED, A.REQUEST_SUPPLEMENT, A.SUPPLEMENT) is S.SUBMITTED
    assert walk(S.SUBMITTED, A.REQUEST_SUPPLEMENT, A.NOT_ACCEPT) is S.NOT_ACCEPTED


def test_suspension_resumes_to_the_state_it_interrupted() -> None:
    assert next_state(S.IN_REVIEW, A.SUSPEND) is S.SUSPENDED
    assert next_state(S.SUSPENDED, A.RESUME, resume_to=S.IN_REVIEW) is S.IN_REVIEW
    assert A.RESUME in allowed_actions(S.SUSPENDED, resume_to=S.ACCEPTED)
    with pytest.raises(IllegalTransitionError):
        next_state(S.SUSPENDED, A.RESUME)


def test_an_illegal_transition_says_what_is_allowed() -> None:
    with pytest.raises(IllegalTransitionError) as caught:
        next_state(S.SUBMITTED, A.APPROVE)
    message = caught.value.message
    assert "cannot approve a case that is submitted" in message
    assert "accept" in message and "request_supplement" in message
    assert caught.value.details["allowed"] == ["accept", "not_accept", "request_supplement", "withdraw"]


def test_final_states_allow_nothing() -> None:
    for state in FINAL_STATES:
        assert allowed_actions(state) == []
        with pytest.raises(IllegalTransitionError, match="closed"):
            next_state(state, A.WITHDRAW)


def test_every_transition_names_roles_and_the_system_action_is_not_offered() -> None:
    assert {action for _, action in TRANSITIONS} <= set(ACTION_ROLES)
    assert all(A.AUTO_ACCEPT not in allowed_actions(state) for state in S)


def test_a_clerk_cannot_approve_and_an_admin_does_not_stand_in_for_the_approver() -> None:
    with pytest.raises(ForbiddenError, match="approver"):
        require_role(A.APPROVE, {Role.CLERK})
    with pytest.raises(ForbiddenError):
        require_role(A.APPROVE, {Role.ADMIN})
    require_role(A.APPROVE, {Role.APPROVER})
    require_role(A.DELIVER, {Role.CONTROLLER})
    with pytest.raises(ForbiddenError):
        require_role(A.EXTEND, {Role.REVIEWER})
