"""Personal data: masking for screens and logs, authenticated encryption at rest.

ID numbers (18 characters, GB 11643) and mobile numbers (11 digits) are personal data. They are masked
wherever shown, scrubbed from logs, and stored encrypted with AES-256-GCM under a key from configuration.
Ciphertexts carry a key id so keys can be rotated: decrypt with any known key, encrypt with the newest.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ID_NUMBER_RE = re.compile(r"(?<![0-9A-Za-z])([1-9]\d{5})(\d{8})(\d{3}[0-9Xx])(?![0-9A-Za-z])")
PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
# scheme://user:password@host — the password is everything between the user's ':' and the last '@'
# before the host (a password may itself hold '@', ':' or '/' when it was not percent-encoded).
URL_PASSWORD_RE = re.compile(
    r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*:)(?P<password>\S*?)(?P<tail>@[^\s@]*(?:\s|$))"
)
HIDDEN = "***"


def mask_id_number(id_number: str) -> str:
    """110101199003071234 -> 110***********1234 (keeps region prefix and last four)."""
    if len(id_number) <= 7:
        return "*" * len(id_number)
    return id_number[:3] + "*" * (len(id_number) - 7) + id_number[-4:]


def mask_phone(phone: str) -> str:
    """13812345678 -> 138****5678."""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_name(name: str) -> str:
    """张三丰 -> 张*丰, 张三 -> 张*."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def hide_url_passwords(text: str) -> str:
    """mqtt://hall01:topsecret@host:1883 -> mqtt://hall01:***@host:1883, for every URL in the text."""
    return URL_PASSWORD_RE.sub(lambda m: f"{m['head']}{HIDDEN}{m['tail']}", text)


def scrub_text(text: str) -> str:
    """Masks every ID number, mobile number and URL password found in free text."""
    text = hide_url_passwords(text)
    text = ID_NUMBER_RE.sub(lambda m: mask_id_number(m.group(0)), text)
    return PHONE_RE.sub(lambda m: mask_phone(m.group(0)), text)


class DecryptionError(Exception):
    """The ciphertext was altered, or was made with a key this process does not have."""


class PiiCipher:
    """AES-256-GCM with key ids; `blind_index` gives a keyed hash for equality look-ups."""

    def __init__(self, keys: Mapping[str, bytes], current: str) -> None:
        if current not in keys:
            raise ValueError(f"current key id {current!r} is not among the keys")
        for key_id, key in keys.items():
            if len(key) != 32:
                raise ValueError(f"key {key_id!r} must be 32 bytes, got {len(key)}")
            if ":" in key_id:
                raise ValueError("key ids may not contain ':'")
        self._keys = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._raw = dict(keys)
        self._current = current

    @classmethod
    def from_config(cls, value: str) -> PiiCipher:
        """`value` is one base64 key, or `id1:base64,id2:base64` with the first as the current key."""
        entries = [part.strip() for part in value.split(",") if part.strip()]
        keys: dict[str, bytes] = {}
        for position, entry in enumerate(entries):
            key_id, _, encoded = entry.rpartition(":")
            key_id = key_id or f"k{position}"
            try:
                keys[key_id] = base64.b64decode(encoded, validate=True)
            except binascii.Error as err:
                raise ValueError(f"PII key {key_id!r} is not valid base64") from err
        if not keys:
            raise ValueError("no PII key configured")
        return cls(keys, current=next(iter(keys)))

    def encrypt(self, plaintext: str, *, context: str = "") -> str:
        nonce = os.urandom(12)
        sealed = self._keys[self._current].encrypt(nonce, plaintext.encode(), context.encode())
        return f"{self._current}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, *, context: str = "") -> str:
        key_id, _, body = token.partition(":")
        aead = self._keys.get(key_id)
        if aead is None:
            raise DecryptionError(f"unknown key id {key_id!r}")
        try:
            raw = base64.urlsafe_b64decode(body.encode())
            return aead.decrypt(raw[:12], raw[12:], context.encode()).decode()
        except (InvalidTag, binascii.Error, ValueError) as err:
            raise DecryptionError("ciphertext does not verify") from err

    def needs_rotation(self, token: str) -> bool:
        return not token.startswith(self._current + ":")

    def derive(self, label: str) -> bytes:
        """32 bytes derived from the current key for one purpose (`label`), e.g. the private key the
        window's card readers seal their reads to (devices/protocol/window.py)."""
        return hmac.new(self._raw[self._current], b"derive:" + label.encode(), hashlib.sha256).digest()

    def blind_index(self, value: str) -> str:
        """Deterministic keyed hash, for finding a person by ID number without decrypting every row."""
        digest = hmac.new(self._raw[self._current], value.encode(), hashlib.sha256).hexdigest()
        return digest[:32]


def queue_person(cipher: PiiCipher, id_number: str) -> str:
    """The keyed index a hall controller binds a queue ticket to (an ID card read at the kiosk); the case
    service computes the same from a case's decrypted ID number to open that person's cases at the desk."""
    return cipher.blind_index("id:" + id_number)
