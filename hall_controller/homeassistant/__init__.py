"""Home Assistant MQTT discovery for the hall's devices (HALL_CONTROLLER__HOME_ASSISTANT=true)."""
