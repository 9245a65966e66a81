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


def test_the_bundled_catalogue_is_licences_but_for_its_two_on_the_spot_items() -> None:
    flows = {item["code"]: flow_of(normalise_item(item)) for item in bundled_items()}
    on_the_spot = sorted(code for code, flow in flows.items() if flow is Flow.REGISTRATION)
    assert on_the_spot == ["513200-XK-SJ-0510", "513200-XK-SW-0438"]
    assert {flow for code, flow in flows.items() if code not in on_the_spot} == {Flow.LICENCE}
