"""Shared fixtures: every test uses the same real services, started on free ports and stopped after."""

pytest_plugins = [
    "tests.fixtures.mqtt",
    "tests.fixtures.devices",
    "tests.fixtures.postgres",
    "tests.fixtures.display",
    "tests.fixtures.cups",
    "tests.fixtures.pcsc",
    "tests.fixtures.hall",
]
