"""The guide's quick words come from the catalogue shown: its departments, the busiest first."""

from __future__ import annotations

from kiosk.flow.catalogue import example_name, quick_words
from kiosk.flow.model import ItemSummary, Language

ITEMS = (
    ItemSummary("a", "教师资格认定", "Teacher qualification", "州教育局", "Education Bureau"),
    ItemSummary("b", "律师执业许可", "", "州司法局", ""),
    ItemSummary("c", "公证员执业、变更许可", "", "州司法局", ""),
)


def test_the_departments_are_the_words_most_items_first() -> None:
    assert quick_words(ITEMS, Language.ZH) == ("州司法局", "州教育局")
    assert quick_words(ITEMS, Language.ZH, count=1) == ("州司法局",)


def test_english_where_the_catalogue_has_it_else_its_chinese() -> None:
    assert quick_words(ITEMS, Language.EN) == ("州司法局", "Education Bureau")
    assert example_name(ITEMS, Language.EN) == "律师执业许可"


def test_the_example_is_a_short_name_and_nothing_for_an_empty_catalogue() -> None:
    assert example_name(ITEMS, Language.ZH) == "律师执业许可"
    assert example_name((), Language.ZH) == ""
    assert quick_words((), Language.ZH) == ()
