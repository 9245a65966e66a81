"""The hardware side: drivers for every device kind, and the MQTT device contract."""
