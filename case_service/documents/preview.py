"""A small PNG of a PDF's first page, for the case page's material previews (poppler's pdftoppm)."""

from __future__ import annotations

import subprocess

from case_service.domain.errors import ConflictError

PDFTOPPM = "/usr/bin/pdftoppm"
WIDTH_PX = 240
TIMEOUT_SECONDS = 10


def first_page_png(pdf: bytes) -> bytes:
    """The first page scaled to WIDTH_PX wide; ConflictError when the PDF cannot be drawn in time."""
    command = [PDFTOPPM, "-png", "-f", "1", "-l", "1", "-singlefile", "-scale-to-x", str(WIDTH_PX)]
    command += ["-scale-to-y", "-1", "-"]
    try:
        done = subprocess.run(command, input=pdf, capture_output=True, timeout=TIMEOUT_SECONDS, check=True)
    except (subprocess.SubprocessError, OSError) as err:
        raise ConflictError("无法生成该PDF的预览，请打开原文件查看") from err
    return done.stdout
