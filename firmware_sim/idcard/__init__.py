"""Simulated identity-card hardware: a card behind pcscd + vsmartcard-vpcd, and a SAM reader on a pty."""
