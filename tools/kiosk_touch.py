"""The real Kivy kiosk under Xvfb, touched as a person touches it: a finger goes down and up at a widget's
place on the window, never by posting flow events.

    python -m tools.kiosk_touch --scenario MODULE:NAME --case-service-url URL --out DIR [--language zh]

Runs the app as `hall kiosk` does, with the real case service over HTTP (the enrolled kiosk `--device-id`)
and the hall simulator's devices (HALL_KIOSK__SIMULATOR_URL, run by the caller outside this process: the ID
card through the real SAM driver, QR codes held up to the scanner, the desk, the printer's paper); a scenario
(a plain function on its own thread: tools/kiosk_tour.py, tests/kiosk/touch_scenarios.py) touches the window
and reads what it shows. Every screenshot is checked for labels clipped or outside the window. Prints one
JSON report on the last line of stdout: {"failed": "", "notes": {...}, "shots": [], "clipped": []}.
Used by the kiosk's touch tests, the screen tour (`make screenshots`) and `bench kiosk`.
The touch is a real pointer press on the X display (xdotool): SDL and Kivy's input provider turn it into
the touch the widgets get, so a widget that lies under another one cannot be touched, as on the glass.
"""

from __future__ import annotations

import argparse
import faulthandler
import importlib
import json
import os
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")
SETTLE = 0.4  # a ScrollView passes a tap on to its content after its scroll timeout (0.25 s)
BUTTON_WAIT = 10.0  # seconds a touch waits for its button to be laid out


class ScenarioError(AssertionError):
    pass


class Finger:
    """Touches the running app's window; every call is made from the scenario's thread."""

    def __init__(self, app: Any, kiosk: Any, out: Path, prefix: str) -> None:
        self.app, self.kiosk, self.out, self.prefix = app, kiosk, out, prefix
        self.shots: list[str] = []
        self.clipped: list[str] = []
        self.notes: dict[str, Any] = {}
        self.began = time.monotonic()
        self.pressed_at = 0.0  # time.monotonic() of the last touch's release
        self.finger_seconds = 0.0  # the finger's own time in all touches so far (presses and pauses)
        self._window_id = ""

    # The Kivy thread ---------------------------------------------------------------------------

    def main(self, work: Callable[[], T]) -> T:
        """Runs `work` on the Kivy thread and returns its result."""
        from kivy.clock import Clock

        done = threading.Event()
        box: dict[str, Any] = {}

        def run(_dt: float) -> None:
            try:
                box["value"] = work()
            except BaseException as err:  # handed back to the scenario's thread
                box["error"] = err
            done.set()

        Clock.schedule_once(run, 0)
        if not done.wait(30):
            raise ScenarioError("the Kivy thread did not answer within 30 s")
        if "error" in box:
            raise box["error"]
        result: T = box["value"]
        return result

    @property
    def state(self) -> Any:
        return self.main(lambda: self.app.core.state)

    def wait(self, check: Callable[[Any], bool], what: str, timeout: float = 30.0) -> Any:
        """Until the flow's state passes `check`, nothing is busy, and the screen had a frame to draw."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.main(lambda: self.app.core.state)
            busy = bool(state.session and state.session.busy) or not self.kiosk.runner.idle()
            if not busy and check(state):
                time.sleep(0.15)
                return self.main(lambda: self.app.core.state)
            time.sleep(0.05)
        raise ScenarioError(f"waited {timeout:.0f} s for {what}; at {self.state.screen}")

    def screen(self, name: str, timeout: float = 30.0) -> Any:
        return self.wait(lambda s: s.screen.value == name, f"the {name} screen", timeout)

    # Touching --------------------------------------------------------------------------------

    def touch_at(self, x: float, y: float) -> None:
        """A finger down and up at window position (x, y) (Kivy's: from the bottom left), given to the X
        server (xdotool), which hands it to the window as the touch screen's driver does."""
        from kivy.core.window import Window

        began = time.monotonic()
        height = self.main(lambda: Window.height)
        env = {**os.environ}
        if not self._window_id:
            found = subprocess.run(
                ["xdotool", "search", "--pid", str(os.getpid())],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            self._window_id = found.stdout.split()[-1]
            # no window manager places it: put the whole window on the screen, as the kiosk's is
            subprocess.run(["xdotool", "windowmove", self._window_id, "0", "0"], env=env, check=True)
            time.sleep(0.3)
        place = [str(round(x)), str(round(height - y))]
        press = ["mousemove", "--window", self._window_id, *place, "sleep", "0.05", "mousedown", "1"]
        press += ["sleep", "0.08", "mouseup", "1"]  # a finger's press, in one xdotool run
        subprocess.run(["xdotool", *press], env=env, check=True)
        self.pressed_at = time.monotonic()
        time.sleep(SETTLE)
        self.finger_seconds += time.monotonic() - began

    def touch(self, text: str, *, exact: bool = True) -> None:
        """Touches the visible button showing `text` (scrolled into view first, as a person would)."""

        def find() -> Any:
            for button in visible_buttons(self.app.shell):
                shown = button.text.strip()
                if shown == text or (not exact and text in shown):
                    return button
            return None

        self.touch_widget(find, f"button {text!r}")

    def touch_widget(self, find: Callable[[], Any], what: str) -> None:
        """Touches the widget `find` gives (on the Kivy thread; None while there is none), scrolled into
        view first, as a person would."""
        where = None
        # A screen that rebuilds its rows lays them out on the next frame (later on a busy machine).
        deadline = time.monotonic() + BUTTON_WAIT
        while where is None and time.monotonic() < deadline:
            if self.main(lambda: _scroll_to(find())):
                time.sleep(0.2)  # the scroll view moves its content on the next frame
            where = self.main(lambda: _place_of(find()))
            if where is None:
                time.sleep(0.1)
        if where is None:
            raise ScenarioError(f"no visible {what}; visible: {self.buttons()}")
        self.touch_at(*where)

    def in_view(self, text: str) -> bool:
        """Whether the visible button showing `text` lies whole on the window as the screen shows it, with
        no scrolling (a primary action below the fold is not: a person may never find it)."""

        def whole() -> bool:
            from kivy.core.window import Window
            from kivy.uix.scrollview import ScrollView

            button = next((b for b in visible_buttons(self.app.shell) if b.text.strip() == text), None)
            if button is None:
                return False
            left, bottom = button.to_window(button.x, button.y)
            right, top = button.to_window(button.right, button.top)
            if left < 0 or bottom < 0 or right > Window.width or top > Window.height:
                return False
            parent = button.parent
            while parent is not None and parent is not Window:
                if isinstance(parent, ScrollView):
                    _x, low = parent.to_window(parent.x, parent.y)
                    if bottom < low or top > low + parent.height:
                        return False
                parent = parent.parent
            return True

        time.sleep(0.3)  # laid out on the next frame
        return bool(self.main(whole))

    def watch_screens(self) -> Callable[[], int]:
        """Watches, every frame from now, how many screens the screen manager holds on the glass; the
        returned call stops and gives the most frames in a row that held two or more (a switch without a
        transition: 1, the frame the old screen leaves on; a 1.3 s transition: dozens)."""
        from kivy.clock import Clock

        most, run = [0], [0]

        def look(_dt: float) -> None:
            manager = self.app.shell.ids.manager  # a transition draws both screens (a shader's, off-tree)
            both = manager.transition.is_active or len(manager.children) > 1
            run[0] = run[0] + 1 if both else 0
            most[0] = max(most[0], run[0])

        event = self.main(lambda: Clock.schedule_interval(look, 0))

        def stop() -> int:
            self.main(event.cancel)
            return most[0]

        return stop

    def buttons(self) -> list[str]:
        return self.main(lambda: [b.text for b in visible_buttons(self.app.shell)])

    def button_with(self, part: str) -> str:
        """The text of the first visible button containing `part`, once the screen has laid it out."""
        deadline = time.monotonic() + BUTTON_WAIT
        while True:
            shown = self.buttons()
            found = next((label for label in shown if part in label), None)
            if found is not None:
                return found
            if time.monotonic() > deadline:
                raise ScenarioError(f"no visible button with {part!r}; visible: {shown}")
            time.sleep(0.1)

    def type_into(self, hint_or_label: str, words: str) -> None:
        """Touches a text field (found by its hint) and types into it, as the docked keyboard does."""

        def focus() -> tuple[float, float]:
            field = next((w for w in _text_inputs(self.app.shell) if hint_or_label in w.hint_text), None)
            if field is None:
                raise ScenarioError(f"no field with hint {hint_or_label!r}")
            x, y = field.to_window(*field.center)
            return float(x), float(y)

        self.touch_at(*self.main(focus))

        def typed() -> None:
            field = next(w for w in _text_inputs(self.app.shell) if w.focus)
            field.insert_text(words)
            field.dispatch("on_text_validate")

        self.main(typed)
        time.sleep(SETTLE)

    # Reading ----------------------------------------------------------------------------------

    def shown_texts(self) -> list[str]:
        """Every text of every widget the kiosk holds: all built screens, shown or not, and the frame."""

        def collect() -> list[str]:
            from kivy.core.window import Window

            return [text for widget in Window.children for text in _texts(widget)]

        return self.main(collect)

    def typed_texts(self) -> list[str]:
        """What the text fields of every built screen hold."""

        def collect() -> list[str]:
            from kivy.core.window import Window
            from kivy.uix.textinput import TextInput

            return [w.text for root in Window.children for w in _tree(root) if isinstance(w, TextInput)]

        return self.main(collect)

    def shot(self, name: str) -> None:
        from kivy.core.window import Window

        path = self.out / f"{self.prefix}-{name}.png"

        def take() -> tuple[Path, list[str]]:
            shot = Path(Window.screenshot(name=str(self.out / f".touch-{os.getpid()}.png")))
            return shot, clipped_labels(Window, Window.size)

        time.sleep(0.2)
        taken, clipped = self.main(take)
        self.clipped.extend(f"{name}: {problem}" for problem in clipped)
        from PIL import Image

        with Image.open(taken) as image:  # half size, 96 colours: small enough to keep under docs/
            small = image.convert("RGB").resize(
                (image.width // 2, image.height // 2), Image.Resampling.LANCZOS
            )
        small.quantize(colors=96).save(path, optimize=True)
        taken.unlink()
        self.shots.append(path.name)
        self.notes.setdefault("shot_at", {})[name] = round(time.monotonic() - self.began, 1)


class Hands:
    """A person's hands at the kiosk's card reader and QR scanner: the hall simulator page's buttons
    (firmware_sim/simulator), whose devices the kiosk reads from outside its process."""

    def __init__(self, url: str) -> None:
        import httpx

        self._client = httpx.Client(base_url=url, timeout=10.0)

    def _press(self, path: str, **form: str) -> str:
        answer = self._client.post(path, data=form)
        if answer.status_code != 303:
            raise ScenarioError(f"the hall simulator refused {path}: HTTP {answer.status_code}")
        from urllib.parse import unquote

        return unquote(answer.headers["location"].partition("msg=")[2])

    def tap_card(self, name: str, born: str = "") -> None:
        """The ID card of `name` (born on `born`, YYYY-MM-DD) laid on the reader."""
        said = self._press("/card", name=name, born=born)
        if name not in said:
            raise ScenarioError(f"the hall simulator did not place {name}'s card: {said}")

    def pull_card(self) -> None:
        self._press("/card/pull")

    def tap_sample(self, key: str) -> None:
        """A sample person's card of the simulator page (`expired`: a card past its date)."""
        self._press("/card", person=key)

    def show_qr(self, text: str) -> None:
        self._press("/qr", text=text)

    def show_eid(self, name: str, born: str = "") -> None:
        """The e-ID QR of `name` (the development issuer's, as the issuer's phone app shows it)."""
        said = self._press("/qr", eid_name=name, born=born)
        if name not in said:
            raise ScenarioError(f"the hall simulator did not show {name}'s e-ID: {said}")

    def show_sample_eid(self, person: str) -> None:
        """A sample person's e-ID QR code (of the simulator page's samples) held up to the scanner."""
        said = self._press("/qr", eid=person)
        if "电子身份证" not in said:
            raise ScenarioError(f"the hall simulator showed no e-ID: {said}")

    def lay_page(self) -> None:
        """A page laid on the document desk, under its camera (each capture sees a page)."""
        self._press("/desk", lying="1")

    def clear_desk(self) -> None:
        self._press("/desk", lying="0")

    def paper(self, loaded: bool) -> None:
        """The printer's paper taken out, or put back."""
        self._press("/printer", paper="1" if loaded else "0")

    def close(self) -> None:
        self._client.close()


def _scroll_to(widget: Any) -> bool:
    return widget is not None and _scroll_into_view(widget)


def _place_of(widget: Any) -> tuple[float, float] | None:
    return None if widget is None else widget.to_window(*widget.center)


def _shown(widget: Any) -> bool:
    return bool(widget.opacity > 0 and widget.width > 1 and widget.height > 1)


def _walk_visible(widget: Any) -> Iterator[Any]:
    from kivy.uix.screenmanager import ScreenManager

    if not _shown(widget):
        return
    yield widget
    children = widget.children
    if isinstance(widget, ScreenManager):  # only the shown screen is on the glass
        children = [widget.current_screen] if widget.current_screen is not None else []
    for child in children:
        yield from _walk_visible(child)


def visible_buttons(root: Any) -> list[Any]:
    """Buttons a person sees: every ancestor shown, the button itself enabled."""
    from kivy.uix.button import Button

    return [w for w in _walk_visible(root) if isinstance(w, Button) and not w.disabled and w.text.strip()]


def _text_inputs(root: Any) -> list[Any]:
    from kivy.uix.textinput import TextInput

    return [w for w in _walk_visible(root) if isinstance(w, TextInput)]


def _scroll_into_view(widget: Any) -> bool:
    """Scrolls the scroll view holding `widget` until it is whole on the window; True if it moved."""
    from kivy.core.window import Window
    from kivy.uix.scrollview import ScrollView

    parent = widget.parent
    while parent is not None and parent is not Window:
        if isinstance(parent, ScrollView):
            _x, bottom = parent.to_window(parent.x, parent.y)
            _x, low = widget.to_window(widget.x, widget.y)
            _x, high = widget.to_window(widget.x, widget.top)
            if low >= bottom and high <= bottom + parent.height:
                return False
            parent.scroll_to(widget, padding=40, animate=False)
            return True
        parent = parent.parent
    return False


def _tree(widget: Any) -> Iterator[Any]:
    """A widget and everything beneath it (screens not shown included)."""
    from kivy.uix.screenmanager import ScreenManager

    yield widget
    children = list(widget.screens) if isinstance(widget, ScreenManager) else list(widget.children)
    for child in children:
        yield from _tree(child)


def _texts(widget: Any) -> Iterator[str]:
    for each in _tree(widget):
        for name in ("text", "hint_text"):
            value = getattr(each, name, None)
            if isinstance(value, str) and value:
                yield value


def clipped_labels(root: Any, window_size: tuple[float, float]) -> list[str]:
    """Labels whose text does not fit their box, or that stick out of the window."""
    from kivy.uix.label import Label
    from kivy.uix.scrollview import ScrollView

    problems: list[str] = []

    def visit(widget: Any, in_scroll: bool, visible: bool) -> None:
        visible = visible and widget.opacity > 0 and widget.height > 1 and widget.width > 1
        if not visible:
            return
        if isinstance(widget, Label) and widget.text and not widget.shorten:
            widget.texture_update()
            text_w, text_h = widget.texture_size
            tolerance = 2
            too_tall = text_h > widget.height + tolerance
            too_wide = text_w > widget.width + tolerance
            if too_tall or too_wide:
                problems.append(
                    f"{widget.text[:30]!r}: text {text_w:.0f}x{text_h:.0f} "
                    f"in box {widget.width:.0f}x{widget.height:.0f}"
                )
            if not in_scroll:
                x, y = widget.to_window(widget.x, widget.y)
                if (
                    x < -tolerance
                    or y < -tolerance
                    or x + widget.width > window_size[0] + tolerance
                    or y + widget.height > window_size[1] + tolerance
                ):
                    problems.append(f"{widget.text[:30]!r}: outside the window at {x:.0f},{y:.0f}")
        for child in widget.children:
            visit(child, in_scroll or isinstance(widget, ScrollView), visible)

    visit(root, False, True)
    return problems


def main(argv: list[str] | None = None, scenarios: str = "tools.kiosk_tour") -> int:
    parser = argparse.ArgumentParser(description="the kiosk touched under Xvfb")
    parser.add_argument("--scenario", required=True, help=f"NAME (of {scenarios}) or MODULE:NAME")
    parser.add_argument("--case-service-url", required=True)
    parser.add_argument("--device-id", default="kiosk-touch", help="the kiosk enrolled at the case service")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--prefix", default="kiosk-touch", help="screenshots: PREFIX-ORIENTATION-NAME.png")
    parser.add_argument("--language", default="zh")
    parser.add_argument("--orientation", choices=("portrait", "landscape"), default="portrait")
    parser.add_argument("--args", default="{}", help="JSON: the scenario's own arguments")
    parser.add_argument("--controller-url", default="", help="the running hall controller (else simulated)")
    parser.add_argument(
        "--stuck-after", type=float, default=0.0, help="seconds; then every thread's stack to stderr, exit"
    )
    args = parser.parse_args(argv)
    if args.stuck_after > 0:  # before the caller's time-out kills this process, say where it stuck
        faulthandler.dump_traceback_later(args.stuck_after, exit=True)

    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    os.environ["HALL_KIOSK__ORIENTATION"] = args.orientation
    # The kiosk as `hall kiosk` builds it: the case service at this URL, as this enrolled kiosk (its
    # credential file in the data folder, written by the caller).
    os.environ["HALL_CASE__PUBLIC_URL"] = args.case_service_url
    os.environ["HALL_KIOSK__DEVICE_ID"] = args.device_id
    if args.controller_url:  # the hall link as `hall kiosk` makes it, to this controller
        controller = urlsplit(args.controller_url)
        os.environ["HALL_CONTROLLER__HOST"] = controller.hostname or "127.0.0.1"
        os.environ["HALL_CONTROLLER__PORT"] = str(controller.port or 80)
    else:
        os.environ["HALL_KIOSK__HALL_LINK"] = "sim"  # no controller: queue and lockers not used
    from hall.settings import load_settings

    settings = load_settings()
    (settings.data_dir / "kivy").mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("KIVY_HOME", str((settings.data_dir / "kivy").resolve()))
    from kivy.config import Config

    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "keyboard_mode", "systemanddock")  # as `hall kiosk`: the on-screen keyboard docks
    from kiosk.app import KioskApp
    from kiosk.wiring import build_kiosk, ports_for

    if not settings.kiosk.simulator_url:
        raise SystemExit("HALL_KIOSK__SIMULATOR_URL: the hall simulator whose devices the kiosk uses")
    # The case service, hall link, card reader, QR scanner, desk and printer as configured (the hall
    # simulator's devices, outside this process).
    ports = ports_for(settings, card_recheck_seconds=0.3)
    hands = Hands(settings.kiosk.simulator_url)
    kiosk = build_kiosk(settings, ports, watch_interval=0.05, service_check_every=0.5)
    app = KioskApp(settings, kiosk)
    kiosk.connect(app.post)
    args.out.mkdir(parents=True, exist_ok=True)
    finger = Finger(app, kiosk, args.out, f"{args.prefix}-{args.orientation}")
    module, _, name = args.scenario.rpartition(":")
    scenario = getattr(importlib.import_module(module or scenarios), name)
    report: dict[str, Any] = {
        "failed": "",
        "notes": finger.notes,
        "shots": finger.shots,
        "clipped": finger.clipped,
    }

    def run() -> None:
        ready = settings.data_dir / "run" / f"{settings.kiosk.device_id}.ready"
        deadline = time.monotonic() + 60
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        try:
            scenario(finger, hands, args.language, **json.loads(args.args))
        except BaseException as err:
            report["failed"] = f"{type(err).__name__}: {err}\n{traceback.format_exc()[-2500:]}"
        finally:
            finger.main(app.stop)

    threading.Thread(target=run, name="scenario", daemon=True).start()
    try:
        app.run()
    except Exception as err:
        report["failed"] = report["failed"] or f"{type(err).__name__}: {err}"
    finally:
        kiosk.stop()
        hands.close()
        stdout = sys.__stdout__ or sys.stdout
        stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
        stdout.flush()
    return 1 if report["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
