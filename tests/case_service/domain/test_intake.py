"""The intake checklist's rules: what may be tolerated, what needs a scan, an agent's letter."""

from __future__ import annotations

from case_service.domain.intake import Mark, authorisation_material, default_status, reconcile, review

LIST = [
    {"name": "申请书", "required": True, "form": "original", "copies": 1, "tolerated": False},
    {"name": "营业执照", "required": True, "form": "copy", "copies": 1, "tolerated": True},
    {"name": "授权委托书及受托人身份证明", "required": False, "condition": "委托他人代为办理的"},
]


def marks(**statuses: str) -> list[Mark]:
    return [
        Mark(name, statuses.get(key, "missing"), "original", 1, statuses.get(key) == "received")
        for key, name in (
            ("form", "申请书"),
            ("licence", "营业执照"),
            ("letter", "授权委托书及受托人身份证明"),
        )
    ]


def test_a_complete_checklist_with_a_tolerated_material_holds() -> None:
    assert review(LIST, marks(form="received", licence="tolerated"), agent=False) == []


def test_only_listed_materials_may_be_tolerated() -> None:
    problems = review(LIST, marks(form="tolerated", licence="received"), agent=False)
    assert problems == ["「申请书」不在本事项的容缺受理清单内，不能容缺"]


def test_received_needs_a_scan_and_reuse_needs_the_library() -> None:
    unscanned = [Mark("申请书", "received", "original", 1, has_file=False), *marks()[1:]]
    assert review(LIST, unscanned, agent=False) == ["「申请书」标为已收，请上传扫描件（PDF、JPG 或 PNG）"]
    reused = [Mark("申请书", "reused", "original", 1), *marks()[1:]]
    assert review(LIST, reused, agent=False) == ["申请人的材料库中没有「申请书」，不能复用"]
    assert review(LIST, reused, agent=False, in_library=frozenset({"申请书"})) == []


def test_counts_and_forms_are_checked_for_what_was_handed_in() -> None:
    wrong = [Mark("申请书", "received", "photo", 0, True), *marks()[1:]]
    assert review(LIST, wrong, agent=False) == [
        "请为「申请书」选择原件或复印件",
        "「申请书」的份数应在1到20之间",
    ]


def test_an_agent_must_hand_in_the_authorisation_letter() -> None:
    assert authorisation_material(LIST) == "授权委托书及受托人身份证明"
    assert review(LIST, marks(form="received"), agent=True) == [
        "代办人办理须收取「授权委托书及受托人身份证明」"
    ]
    assert review(LIST, marks(form="received", letter="received"), agent=True) == []
    without = LIST[:2]
    assert review(without, marks(form="received")[:2], agent=True) == [
        "代办人办理须收取授权委托书原件，请勾选已收"
    ]
    assert review(without, marks(form="received")[:2], agent=True, letter_in_hand=True) == []


def test_an_unmarked_material_is_asked_for() -> None:
    assert review(LIST, marks()[:2], agent=False) == ["请为「授权委托书及受托人身份证明」选择收件情况"]


def test_defaults_and_what_the_filing_linked_from_the_library() -> None:
    assert default_status(LIST[0], False) == "received" and default_status(LIST[2], False) == "missing"
    assert default_status(LIST[2], True) == "reused"
    after = reconcile(marks(form="received", licence="tolerated"), ["营业执照", "申请书"])
    assert [mark.status for mark in after] == ["received", "reused", "missing"]
