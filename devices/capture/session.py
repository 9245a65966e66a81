"""One applicant's scanning at the document camera: pages in, blank sheets left out, one PDF out.

Pure bookkeeping over `CapturedPage`s (no camera, no screen): the kiosk's document screen adds what
`AutoCapture` takes, shows the count, lets the applicant take back the last page, and writes the PDF.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from devices.capture.errors import CaptureError
from devices.capture.pdf import DEFAULT_PAGE_BUDGET, EncodedPage, write_pdf
from devices.capture.pipeline import CapturedPage


class SessionFullError(CaptureError):
    """The session already holds its maximum number of pages."""


@dataclass
class ScanSession:
    dpi: int = 200
    page_budget: int = DEFAULT_PAGE_BUDGET
    max_pages: int = 50
    pages: list[CapturedPage] = field(default_factory=list)
    blanks_skipped: int = 0

    def add(self, page: CapturedPage) -> bool:
        """Keeps the page and returns True; a blank sheet is counted, not kept, and returns False."""
        if page.blank:
            self.blanks_skipped += 1
            return False
        if len(self.pages) >= self.max_pages:
            raise SessionFullError(f"at most {self.max_pages} pages per document")
        self.pages.append(page)
        return True

    def take_back_last(self) -> CapturedPage | None:
        return self.pages.pop() if self.pages else None

    def write(self, target: Path) -> list[EncodedPage]:
        """The kept pages as one PDF at `target`; CaptureError when there is none."""
        if not self.pages:
            raise CaptureError("no pages scanned yet (blank sheets are left out)")
        return write_pdf([page.image for page in self.pages], target, dpi=self.dpi, budget=self.page_budget)
