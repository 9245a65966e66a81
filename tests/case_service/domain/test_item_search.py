"""Finding an item at the window by name, keyword, pinyin initials or code."""

from __future__ import annotations

from case_service.catalogue.service import bundled_items
from case_service.domain.item_search import Entry, initials, search

ENTRIES = [
    Entry(item["code"], item["name"], item["department"], item["kind"], (item["category"],))
    for item in bundled_items()
]


def names(query: str) -> list[str]:
    return [entry.name for entry in search(ENTRIES, query)]


def test_initials_with_and_without_what_stands_in_brackets() -> None:
    assert initials("食品(含保健食品)经营许可") == ("sphbjspjyxk", "spjyxk")
    assert initials("企业设立、变更、注销登记") == ("qyslbgzxdj",)


def test_pinyin_initials_find_the_item() -> None:
    assert names("spjy")[0] == "食品(含保健食品)经营许可"
    assert names("SPJY")[0] == "食品(含保健食品)经营许可"
    assert names("qysl") == ["企业设立、变更、注销登记"]


def test_name_keyword_and_code() -> None:
    assert set(names("食品")) == {"食品(含保健食品)生产许可", "食品(含保健食品)经营许可"}
    assert names("企业 登记") == ["企业设立、变更、注销登记"]
    assert names("513200-XK-SJ-0529") == ["食品(含保健食品)经营许可"]
    assert names("0511") == ["企业设立、变更、注销登记"]


def test_department_finds_its_items_and_nothing_finds_nothing() -> None:
    found = search(ENTRIES, "州市场监管局")
    assert found and all(entry.department == "州市场监管局" for entry in found)
    assert names("zzzzqq") == []
    assert names("   ") == []
