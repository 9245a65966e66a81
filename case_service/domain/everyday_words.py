"""Everyday words for the catalogue's life events: what people say they want to do (开店, 招工, 关店), not
the items' names (企业设立、变更、注销登记). An item is found by the words of each of its life events.

Pure: the words are the catalogue's own data, checked when this module is imported (a bad edit stops the
case service at start-up); pypinyin is a dictionary in memory.

A query names a life event when one of its words
- stands whole in the query (开店, 我想开店 → 开店; a part of a word names nothing: 食品 is an item
  name's word, not 卖食品's, and finds the items named so);
- or, for latin letters (two or more), is the word's pinyin initials (kd → 开店) or whole pinyin
  (kaidian → 开店), as the kiosk's pinyin keyboard sends them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

from pypinyin import lazy_pinyin

from case_service.domain.catalogue import FIELD_LABELS, LIFE_EVENTS
from case_service.domain.errors import InvalidInputError
from case_service.domain.item_search import initials

MAX_WORDS = 6  # per life event
_WORD = re.compile(r"^[\u4e00-\u9fff]{2,6}$")  # two to six common Han characters

# Picked from the items each event holds (catalogue/data/life_events.json): a word must lead to items a
# person saying it needs. No word for 建房's 盖房子 among the business events: 工程建设's items are
# heritage, pumping-station and broadcasting works, not houses.
LIFE_EVENT_WORDS: Mapping[str, tuple[str, ...]] = {
    "出生": ("生孩子", "上户口"),
    "上学": ("入学", "报名上学"),
    "就业": ("找工作", "当老师", "当律师", "考资格"),
    "结婚": ("领结婚证",),
    "建房": ("盖房子", "自建房"),
    "退休": ("领养老金",),
    "身后": ("办丧事",),
    "开办企业": ("开店", "开公司", "办执照", "核名", "办学校"),
    "经营许可": ("开饭馆", "开药店", "卖食品", "办许可证"),
    "资质认证": ("办资质", "认证"),
    "招工用工": ("招工", "招人", "请外国人"),
    "工程建设": ("搞工程", "修文物", "施工"),
    "农林牧渔": ("养殖", "养猪", "养鱼", "卖种子"),
    "注销歇业": ("关店", "关公司", "注销执照"),
}


def validate_life_event_words(words: Mapping[str, Iterable[str]]) -> None:
    """Every life event and nothing else, each with one to MAX_WORDS words of two to six Han characters;
    a word names one event only (InvalidInputError, in Chinese, as the catalogue's other checks)."""
    label = FIELD_LABELS["life_events"]
    unknown = set(words) - set(LIFE_EVENTS)
    missing = set(LIFE_EVENTS) - set(words)
    if unknown or missing:
        raise InvalidInputError(
            f"{label}的常用词应覆盖且只覆盖{'、'.join(LIFE_EVENTS)}",
            details={"field": "life_events", "unknown": sorted(unknown), "missing": sorted(missing)},
        )
    owner: dict[str, str] = {}
    for event, given in words.items():
        listed = tuple(given)
        if not 1 <= len(listed) <= MAX_WORDS:
            raise InvalidInputError(
                f"{label}“{event}”应有1至{MAX_WORDS}个常用词",
                details={"field": "life_events", "event": event},
            )
        for word in listed:
            if not _WORD.match(word):
                raise InvalidInputError(
                    f"{label}“{event}”的常用词“{word}”应为2至6个汉字",
                    details={"field": "life_events", "event": event, "word": word},
                )
            if word in owner:
                raise InvalidInputError(
                    f"常用词“{word}”重复:已属于{label}“{owner[word]}”",
                    details={"field": "life_events", "event": event, "word": word},
                )
            owner[word] = event


validate_life_event_words(LIFE_EVENT_WORDS)


def words_of(events: Iterable[str]) -> list[str]:
    """The everyday words of the life events given, in their order (an unknown event has none)."""
    return [word for event in events for word in LIFE_EVENT_WORDS.get(event, ())]


@lru_cache(maxsize=256)
def _spelled(word: str) -> tuple[str, tuple[str, ...]]:
    return "".join(lazy_pinyin(word)), initials(word)


def _names(word: str, query: str) -> bool:
    if query.isascii():
        letters = query.lower().replace(" ", "").replace("'", "")
        whole, spelled = _spelled(word)
        return len(letters) > 1 and letters.isalpha() and (letters == whole or letters in spelled)
    return word in query


def events_named(query: str) -> tuple[str, ...]:
    """The life events one of whose everyday words the query names (see the module's docstring)."""
    query = query.strip()
    if not query:
        return ()
    return tuple(
        event for event, words in LIFE_EVENT_WORDS.items() if any(_names(word, query) for word in words)
    )
