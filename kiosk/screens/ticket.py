"""The queue ticket just taken, with the wait estimate (also printed)."""

from __future__ import annotations

from kivy.properties import StringProperty

from kiosk.flow.state import KioskState
from kiosk.screens.base import KioskScreen, load_kv

load_kv("ticket")


class TicketScreen(KioskScreen):
    number = StringProperty("")
    wait = StringProperty("")
    priority = StringProperty("")

    def render(self, state: KioskState) -> None:
        ticket = state.session.ticket if state.session else None
        self.number = ticket.number if ticket else ""
        self.priority = self.t("ticket_priority") if ticket and ticket.priority != "ordinary" else ""
        self.wait = (
            self.t("ticket_wait", waiting=ticket.waiting, minutes=ticket.estimate_minutes) if ticket else ""
        )
