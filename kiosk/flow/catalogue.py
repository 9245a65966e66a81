"""Search words drawn from the catalogue the kiosk is showing, so every quick word finds something.

Pure: the items in, the words out. The real catalogue has no keywords and (today) no English names, so
its departments are the words: each one finds its items, the busiest department first. Letters typed
(pinyin, or its initials: spjy) find names here, in the whole catalogue the kiosk holds: the case
service's search matches names by characters only (its life events' everyday words it matches by
characters or pinyin: kd → 开店, which the keyboard offers from `spoken_names`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from kiosk.flow.model import FACETS, ItemSummary, Language, facet_values
from kiosk.flow.pinyin import is_pinyin_query, pinyin_score, rank


def quick_words(items: Sequence[ItemSummary], language: Language, count: int = 6) -> tuple[str, ...]:
    """The departments of `items` in `language` (where the catalogue has it), most items first."""
    zh = language is Language.ZH
    departments = Counter(
        (item.department_zh if zh else item.department_en) or item.department_zh for item in items
    )
    return tuple(word for word, _items in departments.most_common(count) if word)


def example_name(items: Sequence[ItemSummary], language: Language) -> str:
    """A short item name of the catalogue, for the search field's hint ("" for an empty catalogue)."""
    zh = language is Language.ZH
    names = [(item.name_zh if zh else item.name_en) or item.name_zh for item in items]
    return min(names, key=lambda name: (len(name), name), default="")


def spoken_names(items: Sequence[ItemSummary]) -> tuple[str, ...]:
    """What the pinyin keyboard's candidates are drawn from: the items' names and their life events'
    everyday words (开店 for each item of 开办企业: a word many items share comes first among its
    equals)."""
    return (*(item.name_zh for item in items), *(word for item in items for word in item.words))


def values_of(items: Sequence[ItemSummary], facet: str) -> tuple[str, ...]:
    """The values a facet takes in the catalogue, most items first ("" left out)."""
    if facet not in FACETS:
        return ()
    counted = Counter(value for item in items for value in facet_values(item, facet))
    return tuple(value for value, _n in counted.most_common() if value)


def matching(
    whole: Sequence[ItemSummary],
    found: Sequence[ItemSummary],
    query: str,
    facet: str = "",
    value: str = "",
) -> tuple[ItemSummary, ...]:
    """What a search or a browse shows: the catalogue's items of a facet's value; for letters typed, the
    names their pinyin or initials find (best first), then what the service found for them (a code); else
    what the service found."""
    if facet:
        return tuple(item for item in whole if value in facet_values(item, facet))
    if is_pinyin_query(query):
        spelled = rank(whole, [pinyin_score(item.name_zh, query) for item in whole])
        seen = {item.item_id for item in spelled}
        return (*spelled, *(item for item in found if item.item_id not in seen))
    return tuple(found)


def containing(items: Sequence[ItemSummary], query: str) -> tuple[ItemSummary, ...]:
    """The items whose name or department holds the words, or one of whose everyday words stands whole in
    them (我想开店 → 开店, as the service's search: the cached catalogue, while offline)."""
    words = query.lower()
    return tuple(
        item
        for item in items
        if not words
        or words in f"{item.name_zh} {item.name_en.lower()} {item.department_zh}"
        or any(word in words for word in item.words)
    )
