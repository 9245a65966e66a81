"""Chinese line breaking: lines fit, nothing is lost, punctuation rules (避头尾) hold."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from case_service.documents.typeset import (
    NO_LINE_END,
    NO_LINE_START,
    TOKEN_RE,
    chinese_date,
    text_width,
    wrap_text,
)

CHINESE = st.sampled_from(list("行政审批服务中心受理申请材料齐全符合法定形式决定予以"))
PUNCTUATION = st.sampled_from(list("，。、；：？！）》”（《“"))
WORDS = st.sampled_from(["XD2026-000123", "2026", "A4", "No.7"])
TEXT = st.lists(st.one_of(CHINESE, CHINESE, CHINESE, PUNCTUATION, WORDS), min_size=1, max_size=120).map(
    "".join
)


@settings(max_examples=150, deadline=None)
@given(text=TEXT, width_chars=st.integers(min_value=6, max_value=30))
def test_wrapping_keeps_every_character_and_the_punctuation_rules(text: str, width_chars: int) -> None:
    size = 15.0
    width = width_chars * size

    lines = wrap_text(text, width, size, first_indent=2 * size)

    assert "".join(lines) == text
    for number, line in enumerate(lines):
        assert line
        if number > 0 and line[0] in NO_LINE_START:
            # Only when the line before is one unbreakable token.
            assert len(TOKEN_RE.findall(lines[number - 1])) == 1, lines
        if number < len(lines) - 1 and line[-1] in NO_LINE_END:
            assert len(TOKEN_RE.findall(line)) == 1, lines
        # Over the width only by the marks carried down with a character, or by one unbreakable word.
        budget = width - (2 * size if number == 0 else 0)
        assert text_width(line, size) <= budget + 3 * size or any(
            text_width(token, size) > budget - 3 * size for token in TOKEN_RE.findall(line)
        ), lines


def test_case_numbers_are_never_split() -> None:
    text = "受理编号：XD2026-000123，请妥善保管。" * 3

    lines = wrap_text(text, 20 * 15.0, 15.0)

    assert all("XD2026-000123" in line or "XD2026" not in line for line in lines)


def test_closing_punctuation_is_pulled_down_with_the_previous_character() -> None:
    size = 10.0
    text = "一二三四五。六七"  # exactly five characters fit; the full stop may not start line two

    lines = wrap_text(text, 5 * size, size)

    assert lines == ["一二三四", "五。六七"]


def test_chinese_date() -> None:
    from datetime import date

    assert chinese_date(date(2026, 1, 5)) == "2026年1月5日"
