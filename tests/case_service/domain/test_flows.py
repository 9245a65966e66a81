"""flow_of: the flow a case goes by, from its item's kind and handling type."""

from __future__ import annotations

import pytest

from case_service.catalogue.service import bundled_items
from case_service.domain.catalogue import normalise_item
from case_service.domain.flows import Flow, flow_of


@pytest.mark.parametrize(
    ("kind", "handling_type", "unified_seal", "flow"),
    [
        ("行政许可", "承诺件", True, Flow.LICENCE),
        ("行政许可", "即办件", True, Flow.REGISTRATION),
        ("备案", "承诺件", False, Flow.REGISTRATION),
        ("审核转报", "承诺件", True, Flow.FORWARDING),
        (
            "审核转报",
            "即办件",
            True,
            Flow.FORWARDING,
        ),  # the result is the higher authority's, never on the spot
        ("公共服务", "承诺件", False, Flow.PUBLIC_SERVICE),
        ("公共服务", "承诺件", True, Flow.PUBLIC_SERVICE_CERTIFICATE),
        ("公共服务", "即办件", False, Flow.REGISTRATION),
        ("其他", "承诺件", True, Flow.LICENCE),
    ],
)
def test_the_flow_follows_the_kind_and_handling_type(
    kind: str, handling_type: str, unified_seal: bool, flow: Flow
) -> None:
    assert flow_of({"kind": kind, "handling_type": handling_type, "unified_seal": unified_seal}) is flow


# The licences of seed 003 the 州 reviews and forwards (初审、转报) and a higher authority grants; reviewed
# one by one against seed 004's 审核转报 and each item's guide (docs/catalogue.md, "审核转报").
FORWARDED = {
    "513200-XK-JY-0029": "四川省人民政府",  # 高等教育法 art. 29: the province approves
    "513200-XK-SF-0126": "四川省司法厅",  # 律师法 art. 18: the city reviews, the province decides
    "513200-XK-SF-0127": "四川省司法厅",  # 律师法 art. 6
    "513200-XK-SF-0128": "四川省司法厅",
    "513200-XK-SF-0133": "四川省司法厅",
    "513200-XK-SF-0135": "四川省司法厅",  # 公证法 art. 21: reported to the province, appointed by 司法部
    "513200-XK-SF-0137": "四川省司法厅",
    "513200-XK-SF-0138": "四川省司法厅",
    "513200-XK-SF-0139": "四川省司法厅",  # 公证法 art. 9
    "513200-XK-WL-0467": "人民政府",  # approved by the government that listed the site
    "513200-XK-SJ-0519": "四川省市场监督管理局",  # 计量法 art. 22: 省级以上 assesses
    "513200-XK-SJ-0527": "四川省市场监督管理局",
    "513200-XK-GD-0602": "四川省广播电视局",
    "513200-XK-GD-0604": "国家广播电视总局",  # the 州's part is the 初审 its name says
}


def test_a_licence_a_higher_authority_grants_is_forwarded() -> None:
    licence = {"kind": "行政许可", "handling_type": "承诺件", "unified_seal": True}
    assert flow_of(licence) is Flow.LICENCE
    assert flow_of({**licence, "higher_authority": "四川省司法厅"}) is Flow.FORWARDING
    assert flow_of({**licence, "higher_authority": "  "}) is Flow.LICENCE
    # Its result is the higher authority's, so never issued on the spot.
    at_once = {**licence, "handling_type": "即办件", "higher_authority": "四川省司法厅"}
    assert flow_of(at_once) is Flow.FORWARDING
    # A 备案 and a public service are the hall's own, whatever authority they mention.
    assert flow_of({"kind": "备案", "higher_authority": "四川省司法厅"}) is Flow.REGISTRATION
    assert flow_of({"kind": "公共服务", "higher_authority": "四川省司法厅"}) is Flow.PUBLIC_SERVICE


def test_the_bundled_catalogue_is_licences_but_for_two_on_the_spot_and_fourteen_forwarded() -> None:
    items = {item["code"]: normalise_item(item) for item in bundled_items()}
    flows = {code: flow_of(item) for code, item in items.items()}
    on_the_spot = sorted(code for code, flow in flows.items() if flow is Flow.REGISTRATION)
    assert on_the_spot == ["513200-XK-SJ-0510", "513200-XK-SW-0438"]
    forwarded = {code for code, flow in flows.items() if flow is Flow.FORWARDING}
    assert forwarded == set(FORWARDED)
    for code, authority in FORWARDED.items():
        # The power type stays the seed's 行政许可 (the code's letters never change) ...
        assert items[code]["kind"] == "行政许可" and "-XK-" in code
        # ... the guide names who decides, and its result is that authority's act or the 州's 初审 opinion.
        assert authority in items[code]["higher_authority"]
        assert any(mark in items[code]["result_name"] for mark in ("由省级", "报")), code
    assert {flow for code, flow in flows.items() if code not in {*on_the_spot, *forwarded}} == {Flow.LICENCE}
