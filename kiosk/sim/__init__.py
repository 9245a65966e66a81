"""Simulated ports, for running the kiosk alone (demo, screenshots) and for tests beneath the real ones."""
