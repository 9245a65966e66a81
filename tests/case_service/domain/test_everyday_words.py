"""Everyday words for the life events (开店 → 开办企业): the rules that name an event, and their checks."""

from __future__ import annotations

import pytest

from case_service.catalogue.service import bundled_items
from case_service.domain.catalogue import LIFE_EVENTS
from case_service.domain.errors import InvalidInputError
from case_service.domain.everyday_words import (
    LIFE_EVENT_WORDS,
    events_named,
    validate_life_event_words,
    words_of,
)


@pytest.mark.parametrize(
    ("query", "events"),
    [
        ("开店", ("开办企业",)),
        (" 我想开店 ", ("开办企业",)),  # the word whole inside what a person types
        ("kd", ("开办企业",)),  # initials, as the kiosk's keyboard sends them
        ("KD", ("开办企业",)),
        ("kaidian", ("开办企业",)),
        ("kai dian", ("开办企业",)),
        ("招工", ("招工用工",)),
        ("关店", ("注销歇业",)),
        ("开饭馆", ("经营许可",)),
        ("开店招工", ("开办企业", "招工用工")),
        ("开", ()),  # part of a word names nothing
        ("食品", ()),  # 卖食品 is not named by its part: 食品 finds the items named so
        ("k", ()),  # one letter is too little
        ("SJ", ()),  # a department's code letters
        ("0511", ()),
        ("", ()),
    ],
)
def test_a_query_names_the_events_whose_word_it_holds(query: str, events: tuple[str, ...]) -> None:
    assert events_named(query) == events


def test_the_words_of_an_items_events_in_order() -> None:
    assert words_of(["开办企业"])[:3] == ["开店", "开公司", "办执照"]
    assert words_of(["招工用工", "就业"]) == [*LIFE_EVENT_WORDS["招工用工"], *LIFE_EVENT_WORDS["就业"]]
    assert words_of(["开店"]) == [] and words_of([]) == []


def test_every_business_event_of_the_bundled_catalogue_has_items_for_its_words() -> None:
    """A word must lead somewhere: each event with words that the bundled items use holds items."""
    used = {event for item in bundled_items() for event in item["life_events"]}
    assert {"开办企业", "经营许可", "招工用工", "注销歇业"} <= used
    assert all(LIFE_EVENT_WORDS[event] for event in LIFE_EVENTS)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"开店": ("开店",)}, "应覆盖且只覆盖"),
        ({"开办企业": ()}, "应有1至6个常用词"),
        ({"开办企业": ("开店", "a", "b", "c", "d", "e", "f")}, "应有1至6个常用词"),
        ({"开办企业": ("kd",)}, "应为2至6个汉字"),
        ({"开办企业": ("店",)}, "应为2至6个汉字"),
        ({"开办企业": ("开一家很大的店",)}, "应为2至6个汉字"),
        ({"注销歇业": ("开店",)}, "重复:已属于生活事件“开办企业”"),
    ],
)
def test_bad_words_are_refused_in_chinese(change: dict[str, tuple[str, ...]], message: str) -> None:
    words = {**LIFE_EVENT_WORDS, **change}
    with pytest.raises(InvalidInputError, match=message):
        validate_life_event_words(words)


def test_an_event_left_out_is_refused() -> None:
    words = {event: listed for event, listed in LIFE_EVENT_WORDS.items() if event != "身后"}
    with pytest.raises(InvalidInputError, match="应覆盖且只覆盖") as refused:
        validate_life_event_words(words)
    assert refused.value.details["missing"] == ["身后"]
