"""The case service's public certificate keys, kept on the kiosk's disk for checks while it is away.

Public keys are no secret, but they decide what the kiosk calls genuine offline: a key slipped into
this file would make a forged certificate pass. So the file is sealed with AES-256-GCM under the kiosk's
HALL_PII_KEY (hall/privacy.py), its purpose bound in as associated data. An edited, truncated or foreign
file does not open: it is logged and ignored, and the kiosk checks online only until it fetches the keys
again.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from hall.privacy import DecryptionError, PiiCipher

log = logging.getLogger(__name__)

CONTEXT = "kiosk.certificate-keys"


class CertificateKeyCache:
    def __init__(self, path: Path, cipher: PiiCipher) -> None:
        self.path = path
        self._cipher = cipher

    def load(self) -> object | None:
        """The published keys as saved, or None when there are none or they cannot be trusted."""
        try:
            sealed = self.path.read_text(encoding="ascii")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as err:
            log.warning("certificate keys in %s not readable: %s", self.path, err)
            return None
        try:
            published: object = json.loads(self._cipher.decrypt(sealed.strip(), context=CONTEXT))
        except (DecryptionError, ValueError) as err:
            log.warning("certificate keys in %s refused (altered or not ours): %s", self.path, err)
            return None
        return published

    def save(self, published: object) -> None:
        """Written whole or not at all (temporary file, fsync, rename); trouble is logged, not raised."""
        sealed = self._cipher.encrypt(json.dumps(published, separators=(",", ":")), context=CONTEXT)
        partial = self.path.with_suffix(".part")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with partial.open("w", encoding="ascii") as handle:
                handle.write(sealed)
                handle.flush()
                os.fsync(handle.fileno())
            partial.replace(self.path)
        except OSError as err:
            log.warning("certificate keys not saved to %s: %s", self.path, err)
