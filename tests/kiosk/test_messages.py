"""The message catalogue: both languages for every key, the same placeholders, every key the flow uses."""

from __future__ import annotations

import pytest

from kiosk.flow.machine import ALTERNATIVES
from kiosk.flow.model import Device, Language, Service
from kiosk.flow.state import Screen
from kiosk.messages import MESSAGES, placeholders, text


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_both_languages_with_the_same_placeholders(key: str) -> None:
    chinese, english = MESSAGES[key]
    assert chinese.strip() and english.strip()
    assert placeholders(chinese) == placeholders(english)
    assert english.isascii() or "…" in english or "“" in english or "·" in english


def test_keys_derived_from_enums_exist() -> None:
    derived = {f"service_{s.value}" for s in Service} | {f"fault_{d.value}" for d in Device}
    derived |= {alt for alts in ALTERNATIVES.values() for alt in alts}
    derived |= {f"printed_{kind}" for kind in ("guide", "receipt", "notice", "certificate", "ticket")}
    derived |= {f"{screen.value}_title" for screen in Screen} & set(MESSAGES)
    assert derived - set(MESSAGES) == set()


def test_text_formats_and_masks_nothing_itself() -> None:
    assert text("greeting", Language.ZH, name="张*丰") == "张*丰，您好！请选择要办理的事项。"
    assert text("greeting", Language.EN, name="Zhang") == "Hello, Zhang. What would you like to do?"
    assert text("field_required", Language.EN, field="phone") == "Please fill in Phone."


def test_unknown_key_or_missing_parameter_does_not_crash() -> None:
    assert text("no-such-key", Language.ZH) == "no-such-key"
    assert text("greeting", Language.EN) == "Hello, {name}. What would you like to do?"


def test_an_estimated_date_is_marked_in_both_languages() -> None:
    assert text("due", Language.ZH, date="2027-01-07", estimated="yes") == "办结期限：2027-01-07（预计）"
    assert text("due", Language.EN, date="2027-01-07", estimated="yes") == "Due: 2027-01-07 (estimated)"
    assert text("due", Language.EN, date="2026-12-11", estimated="") == "Due: 2026-12-11"
    review = text("receipt_review", Language.ZH, date="2027-01-07", estimated="yes")
    assert review.startswith("受理审查期限：2027-01-07（预计）")
