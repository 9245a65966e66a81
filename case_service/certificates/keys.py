"""The certificate signing key and the trusted public keys, from files under the data directory.

`<data_dir>/keys/certificate-signing.pem` holds the Ed25519 private key (PKCS#8, mode 0600). In
development it is generated on first use; in production it must be provisioned (a missing key ends
start-up with one clear line). Retired keys' public halves go to `<data_dir>/keys/trusted/*.pem` so
certificates signed before a rotation still verify.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from hall.errors import StartupError
from hall.signing import Ed25519Signer, Ed25519Verifier, Verifier

log = logging.getLogger(__name__)

SIGNING_KEY_FILE = "certificate-signing.pem"


def keys_dir(data_dir: Path) -> Path:
    return data_dir / "keys"


def load_signer(data_dir: Path, *, create: bool) -> Ed25519Signer:
    path = keys_dir(data_dir) / SIGNING_KEY_FILE
    if not path.exists():
        if not create:
            raise StartupError(
                f"the certificate signing key {path} is missing; provision an Ed25519 key there"
            )
        if _create_key(path):
            log.warning("generated a development certificate signing key %s", path)
    try:
        return Ed25519Signer.from_pem(path.read_bytes())
    except (ValueError, TypeError) as err:
        raise StartupError(
            f"the certificate signing key {path} is not a readable Ed25519 key: {err}"
        ) from err


def _create_key(path: Path) -> bool:
    """Writes a new key unless another process (a second worker) got there first; True if it was ours.

    Written to a private temp file and hard-linked into place, so no reader ever sees half a key.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as key_file:
        key_file.write(Ed25519Signer.generate().private_pem())
    try:
        os.link(temporary, path)
    except FileExistsError:
        return False
    finally:
        temporary.unlink()
    return True


def trusted_verifiers(data_dir: Path, signer: Ed25519Signer) -> dict[str, Verifier]:
    verifiers: dict[str, Verifier] = {signer.key_id: signer.public}
    trusted = keys_dir(data_dir) / "trusted"
    for path in sorted(trusted.glob("*.pem")) if trusted.is_dir() else []:
        try:
            verifier = Ed25519Verifier.from_pem(path.read_bytes())
        except (ValueError, TypeError) as err:
            raise StartupError(f"the trusted key {path} is not an Ed25519 public key: {err}") from err
        verifiers[verifier.key_id] = verifier
    return verifiers
