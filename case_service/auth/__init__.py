"""Who is asking: staff with roles, devices (kiosks, hall controllers), applicants scoped by a kiosk."""
