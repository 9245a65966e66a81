"""Adapters from the kiosk's ports to the real parts of the hall."""
