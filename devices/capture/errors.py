"""What can go wrong in document capture, each a clear error the kiosk can show."""

from __future__ import annotations


class CaptureError(Exception):
    """Document capture failed."""


class InvalidFrameError(CaptureError, ValueError):
    """The frame is not an image the capture pipeline can read."""


class PageNotFoundError(CaptureError):
    """No page could be found in the frame (nothing on the desk, or the page is cut off)."""


class PageBudgetError(CaptureError):
    """A page cannot be made to fit the PDF's size budget."""
