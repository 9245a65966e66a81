"""The frame around every screen: text size and elder mode, banners, notices, back / menu / end, overlays.

Screens are imported and built the first time they are shown (lazily), so start-up builds only the attract
screen.
"""

from __future__ import annotations

import importlib
import math
from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.screenmanager import NoTransition

from kiosk.flow import events as ev
from kiosk.flow.machine import PARENT
from kiosk.flow.state import KioskState, Screen
from kiosk.screens.base import KioskScreen, load_kv

load_kv("widgets")
Builder.load_file(str(Path(__file__).with_suffix(".kv")))

# screen -> (module under kiosk.screens, class)
SCREENS: dict[Screen, tuple[str, str]] = {
    Screen.ATTRACT: ("attract", "AttractScreen"),
    Screen.LANGUAGE: ("language", "LanguageScreen"),
    Screen.IDENTIFY: ("identify", "IdentifyScreen"),
    Screen.MENU: ("menu", "MenuScreen"),
    Screen.GUIDE: ("guide", "GuideScreen"),
    Screen.ITEM: ("item", "ItemScreen"),
    Screen.APPLY_FORM: ("apply_form", "ApplyFormScreen"),
    Screen.APPLY_CAPTURE: ("apply_capture", "ApplyCaptureScreen"),
    Screen.APPLY_DONE: ("apply_done", "ApplyDoneScreen"),
    Screen.PROGRESS: ("progress", "ProgressScreen"),
    Screen.CERTIFICATES: ("certificates", "CertificatesScreen"),
    Screen.TICKET: ("ticket", "TicketScreen"),
    Screen.PICKUP: ("pickup", "PickupScreen"),
    Screen.RATING: ("rating", "RatingScreen"),
    Screen.COMPLAINT: ("complaint", "ComplaintScreen"),
    Screen.HALL_COMPLAINT: ("hall_complaint", "HallComplaintScreen"),
    Screen.VERIFY: ("verify", "VerifyScreen"),
    Screen.FAULT: ("fault", "FaultScreen"),
}


class Overlay(FloatLayout):  # type: ignore[misc]
    message = StringProperty("")

    def on_touch_down(self, touch: object) -> bool:
        App.get_running_app().post(ev.Touched())
        return True  # nothing beneath is touched while the overlay shows


class Shell(BoxLayout):  # type: ignore[misc]
    in_session = BooleanProperty(False)
    elder = BooleanProperty(False)
    can_back = BooleanProperty(False)
    can_home = BooleanProperty(False)
    banner = StringProperty("")
    notice = StringProperty("")
    notice_error = BooleanProperty(False)
    confirming = BooleanProperty(False)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.ids.manager.transition = NoTransition()
        self._overlay = Overlay()
        self._overlay_shown = False
        self._person: tuple[int, bool] = (0, False)

    def screen(self, which: Screen) -> KioskScreen:
        manager = self.ids.manager
        if not manager.has_screen(which.value):
            module_name, class_name = SCREENS[which]
            module = importlib.import_module(f"kiosk.screens.{module_name}")
            manager.add_widget(getattr(module, class_name)(name=which.value))
        shown: KioskScreen = manager.get_screen(which.value)
        return shown

    def forget_the_last_person(self, state: KioskState) -> None:
        """When a session starts or ends, every screen built so far goes, with all its widgets (typed
        text, search words, form fields, digits): the next person's screens are built afresh."""
        person = (state.serial, state.session is not None)
        if person == self._person:
            return
        self._person = person
        manager = self.ids.manager
        for built in list(manager.screens):
            manager.remove_widget(built)

    def show(self, state: KioskState) -> None:
        app = App.get_running_app()
        session = state.session
        self.forget_the_last_person(state)
        shown = self.screen(state.screen)
        shown.render(state)
        self.ids.manager.current = state.screen.value
        self.in_session = session is not None and state.screen is not Screen.ATTRACT
        self.elder = bool(session and session.elder)
        self.confirming = bool(session and session.confirm_finish)
        self.can_back = state.screen in PARENT or state.screen is Screen.FAULT
        self.can_home = bool(session and session.applicant) and state.screen is not Screen.MENU
        banner = app.t("offline_banner") if not state.service_online else ""
        if state.outbox_pending:
            banner = (banner + "  " if banner else "") + app.t("outbox_pending", count=state.outbox_pending)
        self.banner = banner
        notice = session.notice if session else None
        self.notice = app.t(notice.key, **dict(notice.params)) if notice else ""
        self.notice_error = bool(notice and notice.error)
        overlay = ""
        if state.countdown is not None:
            overlay = app.t("countdown", seconds=max(0, math.ceil(state.countdown)))
        elif session and session.busy:
            overlay = app.t(session.busy)
        self._show_overlay(overlay)

    def _show_overlay(self, message: str) -> None:
        self._overlay.message = message
        window = self.get_root_window()
        if message and not self._overlay_shown and window is not None:
            window.add_widget(self._overlay)
            self._overlay_shown = True
        elif not message and self._overlay_shown:
            self._overlay.parent.remove_widget(self._overlay)
            self._overlay_shown = False

    # Buttons of the frame -------------------------------------------------------------------------

    def text_size(self, step: int) -> None:
        App.get_running_app().post(ev.TextSizeChanged(step))

    def toggle_elder(self) -> None:
        App.get_running_app().post(ev.ElderModeToggled())

    def back(self) -> None:
        App.get_running_app().post(ev.Back())

    def home(self) -> None:
        App.get_running_app().post(ev.Home())

    def finish(self, confirmed: bool = False) -> None:
        App.get_running_app().post(ev.Finish(confirmed=confirmed))

    def keep_going(self) -> None:
        App.get_running_app().post(ev.FinishCancelled())
