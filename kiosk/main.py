"""Process entry point: `hall kiosk`."""

from __future__ import annotations

import logging
import os
import signal
import time

from hall.settings import Settings


def run(settings: Settings) -> None:
    from kiosk.wiring import build_kiosk

    # Its parts first, before Kivy takes over stderr: a part that cannot be had (no hall simulator, no
    # credential) ends the process with one clear line.
    kiosk = build_kiosk(settings)
    # Kivy reads its options from the environment at import time: keep its own argv parsing and
    # console logging out of ours.
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    # Kivy's records go through the process's one log (hall/logging.py: HALL_LOG_LEVEL, personal data
    # masked): no handlers of its own on the root logger (its default resets the root's level to
    # everything), no stderr taken over, no second copy in a log file under KIVY_HOME.
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    # Kivy sets its logger's level from its config (info) when imported: it follows HALL_LOG_LEVEL, never
    # below INFO (its DEBUG traces, tens of MB a day).
    level = max(logging.INFO, logging.getLevelName(settings.log_level))
    os.environ["KCFG_KIVY_LOG_LEVEL"] = logging.getLevelName(level).lower()
    # Every option the kiosk needs is set below: no config.ini to read, write or "upgrade" (a warning on
    # every first start in a fresh data folder).
    os.environ.setdefault("KIVY_NO_CONFIG", "1")
    (settings.data_dir / "kivy").mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("KIVY_HOME", str((settings.data_dir / "kivy").resolve()))
    from kivy.config import Config

    Config.set("kivy", "exit_on_escape", "0")
    Config.set("graphics", "resizable", "0")
    # A touch screen has no keyboard: Kivy's on-screen keyboard docks when a text field is touched.
    Config.set("kivy", "keyboard_mode", "systemanddock")

    from kiosk.app import KioskApp
    from kiosk.watchdog import Watchdog

    app = KioskApp(settings, kiosk)
    kiosk.connect(app.post)
    watchdog = Watchdog(lambda: app.last_beat, settings.kiosk.watchdog_seconds)
    watchdog.start()
    if os.environ.get("KIOSK_TEST_HANG_SIGNAL") == "1":
        # Tests of the watchdog: SIGUSR1 freezes the UI thread the way a stuck callback would.
        signal.signal(signal.SIGUSR1, lambda *_args: time.sleep(3600))
    app.run()
