"""Errors that end a process with a one-line message instead of a traceback."""


class StartupError(Exception):
    """Configuration or environment problem found before a process could start."""
