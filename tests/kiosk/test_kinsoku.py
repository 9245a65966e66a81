"""Chinese line breaking: a closing mark never begins a line."""

from __future__ import annotations

from kiosk.screens.kinsoku import kinsoku


def test_a_full_stop_alone_on_a_line_takes_the_character_before_it_along() -> None:
    assert kinsoku(["张*丰，您好！请选择要办理的事项", "。"]) == ["张*丰，您好！请选择要办理的事", "项。"]
    assert kinsoku(["补正材料已交回窗口审查", "，正在打印回执。"]) == [
        "补正材料已交回窗口审",
        "查，正在打印回执。",
    ]


def test_good_breaks_are_left_alone() -> None:
    assert kinsoku(["申请已受理，", "正在打印受理通知书。"]) is None
    assert kinsoku(["一行"]) is None
    assert kinsoku(["。", "。"]) is None  # nothing to take along
