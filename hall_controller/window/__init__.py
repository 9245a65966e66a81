"""The window's counter devices (ID-card reader, document camera) for the clerk signed in there."""
