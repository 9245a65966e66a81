"""Every way reading an identity card can fail, each its own class so the kiosk can say exactly what."""

from __future__ import annotations


class IdCardError(Exception):
    """Base of every identity-card error; the message is fit to show staff (no personal data)."""

    code = "idcard-error"


class ReaderMissingError(IdCardError):
    """No reader is connected (unplugged, or the serial port is gone)."""

    code = "reader-missing"


class ReaderServiceError(IdCardError):
    """The PC/SC service (pcscd) is not running or stopped while we talked to it."""

    code = "reader-service"


class ReaderTimeoutError(IdCardError):
    """The reader did not answer in time."""

    code = "reader-timeout"


class NoCardError(IdCardError):
    """No card is on the reader."""

    code = "no-card"


class CardRemovedError(IdCardError):
    """The card was taken away before it was read completely."""

    code = "card-removed"


class FrameError(IdCardError):
    """A serial frame from the reader was malformed or its XOR checksum did not match."""

    code = "bad-frame"


class CardDataError(IdCardError):
    """The card answered, but what it holds is not a readable identity (damaged or foreign card)."""

    code = "damaged-card"


class UnsupportedCardError(IdCardError):
    """The card does not carry the application we asked for."""

    code = "unsupported-card"


class InvalidIdNumberError(CardDataError):
    """The ID number is malformed or its GB 11643 check digit is wrong."""

    code = "bad-id-number"


class CardExpiredError(IdCardError):
    """The card's validity period has ended (or not yet begun)."""

    code = "card-expired"
