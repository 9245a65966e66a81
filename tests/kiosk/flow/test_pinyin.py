"""Pinyin on the kiosk: candidates from the catalogue's names, names found by pinyin or initials."""

from __future__ import annotations

from kiosk.flow.catalogue import containing, matching, spoken_names, values_of
from kiosk.flow.model import ItemSummary
from kiosk.flow.pinyin import candidates, is_pinyin_query, pinyin_score, syllables, with_tones, words_of

NAMES = ("食品(含保健食品)经营许可", "广播电视视频点播业务许可证(乙种)审批", "律师执业许可", "𠮷祥物登记")


def test_shipin_offers_the_catalogues_words_longest_spelled_first() -> None:
    words = words_of(tuple(NAMES))
    assert candidates(words, "shipin")[:2] == ("食品", "视频")
    assert candidates(words, "sp")[0] in {"食品", "视频"}
    assert "食品" in candidates(words, "ship")
    assert candidates(words, "xuke")[0] == "许可"
    assert candidates(words, "") == () and candidates(words, "qqqq") == ()


def test_a_character_without_pinyin_is_never_a_candidate_but_its_neighbours_are() -> None:
    assert syllables("𠮷祥") == ("", "xiang")
    words = words_of(tuple(NAMES))
    assert all("𠮷" not in word.text for word in words)
    assert "祥物" in candidates(words, "xiangwu")


def test_names_found_by_initials_and_by_whole_pinyin() -> None:
    assert pinyin_score(NAMES[0], "spjy") == 3  # 食品经营许可, brackets left out
    assert pinyin_score(NAMES[0], "sphbj") == 3  # with them
    assert pinyin_score(NAMES[0], "jingying") == 2
    assert pinyin_score(NAMES[0], "jyxk") == 1
    assert pinyin_score(NAMES[2], "spjy") == 0
    assert is_pinyin_query("sp jy") and not is_pinyin_query("食品") and not is_pinyin_query("0511")


def test_pinyin_with_tones_for_a_reader_of_english() -> None:
    assert with_tones("律师执业许可") == "lǜ shī zhí yè xǔ kě"


ITEMS = (
    ItemSummary("a", "食品(含保健食品)经营许可", "", "州市场监管局", "", "经营类", "法人或其他组织"),
    ItemSummary("b", "教师资格认定", "", "州教育局", "", "公民类", "自然人"),
    ItemSummary("c", "律师执业许可", "", "州司法局", "", "公民类", "自然人"),
)


def test_browsing_lists_the_items_of_a_value_and_letters_rank_by_pinyin() -> None:
    assert values_of(ITEMS, "category") == ("公民类", "经营类")
    assert values_of(ITEMS, "name_zh") == ()
    assert [i.item_id for i in matching(ITEMS, (), "", "category", "公民类")] == ["b", "c"]
    assert [i.item_id for i in matching(ITEMS, (), "", "applicant_type", "法人或其他组织")] == ["a"]
    assert [i.item_id for i in matching(ITEMS, (), "", "item_id", "a")] == []  # not a facet
    assert [i.item_id for i in matching(ITEMS, (ITEMS[2],), "lszy")] == ["c"]
    assert [i.item_id for i in matching(ITEMS, (ITEMS[1],), "食品")] == ["b"]  # the service's answer


def test_the_life_events_everyday_words_are_candidates_by_initials_and_pinyin() -> None:
    """开店 stands in no name: the items' everyday words (the service's, per life event) are spoken too."""
    shop = ItemSummary("d", "企业设立、变更、注销登记", "", "州市场监管局", "", words=("开店", "开公司"))
    names = spoken_names((*ITEMS, shop))
    assert names[-2:] == ("开店", "开公司")
    words = words_of(names)
    assert candidates(words, "kd")[0] == "开店"
    assert candidates(words, "kaidian")[0] == "开店"
    assert "开公司" in candidates(words, "kgs")
    assert "开店" not in candidates(words_of(spoken_names(ITEMS)), "kd")


def test_offline_the_cached_items_are_found_by_their_everyday_words_too() -> None:
    shop = ItemSummary("d", "企业设立、变更、注销登记", "", "州市场监管局", "", words=("开店", "开公司"))
    items = (*ITEMS, shop)
    assert [i.item_id for i in containing(items, "开店")] == ["d"]
    assert [i.item_id for i in containing(items, "我想开店")] == ["d"]
    assert containing(items, "开") == ()  # a part of a word names nothing, as at the service
    assert [i.item_id for i in containing(items, "食品")] == ["a"]
