"""The levels of approval and their opinions (domain.review), pure."""

from __future__ import annotations

import datetime as dt

import pytest

from case_service.domain import review
from case_service.domain.errors import ConflictError, ForbiddenError, InvalidInputError
from case_service.domain.review import Conclusion, Finding, Level
from case_service.domain.states import Action, Role

NOW = dt.datetime(2025, 10, 9, 10, 30)
POINTS = ["经营场所", "质量管理制度"]
ALL_MET = (Finding("经营场所", True), Finding("质量管理制度", True))


def _sign(
    chain: tuple[Level, ...],
    signed: list[review.Opinion],
    level: Level,
    signer: str,
    roles: set[Role],
    conclusion: Conclusion = Conclusion.AGREE,
    findings: tuple[Finding, ...] = ALL_MET,
    text: str = "同意",
) -> review.Opinion:
    return review.sign(
        chain,
        signed,
        level=level,
        round_number=1,
        signer=signer,
        signer_name=signer,
        roles=frozenset(roles),
        findings=findings,
        conclusion=conclusion,
        text=text,
        now=NOW,
    )


@pytest.mark.parametrize(
    ("count", "chain"),
    [
        (None, (Level.APPROVE,)),
        (1, (Level.APPROVE,)),
        (2, (Level.UNDERTAKE, Level.APPROVE)),
        (3, (Level.UNDERTAKE, Level.CHECK, Level.APPROVE)),
    ],
)
def test_an_item_has_one_to_three_levels(count: int | None, chain: tuple[Level, ...]) -> None:
    assert review.levels(count) == chain


@pytest.mark.parametrize("count", [0, 4, "2", True])
def test_other_level_counts_are_refused(count: object) -> None:
    with pytest.raises(InvalidInputError):
        review.levels(count)


def test_levels_sign_in_order_each_by_another_person_with_the_levels_role() -> None:
    chain = review.levels(3)
    assert review.pending(chain, []) is Level.UNDERTAKE
    assert not review.ready_to_decide(chain, [])
    with pytest.raises(ConflictError, match="承办"):
        _sign(chain, [], Level.CHECK, "approver2", {Role.APPROVER})
    with pytest.raises(ForbiddenError):
        _sign(chain, [], Level.UNDERTAKE, "approver1", {Role.APPROVER})
    first = _sign(chain, [], Level.UNDERTAKE, "reviewer1", {Role.REVIEWER})
    with pytest.raises(ConflictError, match="同一人"):
        _sign(chain, [first], Level.CHECK, "reviewer1", {Role.REVIEWER})
    second = _sign(chain, [first], Level.CHECK, "reviewer2", {Role.REVIEWER})
    assert review.ready_to_decide(chain, [first, second])
    last = _sign(chain, [first, second], Level.APPROVE, "approver1", {Role.APPROVER})
    assert review.pending(chain, [first, second, last]) is None
    assert review.decision(last) is Action.APPROVE
    with pytest.raises(ConflictError):  # every level signed: nothing left to sign
        _sign(chain, [first, second, last], Level.APPROVE, "approver2", {Role.APPROVER})


def test_a_level_the_item_does_not_have_is_refused() -> None:
    with pytest.raises(ConflictError, match="审核"):
        _sign(review.levels(2), [], Level.CHECK, "reviewer1", {Role.REVIEWER})


def test_every_review_point_is_answered_and_a_point_not_met_says_why() -> None:
    with pytest.raises(InvalidInputError, match="质量管理制度"):
        review.findings_of(POINTS, {"经营场所": (True, "")})
    with pytest.raises(InvalidInputError, match="具体情况"):
        review.findings_of(POINTS, {"经营场所": (True, ""), "质量管理制度": (False, " ")})
    findings = review.findings_of(POINTS, {"质量管理制度": (False, "无质量负责人"), "经营场所": (True, "")})
    assert findings == (Finding("经营场所", True), Finding("质量管理制度", False, "无质量负责人"))


def test_an_opinion_needs_its_text_and_cannot_agree_over_a_point_not_met() -> None:
    chain = review.levels(2)
    with pytest.raises(InvalidInputError, match="承办意见"):
        _sign(chain, [], Level.UNDERTAKE, "reviewer1", {Role.REVIEWER}, text="  ")
    not_met = (Finding("经营场所", True), Finding("质量管理制度", False, "无质量负责人"))
    with pytest.raises(InvalidInputError, match="不能同意"):
        _sign(chain, [], Level.UNDERTAKE, "reviewer1", {Role.REVIEWER}, findings=not_met)
    against = _sign(
        chain, [], Level.UNDERTAKE, "reviewer1", {Role.REVIEWER}, Conclusion.DISAGREE, not_met, "建议不予许可"
    )
    last = _sign(
        chain,
        [against],
        Level.APPROVE,
        "approver1",
        {Role.APPROVER},
        Conclusion.DISAGREE,
        not_met,
        "不予许可",
    )
    assert review.decision(last) is Action.DENY
    assert review.denial_reasons(last.findings, "申请人不具备条件\n") == [
        "质量管理制度：无质量负责人",
        "申请人不具备条件",
    ]


def test_a_send_back_needs_its_reason() -> None:
    with pytest.raises(InvalidInputError):
        review.send_back_reason(" ")
    assert review.send_back_reason(" 营业执照复印件不清晰 ") == "营业执照复印件不清晰"
