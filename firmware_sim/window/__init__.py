"""The window's simulated counter devices: the ID-card reader (the real driver on the SAM emulator) and the
document camera (the real capture pipeline on generated desk scenes)."""
