"""Beneath the intake journey: the number a card read fills in travels sealed for the clerk, and counts only
while the box still shows it masked (a number typed over it is taken as typed)."""

from __future__ import annotations

import base64
from types import SimpleNamespace
from typing import Any

from case_service.web import window_devices
from hall.privacy import PiiCipher, mask_id_number

NUMBER = "11010519491231002X"


def services() -> Any:
    return SimpleNamespace(cipher=PiiCipher({"k1": b"p" * 32}, current="k1"))


def test_a_sealed_number_opens_for_its_clerk_while_the_box_shows_it_masked() -> None:
    held = services()
    token = window_devices.seal(held, "clerk1", NUMBER)
    assert NUMBER not in token and NUMBER not in base64.urlsafe_b64decode(token.split(":")[1]).decode(
        "latin-1"
    )
    assert window_devices.unseal(held, "clerk1", token, mask_id_number(NUMBER)) == NUMBER
    assert (
        window_devices.unseal(held, "clerk2", token, mask_id_number(NUMBER)) is None
    )  # another clerk's form
    assert window_devices.unseal(held, "clerk1", token, "110105194912310037") is None  # typed over
    assert window_devices.unseal(held, "clerk1", token[:-4] + "AAAA", mask_id_number(NUMBER)) is None
