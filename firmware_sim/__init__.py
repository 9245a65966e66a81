"""The hall's digital twin: simulated firmware of every device, speaking only the device contract."""
