"""Finding an item at the window: by name, keyword, pinyin initials (spjy → 食品经营许可) or code.

Pure: pypinyin is a dictionary in memory. The initials of a name are computed once per name (cached), so
the catalogue's names are spelled out at the first search after start and never again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

# Brackets whose content a clerk leaves out when spelling a name: 食品(含保健食品)经营许可 → spjyxk.
_BRACKETED = re.compile(r"[(（〔\[【][^)）〕\]】]*[)）〕\]】]")


@lru_cache(maxsize=8192)
def initials(name: str) -> tuple[str, ...]:
    """The name's pinyin initials, lower case, without punctuation: once with what stands in brackets and
    once without it (the second only when it differs)."""
    spelled = []
    for text in (name, _BRACKETED.sub("", name)):
        letters = "".join(
            syllable[0].lower()
            for syllable in lazy_pinyin(text, style=Style.FIRST_LETTER, errors="ignore")
            if syllable and syllable[0].isascii() and syllable[0].isalnum()
        )
        if letters and letters not in spelled:
            spelled.append(letters)
    return tuple(spelled)


@dataclass(frozen=True)
class Entry:
    code: str
    name: str
    department: str
    kind: str
    words: tuple[str, ...] = ()  # other text a keyword may hit: category, result, conditions


def _score(entry: Entry, term: str) -> int:
    """How well one term hits the entry: 0 not at all; higher is better."""
    lowered = term.lower()
    if entry.code.lower() == lowered:
        return 100
    if entry.name == term:
        return 90
    if entry.name.startswith(term):
        return 60
    if term in entry.name:
        return 50
    if lowered.isascii() and lowered.isalpha():
        spelled = initials(entry.name)
        if any(letters.startswith(lowered) for letters in spelled):
            return 45
        if any(lowered in letters for letters in spelled):
            return 35
    if lowered in entry.code.lower():
        return 30
    if term in entry.department or term == entry.kind:
        return 20
    if any(term in word for word in entry.words):
        return 10
    return 0


def search(entries: Iterable[Entry], query: str, *, limit: int = 30) -> list[Entry]:
    """Entries every whitespace-separated term of `query` hits, best first (then by code)."""
    terms = query.split()
    if not terms:
        return []
    found: list[tuple[int, str, Entry]] = []
    for entry in entries:
        scores = [_score(entry, term) for term in terms]
        if all(scores):
            found.append((-sum(scores), entry.code, entry))
    found.sort(key=lambda row: (row[0], row[1]))
    return [entry for _score_, _code, entry in found[:limit]]
