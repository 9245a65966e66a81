"""Display links: what lets a hall screen (the call screen on the hall's TV) read the queue.

A manager asks the controller for a link for one screen (`device_id`); the link carries a token signed
with a key derived from the controller's staff-token key (so only this controller, or its replacement
with the same key, made it), naming the hall and the screen, valid for a number of days. The token
travels in the link's fragment (``#link=...``), which a browser never sends to a server nor logs; the page
trades it once for an HttpOnly cookie and removes it from the address bar.

When the case service enrols displays as devices (kind ``display``), their device tokens replace these.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass

PREFIX = "d1"
MAX_DAYS = 366
SCREEN_ID = re.compile(r"^[a-z][a-z0-9-]{0,39}$")


class DisplayLinkError(ValueError):
    """A token that is not a valid, unexpired display link of this hall (the reason is for the log)."""


@dataclass(frozen=True, slots=True)
class DisplayLink:
    device_id: str
    hall_id: str
    issued_at: int
    expires_at: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class DisplayLinks:
    def __init__(self, key: str, hall_id: str) -> None:
        # A key of its own: a display link is never a staff token, nor the other way round.
        self._key = hashlib.sha256(b"hall-display-link:" + key.encode()).digest()
        self.hall_id = hall_id

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())

    def issue(self, device_id: str, days: int, now: float | None = None) -> tuple[str, DisplayLink]:
        if not SCREEN_ID.match(device_id):
            raise DisplayLinkError("a screen id is lower-case letters, digits and dashes (≤ 40)")
        if not 1 <= days <= MAX_DAYS:
            raise DisplayLinkError(f"a display link lasts 1 to {MAX_DAYS} days")
        at = int(now if now is not None else time.time())
        link = DisplayLink(device_id, self.hall_id, at, at + days * 86400)
        payload = {"sub": link.device_id, "hall": link.hall_id, "iat": link.issued_at, "exp": link.expires_at}
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        return f"{PREFIX}.{body}.{self._sign(body)}", link

    def read(self, token: str, now: float | None = None) -> DisplayLink:
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != PREFIX:
            raise DisplayLinkError("malformed display link")
        if not hmac.compare_digest(self._sign(parts[1]), parts[2]):
            raise DisplayLinkError("display link signature does not verify")
        try:
            payload = json.loads(_unb64(parts[1]))
            link = DisplayLink(
                str(payload["sub"]), str(payload["hall"]), int(payload["iat"]), int(payload["exp"])
            )
        except (ValueError, KeyError, TypeError, binascii.Error) as err:
            raise DisplayLinkError("malformed display link payload") from err
        if link.hall_id != self.hall_id:
            raise DisplayLinkError(f"a display link of hall {link.hall_id!r}")
        if link.expires_at < (now if now is not None else time.time()):
            raise DisplayLinkError("display link expired")
        return link
