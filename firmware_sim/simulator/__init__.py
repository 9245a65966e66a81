"""The hall simulator: the kiosk's devices outside the kiosk, and a page where a person works them."""
