"""The services this applicant can use now (fewer in elder mode, fewer while the service is away)."""

from __future__ import annotations

from kivy.app import App
from kivy.factory import Factory
from kivy.properties import StringProperty

from kiosk.flow import events as ev
from kiosk.flow.machine import menu_services
from kiosk.flow.model import Service
from kiosk.flow.state import KioskState
from kiosk.screens.base import KioskScreen, load_kv

load_kv("menu")
ICONS = {
    Service.GUIDE: "☰",
    Service.APPLY: "▶",
    Service.PROGRESS: "◎",
    Service.CERTIFICATES: "▤",
    Service.TICKET: "№",
    Service.PICKUP: "▣",
    Service.RATING: "☆",
    Service.VERIFY: "√",
    Service.COMPLAINT: "!",
}


class MenuScreen(KioskScreen):
    greeting = StringProperty("")
    id_line = StringProperty("")

    def render(self, state: KioskState) -> None:
        session = state.session
        applicant = session.applicant if session else None
        if applicant is None:
            return
        self.greeting = self.t("greeting", name=applicant.masked_name)
        self.id_line = self.t("id_shown", masked=applicant.masked_id)
        services = tuple(menu_services(App.get_running_app().flow_config, state))
        senior = bool(session and session.senior)
        if self.unchanged("services", (services, senior), state.language):
            return
        grid = self.ids.services
        grid.clear_widgets()
        for service in services:
            # A senior's ticket is a priority ticket (优先号): the button says so.
            key = (
                "service_priority_ticket"
                if senior and service is Service.TICKET
                else f"service_{service.value}"
            )
            button = Factory.BigButton(text=f"{ICONS[service]}\n{self.t(key)}")
            button.size_hint_y = 1
            button.bind(on_release=lambda _b, s=service: self.post(ev.ServiceChosen(s)))
            grid.add_widget(button)
