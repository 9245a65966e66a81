"""Which way a case goes, chosen from its catalogue item (办事指南: 事项类型 and 办件类型), pure.

- registration (备案, and any 即办件): the window accepts and decides in one step (register), the 备案回执
  or the result is issued on the spot; no review stage, no decision clock.
- forwarding (审核转报): the hall accepts, does its preliminary review (初审) and forwards the case to the
  item's higher authority (上级机关); the case waits for that authority's result, on its own clock, then is
  released like any other. A 行政许可 (or 其他) item whose guide names a higher authority goes this way too:
  its power type stays a licence (seed 003 lists it so, and its code's XK letters never change), but the
  licence is the higher authority's to grant, the hall's part is 初审 and 转报 (e.g. 律师执业: 律师法 art. 6,
  the city reviews and the province decides).
- licence (行政许可, 其他; 承诺件): acceptance, review, decision, certificate, unified seal, release.
- public_service (公共服务): accept, handle (one stage), release; public_service_certificate when the item
  issues a sealed result (`unified_seal`): handle, certificate, seal, release.
The states and actions each flow allows are states.FLOW_TRANSITIONS.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class Flow(StrEnum):
    LICENCE = "licence"
    REGISTRATION = "registration"
    FORWARDING = "forwarding"
    PUBLIC_SERVICE = "public_service"
    PUBLIC_SERVICE_CERTIFICATE = "public_service_certificate"


FLOW_LABELS: Mapping[Flow, str] = {
    Flow.LICENCE: "行政许可(承诺件)",
    Flow.REGISTRATION: "当场办结(备案、即办件)",
    Flow.FORWARDING: "审核转报",
    Flow.PUBLIC_SERVICE: "公共服务",
    Flow.PUBLIC_SERVICE_CERTIFICATE: "公共服务(出具证照)",
}


# The kinds whose decision can lie with a higher authority the hall forwards to (others never forward:
# a 备案 is registered where it is filed, a 公共服务 is the hall's own).
_LICENSING = frozenset({"行政许可", "其他"})


def flow_of(item: Mapping[str, Any]) -> Flow:
    """The flow of an item (its catalogue fields, as `catalogue.normalise_item` gives them). 审核转报
    always forwards (its result is the higher authority's, never the window's), and so does a licence the
    item's higher authority (上级机关) grants; otherwise 备案 or 即办件 is decided on the spot."""
    kind = item.get("kind", "")
    if kind == "审核转报" or (kind in _LICENSING and str(item.get("higher_authority") or "").strip()):
        return Flow.FORWARDING
    if kind == "备案" or item.get("handling_type") == "即办件":
        return Flow.REGISTRATION
    if kind == "公共服务":
        return Flow.PUBLIC_SERVICE_CERTIFICATE if item.get("unified_seal") else Flow.PUBLIC_SERVICE
    return Flow.LICENCE
