"""QR and barcode reading: `decode(image) -> list[Decoded]`, and a camera loop that reports each code once."""

from devices.barcode.model import Decoded, InvalidImageError
from devices.barcode.pipeline import decode

__all__ = ["Decoded", "InvalidImageError", "decode"]
