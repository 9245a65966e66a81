"""The MQTT device contract shared by the hall controller, the device drivers and the simulator."""
