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
