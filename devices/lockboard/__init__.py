"""RS485 lock boards (Kerong CU16 style) and the locker gateway that bridges them to MQTT."""
