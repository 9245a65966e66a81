"""Rasterise a PDF page and read its QR code with the project's own decoder (devices.barcode)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
from PIL import Image


def pdf_to_png(pdf: bytes, folder: Path, name: str, dpi: int = 150) -> Path:
    pdf_path = folder / f"{name}.pdf"
    pdf_path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(pdf_path), str(folder / name)], check=True
    )
    return folder / f"{name}.png"


def decode_qr_texts(png: Path) -> list[str]:
    """The project's decoder (devices.barcode) when present; zxing-cpp, its first engine, otherwise."""
    image = np.asarray(Image.open(png).convert("L"))
    try:
        from devices.barcode.pipeline import decode
    except ImportError:
        import zxingcpp

        return [found.text for found in zxingcpp.read_barcodes(image)]
    return [found.text for found in decode(image)]
