"""Shared fixtures: every test uses the same real services, started on free ports and stopped after."""

from __future__ import annotations

import pytest

pytest_plugins = [
    "tests.fixtures.mqtt",
    "tests.fixtures.devices",
    "tests.fixtures.postgres",
    "tests.fixtures.display",
    "tests.fixtures.cups",
    "tests.fixtures.pcsc",
    "tests.fixtures.hall",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On parallel workers (`make test`: pytest-xdist), the modules holding slow tests go first.

    The workers take tests two at a time in this order (Makefile: --maxschedchunk 2); started last, the
    minutes-long kiosk and soak tests would leave the other workers idle at the end. A module stays
    together, in its own order. Every worker sorts alike, as xdist requires.
    """
    if not hasattr(config, "workerinput"):  # a serial run keeps pytest's order
        return
    slow_files = {item.path for item in items if item.get_closest_marker("slow") is not None}
    items.sort(key=lambda item: item.path not in slow_files)  # stable: the order within stays
