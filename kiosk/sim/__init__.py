"""Simulated ports beneath the unit tests: the kiosk itself uses the hall simulator's devices (or the real
ones) and the running case service."""
