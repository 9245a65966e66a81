"""The window's counter devices on MQTT: the ID-card reader and the document camera (protocol/window)."""
