"""Process-wide logging with personal data masked before any handler sees it."""

from __future__ import annotations

import logging
import sys

from hall.privacy import scrub_text

_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class PiiScrubbingFilter(logging.Filter):
    """Masks ID numbers and phone numbers in every record (message and arguments)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = scrub_text(message)
        if scrubbed != message:
            record.msg = scrubbed
            record.args = None
        return True


def configure_logging(level: str = "INFO", process: str = "hall") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"%(asctime)s %(levelname)-7s [{process}] %(name)s: %(message)s"))
    handler.addFilter(PiiScrubbingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Libraries that log through their own handlers still pass through the root's filter on ours.
    for noisy in ("amqtt", "transitions", "passlib", "multipart", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
