"""Helpers for driving the pure flow: every emitted voice key and notice key must be in the catalogue."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from kiosk.flow import FlowConfig, initial_state, step
from kiosk.flow import effects as fx
from kiosk.flow import events as ev
from kiosk.flow.model import (
    Applicant,
    CaseSummary,
    Certificate,
    IdCard,
    ItemDetail,
    Language,
    LibraryDocument,
    Material,
)
from kiosk.flow.state import KioskState, Screen, Session
from kiosk.messages import MESSAGES

CARD = IdCard(name="张三丰", id_number="110101199003071234", address="北京市东城区")
APPLICANT = Applicant(name="张三丰", id_number="110101199003071234", address="北京市东城区")
ITEM = ItemDetail(
    item_id="food-shop",
    name_zh="食品经营许可证核发",
    name_en="Food business licence",
    department_zh="市场监督管理局",
    department_en="Market regulation bureau",
    materials=(
        Material("application", "申请书", "Application form"),
        Material("premises", "经营场所证明", "Proof of premises"),
        Material("photo", "照片", "Photo", required=False),
    ),
    time_limit_days=10,
    fee_zh="不收费",
    fee_en="Free",
    steps_zh=("申请", "受理", "审查", "决定"),
    steps_en=("Apply", "Accept", "Review", "Decide"),
)
LIBRARY = (LibraryDocument("doc-1", "premises", "租赁合同"),)
CASES = (
    CaseSummary("c-1", "食品经营许可证核发", "Food licence", "review", "2026-12-04", "审查", "Review"),
    CaseSummary("c-2", "个体工商户登记", "Sole trader", "delivered", "2026-11-01", "—", "—", finished=True),
)
CERTS = (Certificate("cert-1", "食品经营许可证", "Food business licence"),)


@dataclass
class Driver:
    config: FlowConfig = field(default_factory=FlowConfig)
    state: KioskState = field(default_factory=initial_state)
    effects: list[fx.Effect] = field(default_factory=list)

    def send(self, *events: ev.Event) -> list[fx.Effect]:
        emitted: list[fx.Effect] = []
        for event in events:
            self.state, new = step(self.config, self.state, event)
            emitted.extend(new)
            if self.state.session and self.state.session.notice:
                assert self.state.session.notice.key in MESSAGES, self.state.session.notice.key
            if self.state.session and self.state.session.busy:
                assert self.state.session.busy in MESSAGES, self.state.session.busy
        for effect in emitted:
            if isinstance(effect, fx.Speak):
                assert effect.key in MESSAGES, effect.key
        self.effects.extend(emitted)
        return emitted

    @property
    def serial(self) -> int:
        return self.state.serial

    def screen(self) -> Screen:
        return self.state.screen

    def has_session(self) -> bool:
        return self.state.session is not None

    def session(self) -> Session:
        assert self.state.session is not None
        return self.state.session

    def notice_key(self) -> str:
        notice = self.session().notice
        return notice.key if notice else ""

    def countdown(self) -> float | None:
        return self.state.countdown

    def flags(self) -> tuple[bool, bool]:
        """(card present, card reminder given)."""
        return self.state.card_present, self.state.card_reminded

    def spoken(self) -> list[str]:
        return [effect.key for effect in self.effects if isinstance(effect, fx.Speak)]

    def identified(self) -> Driver:
        self.send(ev.Touched(), ev.LanguageChosen(Language.ZH), ev.CardInserted(CARD))
        self.send(ev.Identified(self.serial, APPLICANT, "token-1", LIBRARY))
        return self


def of_type(effects: list[fx.Effect], kind: type[fx.Effect]) -> list[fx.Effect]:
    return [effect for effect in effects if isinstance(effect, kind)]


@pytest.fixture
def driver() -> Driver:
    return Driver()
