"""The Kivy application: window, fonts, no way out, the flow's state shown by the shell.

Only the App is here; screens live in kiosk/screens (one .py + one .kv each, built when first shown).
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.text import DEFAULT_FONT, LabelBase
from kivy.core.window import Window
from kivy.properties import NumericProperty, StringProperty

from hall.fonts import cjk_font_path
from hall.settings import Settings
from kiosk.core import KioskCore
from kiosk.flow import FlowConfig
from kiosk.flow import events as ev
from kiosk.flow.model import Language
from kiosk.flow.state import KioskState, Screen
from kiosk.messages import text
from kiosk.screens.base import KioskScreen
from kiosk.wiring import Kiosk

log = logging.getLogger(__name__)
ESCAPE_KEYS = {27, 282, 283, 284, 285, 286, 287, 288, 289, 290, 291, 292, 293}  # Esc, F1-F12


class KioskApp(App):  # type: ignore[misc]
    title = "政务服务自助终端"
    scale = NumericProperty(1.0)
    language = StringProperty("zh")

    def __init__(
        self, settings: Settings, kiosk: Kiosk, *, on_state: Callable[[KioskState], None] | None = None
    ):
        super().__init__()
        self.settings = settings
        self.kiosk = kiosk
        self.flow_config: FlowConfig = kiosk.core.config
        self.last_beat = time.monotonic()
        self._on_state = on_state
        self._leaving = False

    @property
    def core(self) -> KioskCore:
        return self.kiosk.core

    def build(self) -> Any:
        LabelBase.register(DEFAULT_FONT, str(cjk_font_path()))
        Window.size = (1080, 1920) if self.settings.kiosk.orientation == "portrait" else (1920, 1080)
        if self.settings.kiosk.fullscreen:
            # The whole screen, whatever its size, on an X server with no window manager to place or grow
            # the window (the kiosk's): borderless, from the top left corner, the desktop's own size.
            Window.borderless = True
            Window.left, Window.top = 0, 0
            Window.fullscreen = "auto"
        Window.bind(on_request_close=lambda *_args, **_kw: not self._leaving)  # no closing the window
        Window.bind(on_keyboard=self._swallow_escape)
        Window.bind(on_touch_down=self._any_touch)
        ready_file(self.settings).unlink(missing_ok=True)
        from kiosk.screens.shell import Shell

        self.shell = Shell()
        self.core.listen(self._show)
        return self.shell

    def on_start(self) -> None:
        # SDL turns SIGTERM into the same "quit" as the window's close button, which the kiosk refuses;
        # the supervisor's SIGTERM (and Ctrl-C) must still end it cleanly.
        for stop_signal in (signal.SIGTERM, signal.SIGINT):
            signal.signal(stop_signal, self._terminate)
        self.shell.show(self.core.state)
        # After the first frame is drawn, tell whoever started us (the demo, the tests) we are up.
        Clock.schedule_once(lambda _dt: _touch(ready_file(self.settings)), 0)
        Clock.schedule_interval(self._tick, 1.0)
        self.kiosk.start()

    def on_stop(self) -> None:
        self.kiosk.stop()

    # Thread-safe: devices and the runner post from their own threads.
    def post(self, event: ev.Event) -> None:
        Clock.schedule_once(lambda _dt: self.core.handle(event), 0)

    def t(self, key: str, *_bound: object, **params: Any) -> str:
        """Translated text; extra positional arguments only make kv rules re-evaluate on language change."""
        return text(key, Language(self.language), **params)

    def root_screen(self, name: str) -> KioskScreen:
        return self.shell.screen(Screen(name))

    def _show(self, state: KioskState) -> None:
        session = state.session
        self.language = (session.language if session else Language.ZH).value
        self.scale = session.text_scale if session else 1.0
        self.shell.show(state)
        if self._on_state is not None:
            self._on_state(state)

    def _tick(self, dt: float) -> None:
        self.last_beat = time.monotonic()
        self.core.handle(ev.Tick(dt))

    def _terminate(self, *_args: object) -> None:
        log.info("kiosk: asked to stop")
        self._leaving = True
        self.stop()

    def _any_touch(self, *_args: object) -> bool:
        self.post(ev.Touched())
        return False  # the touch goes on to the widgets

    def _swallow_escape(self, _window: object, key: int, *_args: object) -> bool:
        return key in ESCAPE_KEYS


def ready_file(settings: Settings) -> Path:
    return settings.data_dir / "run" / f"{settings.kiosk.device_id}.ready"


def _touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{time.time()}\n")
