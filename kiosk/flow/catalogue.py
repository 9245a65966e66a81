"""Search words drawn from the catalogue the kiosk is showing, so every quick word finds something.

Pure: the items in, the words out. The real catalogue has no keywords and (today) no English names, so
its departments are the words: each one finds its items, the busiest department first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from kiosk.flow.model import ItemSummary, Language


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
