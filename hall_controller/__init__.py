"""One per hall: speaks MQTT with every device, runs the queue and lockers, serves the live dashboard."""
