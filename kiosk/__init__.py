"""The 24-hour self-service kiosk (Kivy)."""
