"""The notification outbox: messages are written (encrypted) in the deposit's transaction's wake and
sent by `dispatch`, so a provider outage loses nothing. The demo provider appends to a file."""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import threading
import time
from pathlib import Path

from hall.privacy import PiiCipher, mask_phone
from hall_controller.lockers.ports import SmsError, SmsProvider
from hall_controller.lockers.repository import LockerRepository, RepositoryError

log = logging.getLogger(__name__)


# Runs of six or more digits in a message: pickup codes (and any number copied into a text).
_SECRET_DIGITS = re.compile(r"\d{6,}")


def mask_text(text: str) -> str:
    """The message as the development sink keeps it: every run of 6+ digits masked but its last two."""
    return _SECRET_DIGITS.sub(lambda match: "*" * (len(match.group()) - 2) + match.group()[-2:], text)


class FileSmsProvider:
    """Development SMS sink: one JSON line per message, the phone and the pickup code masked and, when the
    message carries a pickup QR, its picture as a PNG beside the file (owner-only), which is how the demo's
    applicant collects. Whoever reads the file learns no phone number and no code."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def send(self, phone: str, text: str, qr: str | None = None) -> None:
        entry: dict[str, object] = {"ts": time.time(), "to": mask_phone(phone), "text": mask_text(text)}
        try:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                if qr is not None:
                    picture = self.path.parent / f"qr-{secrets.token_hex(6)}.png"
                    write_qr_png(qr, picture)
                    entry["qr_png"] = picture.name
                with self.path.open("a", encoding="utf-8") as sink:
                    sink.write(json.dumps(entry, ensure_ascii=False) + "\n")
        except OSError as err:
            raise SmsError(f"cannot write the SMS file {self.path}: {err}") from err
        log.info("SMS to %s queued in %s", mask_phone(phone), self.path)


def write_qr_png(text: str, path: Path) -> None:
    import qrcode

    image = qrcode.make(text, border=4, box_size=8)
    # Owner-only from the start: the picture opens the compartment.
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as sink:
        image.save(sink)


class Outbox:
    def __init__(self, repository: LockerRepository, cipher: PiiCipher, provider: SmsProvider) -> None:
        self._repository = repository
        self._cipher = cipher
        self._provider = provider

    def enqueue(self, phone: str, text: str, now: float, qr: str | None = None) -> int:
        body = json.dumps({"text": text, "qr": qr}, ensure_ascii=False)
        return self._repository.enqueue_message(self._cipher.encrypt(phone), self._cipher.encrypt(body), now)

    def dispatch(self) -> int:
        """Sends what is pending; returns how many went out. Failures stay pending for the next round."""
        sent = 0
        for message in self._repository.pending_messages():
            phone = self._cipher.decrypt(message.recipient)
            body = json.loads(self._cipher.decrypt(message.body))
            try:
                self._provider.send(phone, str(body["text"]), body.get("qr"))
            except SmsError as err:
                log.warning("SMS to %s not sent: %s", mask_phone(phone), err)
                self._repository.mark_message(message.id, "pending", str(err))
                continue
            try:
                self._repository.mark_message(message.id, "sent")
            except RepositoryError:
                log.exception("SMS %d sent but not marked; it may be sent twice", message.id)
                raise
            sent += 1
        return sent
