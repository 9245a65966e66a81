"""Document capture (高拍仪): find the page, flatten it to A4, straighten, clean, spot blanks, PDF."""

from devices.capture.errors import CaptureError, InvalidFrameError, PageBudgetError, PageNotFoundError
from devices.capture.pdf import write_pdf
from devices.capture.pipeline import CapturedPage, capture_page

__all__ = [
    "CaptureError",
    "CapturedPage",
    "InvalidFrameError",
    "PageBudgetError",
    "PageNotFoundError",
    "capture_page",
    "write_pdf",
]
