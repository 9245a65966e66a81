"""One-time pickup secrets, pure: keypad codes and QR tokens, stored only as keyed hashes.

A keypad code is 8 digits, which is too few to hash slowly and still look up; so it is hashed with
HMAC-SHA256 under the server's secret and the locker bank id (a leaked database alone does not reveal
codes), and wrong guesses are rate-limited. A QR token names its deposit and carries 128 random bits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from devices.protocol import lockers

CODE_DIGITS = 8
QR_PREFIX = "HALLBOX1"


class CodeFormatError(ValueError):
    """Input that cannot be a pickup code or QR token at all."""


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def normalise_code(entered: str) -> str:
    digits = "".join(ch for ch in entered if not ch.isspace() and ch != "-")
    if len(digits) != CODE_DIGITS or not digits.isascii() or not digits.isdigit():
        raise CodeFormatError(f"a pickup code has {CODE_DIGITS} digits")
    return digits


def code_hash(secret_key: bytes, bank_id: str, code: str) -> str:
    message = f"code:{bank_id}:{normalise_code(code)}".encode()
    return hmac.new(secret_key, message, hashlib.sha256).hexdigest()


def secret_hash(secret_key: bytes, deposit_id: str, secret: str) -> str:
    return hmac.new(secret_key, f"qr:{deposit_id}:{secret}".encode(), hashlib.sha256).hexdigest()


def id_number_hash(key: bytes, id_number: str) -> str:
    """A blind index of an ID number: lets an ID card find its deposits without storing the number. With
    the hall's locker ID key it is what a bank's gateway sends (`devices.protocol.lockers.id_card_hash`)."""
    return lockers.id_card_hash(key, id_number)


@dataclass(frozen=True, slots=True)
class QrToken:
    deposit_id: str
    secret: str

    def text(self) -> str:
        return f"{QR_PREFIX}:{self.deposit_id}:{self.secret}"


def new_qr_token(deposit_id: str) -> QrToken:
    return QrToken(deposit_id, secrets.token_urlsafe(16))


def parse_qr(text: str) -> QrToken:
    parts = text.strip().split(":")
    if len(parts) != 3 or parts[0] != QR_PREFIX or not parts[1] or not parts[2] or len(text) > 200:
        raise CodeFormatError("not a pickup QR code")
    return QrToken(parts[1], parts[2])


def matches(expected_hash: str, actual_hash: str) -> bool:
    return hmac.compare_digest(expected_hash, actual_hash)
