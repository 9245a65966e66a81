from __future__ import annotations

import base64
import logging

import pytest

from hall.logging import PiiScrubbingFilter
from hall.privacy import (
    DecryptionError,
    PiiCipher,
    hide_url_passwords,
    mask_id_number,
    mask_name,
    mask_phone,
    scrub_text,
)

ID_NUMBER = "11010519491231002X"


def test_masks_keep_only_what_a_person_needs_to_recognise() -> None:
    assert mask_id_number(ID_NUMBER) == "110***********002X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("张三丰") == "张*丰"
    assert mask_name("李四") == "李*"


def test_scrub_masks_numbers_inside_free_text() -> None:
    text = f"申请人 {ID_NUMBER} 电话13812345678，订单号 2025100112345678901234 不动"
    scrubbed = scrub_text(text)
    assert ID_NUMBER not in scrubbed
    assert "13812345678" not in scrubbed
    assert "110***********002X" in scrubbed
    assert "138****5678" in scrubbed
    assert "2025100112345678901234" in scrubbed  # 22 digits is not an ID number


def _key(byte: int) -> str:
    return base64.b64encode(bytes([byte]) * 32).decode()


def test_cipher_round_trip_and_tamper_detection() -> None:
    cipher = PiiCipher.from_config(_key(1))
    token = cipher.encrypt(ID_NUMBER, context="person:1")
    assert ID_NUMBER not in token
    assert cipher.decrypt(token, context="person:1") == ID_NUMBER
    with pytest.raises(DecryptionError):
        cipher.decrypt(token, context="person:2")  # moved to another row
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(DecryptionError):
        cipher.decrypt(tampered, context="person:1")


def test_key_rotation_reads_old_and_writes_new() -> None:
    old = PiiCipher.from_config(f"2025:{_key(1)}")
    token = old.encrypt(ID_NUMBER)
    rotated = PiiCipher.from_config(f"2026:{_key(2)},2025:{_key(1)}")
    assert rotated.decrypt(token) == ID_NUMBER
    assert rotated.needs_rotation(token)
    assert not rotated.needs_rotation(rotated.encrypt(ID_NUMBER))
    with pytest.raises(DecryptionError, match="unknown key id"):
        PiiCipher.from_config(f"2026:{_key(2)}").decrypt(token)


def test_bad_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        PiiCipher.from_config(base64.b64encode(b"short").decode())
    with pytest.raises(ValueError, match="base64"):
        PiiCipher.from_config("k:***")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("mqtt://hall01:topsecret@mqtt.example.gov:1883", "mqtt://hall01:***@mqtt.example.gov:1883"),
        (
            "cannot open postgresql+psycopg://hall:p@ss/w:rd@db:5432/hall?sslmode=require: refused",
            "cannot open postgresql+psycopg://hall:***@db:5432/hall?sslmode=require: refused",
        ),
        ("mqtts://:token@h a=mqtt://u:v@h2", "mqtts://:***@h a=mqtt://u:***@h2"),
        ("http://127.0.0.1:8000/healthz and mqtt://user@host:1883", None),  # no password: unchanged
    ],
)
def test_passwords_inside_urls_are_hidden(text: str, shown: str | None) -> None:
    assert hide_url_passwords(text) == (text if shown is None else shown)
    assert scrub_text(text) == hide_url_passwords(text)  # every log line goes through scrub_text


def test_log_lines_hide_url_passwords(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("tests.privacy")
    logger.addFilter(PiiScrubbingFilter())
    try:
        with caplog.at_level(logging.INFO, logger="tests.privacy"):
            logger.info("connecting to %s", "mqtt://hall01:topsecret@127.0.0.1:1883")
    finally:
        logger.filters.clear()
    assert caplog.messages == ["connecting to mqtt://hall01:***@127.0.0.1:1883"]
