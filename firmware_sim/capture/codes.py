"""Clean pictures of codes, as a phone screen or a printed notice shows them."""

from __future__ import annotations

import numpy as np
import qrcode
from qrcode.constants import ERROR_CORRECT_M


def qr_picture(text: str, *, box: int = 6, border: int = 4) -> np.ndarray:
    """A grey uint8 QR code of `text` (UTF-8), `box` pixels per module, `border` modules of white around."""
    code = qrcode.QRCode(box_size=box, border=border, error_correction=ERROR_CORRECT_M)
    code.add_data(text.encode("utf-8"))
    code.make(fit=True)
    dark = np.asarray(code.get_matrix(), dtype=bool)
    modules = np.where(dark, 0, 255).astype(np.uint8)
    return np.kron(modules, np.ones((box, box), np.uint8))
