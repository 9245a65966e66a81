from __future__ import annotations

from case_service.domain.completeness import Defect, MaterialRequirement, check

LIST = [
    MaterialRequirement("申请书", required=True),
    MaterialRequirement("营业执照", required=True, form="copy"),
    MaterialRequirement("授权委托书", required=False, condition="委托他人办理的"),
]


def test_missing_required_materials_are_listed_once() -> None:
    report = check(LIST, {"申请书": 1})
    assert report.missing == ("营业执照",)
    assert not report.complete
    assert report.notice_lines() == ["营业执照:未提交"]


def test_conditional_materials_count_only_when_their_condition_applies() -> None:
    assert check(LIST, {"申请书": 1, "营业执照": 1}).complete
    report = check(LIST, {"申请书": 1, "营业执照": 1}, conditions_met=["授权委托书"])
    assert report.missing == ("授权委托书",)


def test_defects_join_the_same_notice_and_unknown_names_are_reported() -> None:
    report = check(
        LIST, {"申请书": 1, "营业执照": 1, "照片": 1}, defects=[Defect("营业执照", "复印件不清晰")]
    )
    assert not report.complete
    assert report.notice_lines() == ["营业执照:复印件不清晰"]
    assert report.unknown == ("照片",)


GUIDE = [
    MaterialRequirement("申请书", required=True),
    MaterialRequirement("场所证明", required=True, tolerated=True),  # 容缺
    # marked required in the guide, yet conditional: only when the clerk marks the condition as applying
    MaterialRequirement("授权委托书", required=True, condition="委托他人办理的"),
]


def test_a_tolerated_material_is_owed_and_does_not_block_acceptance() -> None:
    report = check(GUIDE, {"申请书": 1})
    assert (report.missing, report.owed) == ((), ("场所证明",))
    assert report.acceptable and report.refusal() == ""


def test_a_conditional_material_is_required_only_when_its_condition_applies() -> None:
    assert check(GUIDE, {"申请书": 1}).acceptable
    report = check(GUIDE, {"申请书": 1}, conditions_met=["授权委托书"])
    assert report.missing == ("授权委托书",) and not report.acceptable
    assert report.refusal() == "申请材料不齐全,不能受理,请先补齐:授权委托书:未提交"


def test_an_application_with_no_material_is_never_acceptable() -> None:
    every_one_tolerated = [MaterialRequirement("场所证明", required=True, tolerated=True)]
    report = check(every_one_tolerated, {})
    assert report.complete and not report.acceptable  # nothing missing that is not tolerated, yet empty
    assert "未提交任何申请材料" in report.refusal()
    nothing = check(GUIDE, {})
    assert not nothing.acceptable and nothing.missing == ("申请书",)
    assert check([], {}).acceptable  # an item that asks for nothing
