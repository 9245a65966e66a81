"""Chinese typed without a keyboard: pinyin letters to the catalogue's own words, and names found by their
pinyin or its initials (spjy → 食品经营许可).

Pure: pypinyin is a dictionary in memory. The candidates come from the item names the kiosk shows, so
typing "shipin" offers 食品 and every candidate finds something in the catalogue.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from pypinyin import Style, lazy_pinyin

# Han characters, the extension planes included (𠮷 is U+20BB7).
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")
_BRACKETED = re.compile(r"[(（〔\[【][^)）〕\]】]*[)）〕\]】]")
LONGEST_WORD = 6  # characters: a candidate is at most this long
T = TypeVar("T")


def letters_only(typed: str) -> str:
    """What a pinyin query is made of: its latin letters, lower case (spaces and apostrophes dropped)."""
    return "".join(ch for ch in typed.lower() if "a" <= ch <= "z")


def is_pinyin_query(typed: str) -> bool:
    """Latin letters (with spaces or apostrophes) and nothing else: pinyin or its initials."""
    stripped = typed.strip()
    return bool(letters_only(stripped)) and all(
        ch.isascii() and (ch.isalpha() or ch in " '") for ch in stripped
    )


@lru_cache(maxsize=8192)
def syllables(run: str) -> tuple[str, ...]:
    """The toneless pinyin of each character of a run of Han characters ("" where pypinyin has none)."""
    spelled = lazy_pinyin(run, errors="default")  # an unknown character stays itself
    if len(spelled) != len(run):  # unknown characters in a row came back as one: one by one
        spelled = [(lazy_pinyin(ch, errors="default") or [""])[0] for ch in run]
    return tuple(s if s.isascii() and s.isalpha() else "" for s in spelled)


@lru_cache(maxsize=8192)
def spelled(name: str) -> tuple[str, tuple[str, ...]]:
    """The name's whole pinyin and its initials (with and without what stands in brackets)."""
    whole = "".join("".join(syllables(run)) for run in _HAN.findall(name))
    initials: list[str] = []
    for text in (name, _BRACKETED.sub("", name)):
        letters = "".join(s[0] for run in _HAN.findall(text) for s in syllables(run) if s)
        if letters and letters not in initials:
            initials.append(letters)
    return whole, tuple(initials)


def with_tones(text: str) -> str:
    """The text in pinyin with tone marks, for a reader who cannot read the characters."""
    words = lazy_pinyin(text, style=Style.TONE, errors="default")
    out = ""
    for word in words:
        if out and word[:1].isalpha() and out[-1:].isalpha():
            out += " "
        out += word
    return out


@dataclass(frozen=True)
class Word:
    text: str
    spelled: str  # toneless pinyin, joined
    initials: str
    count: int  # how often it stands in the names


@lru_cache(maxsize=2)
def words_of(names: tuple[str, ...]) -> tuple[Word, ...]:
    """Every run of 1 to LONGEST_WORD characters inside the names, with its pinyin (kept for the same
    catalogue: each person's guide is built afresh, the catalogue is spelled once)."""
    counts: Counter[str] = Counter()
    keys: dict[str, tuple[str, str]] = {}
    for name in names:
        for run in _HAN.findall(name):
            spelled_run = syllables(run)
            for start in range(len(run)):
                for end in range(start + 1, min(len(run), start + LONGEST_WORD) + 1):
                    parts = spelled_run[start:end]
                    if not all(parts):
                        break  # a character without pinyin ends the words that would hold it
                    text = run[start:end]
                    counts[text] += 1
                    keys[text] = ("".join(parts), "".join(part[0] for part in parts))
    return tuple(Word(text, *keys[text], count) for text, count in counts.items())


def candidates(words: Sequence[Word], typed: str, limit: int = 10) -> tuple[str, ...]:
    """The catalogue's words for the letters typed, best first: the whole pinyin spelled (longest word
    first: shipin → 食品 before 食), the initials of a word of two or more (sp → 食品), then words whose
    pinyin begins with the letters (ship → 食品)."""
    letters = letters_only(typed)
    if not letters:
        return ()
    exact = [w for w in words if w.spelled == letters]
    exact.sort(key=lambda w: (-len(w.text), -w.count, w.text))
    initial = [w for w in words if len(w.text) > 1 and w.initials == letters]
    initial.sort(key=lambda w: (-w.count, len(w.text), w.text))
    begun = [w for w in words if w.spelled.startswith(letters) and w.spelled != letters]
    begun.sort(key=lambda w: (len(w.text), -w.count, w.text))
    found: list[str] = []
    for word in (*exact, *initial, *begun):
        if word.text not in found:
            found.append(word.text)
        if len(found) == limit:
            break
    return tuple(found)


def pinyin_score(name: str, typed: str) -> int:
    """How well letters typed find a name: 0 not at all; initials from the start best, then the whole
    pinyin inside the name, then initials anywhere."""
    letters = letters_only(typed)
    if not letters:
        return 0
    whole, initials = spelled(name)
    if any(i.startswith(letters) for i in initials):
        return 3
    if len(letters) > 1 and letters in whole:
        return 2
    if len(letters) > 1 and any(letters in i for i in initials):
        return 1
    return 0


def rank(entries: Sequence[T], scores: Sequence[int]) -> list[T]:
    """The entries with a score above 0, best first, in their order otherwise."""
    order = sorted(range(len(entries)), key=lambda i: -scores[i])
    return [entries[i] for i in order if scores[i] > 0]
