"""Simulated lock-board firmware with door physics, served on a pseudo-terminal like a real RS485 bus."""
