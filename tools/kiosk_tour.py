"""The screen tour and the bench's journey, touch by touch (run inside the kiosk's process by
tools/kiosk_touch.py), against the real case service, the running hall controller and the hall simulator.

`tour`: every screen in each language, reached by touching, each shot (and checked for clipped labels):
the person's whole day at the kiosk, with the faults made by real means (the case service's connection cut
by the caller's cable, the printer's paper taken out on the hall simulator). `timing`: the bench's moments,
several times over, each beside a plain screen switch touched in the same run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from kiosk.flow.model import Device, Language, VerifyReason
from kiosk.messages import text
from tools.kiosk_touch import Finger, Hands, ScenarioError, visible_buttons

FOOD = "食品(含保健食品)经营许可"  # a catalogue item with several required materials
PHONE = "13812345678"


def _settled(screen: str) -> Callable[[Any], bool]:
    return lambda s: s.screen.value == screen and not (s.session and s.session.busy)


def _notice(key: str) -> Callable[[Any], bool]:
    return lambda s: bool(
        s.session and not s.session.busy and s.session.notice and s.session.notice.key == key
    )


def _showing(screen: str, part: str) -> Callable[[Any], bool]:
    """The screen settled, the session holding something of `part` (cases, certificates, items …)."""
    return lambda s: _settled(screen)(s) and bool(getattr(s.session, part, None))


def _captured(count: int) -> Callable[[Any], bool]:
    return lambda s: bool(s.session and not s.session.busy and len(s.session.captured) >= count)


def _printed(s: Any) -> bool:
    notice = s.session.notice if s.session else None
    return bool(notice and notice.key.startswith("printed_") and not s.session.busy)


def _verdict(reason: VerifyReason, offline: bool) -> Callable[[Any], bool]:
    def check(s: Any) -> bool:
        found = s.session.verification if s.session else None
        return found is not None and found.reason is reason and found.offline is offline

    return check


class Tour:
    """One person's touches in one language (`t` gives this language's words)."""

    def __init__(self, finger: Finger, hands: Hands, language: str) -> None:
        self.finger, self.hands, self.language = finger, hands, language

    def t(self, key: str) -> str:
        return text(key, Language(self.language))

    def start(self) -> None:
        """From the attract screen to the identify screen."""
        self.finger.screen("attract")
        self.finger.touch_at(300, 300)
        self.finger.screen("language")

    def choose_language(self) -> None:
        self.finger.touch("中文" if self.language == "zh" else "English")
        self.finger.screen("identify")

    def service(self, key: str, check: Callable[[Any], bool], what: str) -> Any:
        """A service of the menu touched, until its screen shows `check`."""
        self.finger.touch(self.t(f"service_{key}"), exact=False)
        return self.finger.wait(check, what)

    def home(self) -> None:
        self.finger.touch(self.t("home"))
        self.finger.screen("menu")

    def leave(self) -> None:
        """结束办理 (confirmed if asked), back to the attract screen."""
        self.finger.touch(self.t("finish"))
        state = self.finger.wait(
            lambda s: s.screen.value == "attract" or bool(s.session and s.session.confirm_finish), "the end"
        )
        if state.screen.value != "attract":
            self.finger.touch(self.t("finish_yes"))
            self.finger.screen("attract")

    def open_item(self, service: str) -> None:
        """Apply or guide, then the food licence's row, then its page."""
        self.service(service, _showing("guide", "items"), "the guide")
        self.finger.touch(self.finger.button_with(FOOD))
        self.finger.screen("item")

    def apply(self, phone: str = "", shot: str = "") -> None:
        """From the item's page through the form (the phone typed on its digit pad) to the capture screen."""
        self.finger.touch(self.finger.button_with(self.t("apply_now")))
        self.finger.screen("apply_form")
        if phone:
            self.finger.touch("C")
            for digit in phone:
                self.finger.touch(digit)
            self.finger.wait(lambda s: bool(s.session and s.session.form_value("phone") == phone), "phone")
        if shot:
            self.finger.shot(shot)
        self.finger.touch(self.t("next"))
        self.finger.screen("apply_capture")

    def capture(self, count: int, code: str) -> None:
        """拍摄 touched on `code`'s row, the page on the desk captured (the session's `count`th)."""
        self.finger.touch_widget(self.capture_button(code), f"the capture button of {code}")
        self.finger.wait(_captured(count), f"capture {count}")

    def capture_button(self, code: str) -> Callable[[], Any]:
        """The 拍摄 button of `code`'s row (on the Kivy thread), or None."""
        label, shell = self.t("capture"), self.finger.app.shell
        return lambda: next(
            (b for b in visible_buttons(shell) if b.text.strip() == label and _row_code(b) == code), None
        )

    def missing(self) -> tuple[str, ...]:
        """The required materials not given yet."""
        return tuple(self.finger.state.session.missing_materials())

    def submit(self) -> Any:
        self.finger.touch(self.t("submit"))
        return self.finger.wait(lambda s: _settled("apply_done")(s) and _printed(s), "the paper printed")


def _row_code(widget: Any) -> str:
    """The material code of the capture screen's row holding `widget`."""
    while widget is not None and not getattr(widget, "code", ""):
        widget = getattr(widget, "parent", None)
    return str(widget.code) if widget is not None else ""


def _nothing_of(finger: Finger, earlier: list[str]) -> None:
    """No widget of any screen shows or holds anything of the people who used the kiosk before."""
    from firmware_sim.simulator.bench import named_person
    from hall.privacy import mask_id_number, mask_name

    parts = set()
    for name in earlier:
        person = named_person(name)
        parts |= {name, person.id_number, mask_name(name), mask_id_number(person.id_number)}
    everything = finger.shown_texts() + finger.typed_texts()
    left = sorted({part for text in everything for part in parts if part in text})
    if left:
        raise ScenarioError(f"the kiosk still shows or holds an earlier person's {left}")


def _cable(url: str, action: str) -> None:
    """The case service's network cable (the caller's relay, outside this process) cut or mended."""
    answer = httpx.post(f"{url}/{action}", timeout=10)
    if answer.status_code != 200:
        raise ScenarioError(f"the cable did not {action}: HTTP {answer.status_code}")


def tour(
    finger: Finger,
    hands: Hands,
    language: str,
    *,
    languages: list[str],
    people: dict[str, str],
    certificates: dict[str, str],
    revoked: str,
    cable: str,
) -> None:
    """Every screen in each of `languages`, by touch: `people[lang]` holds a sealed certificate (its QR
    `certificates[lang]`) and a deposit in the controller's locker bank; `revoked` is a revoked
    certificate's QR; `cable` cuts and mends the case service's connection."""
    finger.screen("attract")
    finger.shot("attract")
    for lang in languages:
        go = Tour(finger, hands, lang)
        t, name = go.t, people[lang]
        go.start()
        finger.shot("language")
        go.choose_language()
        finger.shot(f"identify-{lang}")
        finger.touch(t("method_phone"))
        finger.wait(lambda s: bool(s.session and s.session.identify_method), "the phone sign-in")
        finger.shot(f"identify-phone-{lang}")
        hands.tap_sample("expired")
        finger.wait(_notice("card_expired"), "the expired card refused")
        finger.shot(f"identify-card_expired-{lang}")
        hands.pull_card()
        finger.wait(lambda s: not s.card_present, "the expired card taken")
        hands.tap_card(name)
        finger.screen("menu")
        _nothing_of(finger, [people[before] for before in languages[: languages.index(lang)]])
        finger.shot(f"menu-{lang}")
        hands.pull_card()
        finger.wait(lambda s: not s.card_present, "the card taken")
        # The guide, an item, its guide printed; an application with one page of several.
        go.open_item("guide")
        finger.shot(f"item-{lang}")
        finger.touch(t("print_guide"))
        finger.wait(_notice("printed_guide"), "the guide printed")
        hands.lay_page()
        go.apply(PHONE, shot=f"apply_form-{lang}")
        go.capture(1, go.missing()[0])  # the first required material of several
        finger.shot(f"apply_capture-{lang}")
        go.submit()
        finger.shot(f"apply_done-notice-{lang}")
        go.home()
        # Again, every material given.
        go.open_item("apply")
        go.apply()
        while go.missing():  # each required material's page
            go.capture(len(finger.state.session.captured) + 1, go.missing()[0])
        go.submit()
        finger.shot(f"apply_done-complete-{lang}")
        go.home()
        go.service("guide", _showing("guide", "items"), "the guide")
        finger.shot(f"guide-{lang}")
        go.home()
        for key, shown in (("progress", "cases"), ("certificates", "certificates")):
            go.service(key, _showing(key, shown), key)
            finger.shot(f"{key}-{lang}")
            if key == "certificates":
                finger.touch(t("print_original"))
                finger.wait(_notice("printed_certificate"), "the certificate printed")
            go.home()
        go.service("ticket", _notice("printed_ticket"), "the ticket printed")
        finger.shot(f"ticket-{lang}")
        go.home()
        go.service("pickup", _showing("pickup", "pickup"), "the locker")
        finger.shot(f"pickup-{lang}")
        go.home()
        for key in ("rating", "complaint"):
            go.service(key, _showing(key, "cases"), key)
            finger.shot(f"{key}-{lang}")
            if key == "complaint":  # 对大厅投诉: a complaint about the hall itself, from under the cases
                finger.touch("!  " + t("hall_complaint_entry"))
                finger.screen("hall_complaint")
                finger.shot(f"hall_complaint-{lang}")
            go.home()
        # 证照核验: the person's certificate (valid), a revoked one, then valid with the service away.
        go.service("verify", _settled("verify"), "the verify screen")
        finger.shot(f"verify-{lang}")
        for qr, reason, offline, shot in (
            (certificates[lang], VerifyReason.VALID, False, "verify-valid"),
            (revoked, VerifyReason.REVOKED, False, "verify-revoked"),
            (certificates[lang], VerifyReason.VALID, True, "verify-offline"),
        ):
            if offline:
                _cable(cable, "cut")
                finger.wait(lambda s: not s.service_online, "the case service seen away")
            hands.show_qr(qr)
            finger.wait(_verdict(reason, offline), f"{reason.value} verdict")
            finger.shot(f"{shot}-{lang}")
        go.home()
        finger.shot(f"menu-offline-{lang}")
        _cable(cable, "mend")
        finger.wait(lambda s: s.service_online, "the case service back")
        # The printer out of paper: printing a copy shows the fault screen.
        hands.paper(False)
        finger.wait(lambda s: Device.PRINTER in s.broken, "the printer's fault seen")
        go.service("certificates", _showing("certificates", "certificates"), "")
        finger.touch(t("print_copy"))
        finger.screen("fault")
        finger.shot(f"fault-{lang}")
        hands.paper(True)
        finger.wait(lambda s: Device.PRINTER not in s.broken, "the paper back")
        go.home()
        finger.touch(t("elder_mode"), exact=False)
        finger.wait(lambda s: bool(s.session and s.session.elder), "elder mode")
        finger.shot(f"menu-elder-{lang}")
        finger.touch(t("elder_mode"), exact=False)
        finger.wait(lambda s: bool(s.session and not s.session.elder), "elder mode off")
        # The card laid again and left; the person walks away: the countdown, then the reminder.
        hands.tap_card(name)
        finger.wait(lambda s: s.card_present, "the card on the reader")
        finger.wait(lambda s: s.countdown is not None, "the countdown", timeout=90)
        finger.shot(f"countdown-{lang}")
        finger.wait(lambda s: s.screen.value == "attract" and s.session is None, "the end", timeout=90)
        finger.shot(f"attract-take-card-{lang}")
        hands.pull_card()
        finger.wait(lambda s: not s.card_present, "the card taken")


class Stopwatch:
    """Seconds from a moment (a touch's press, a card laid) to the first frame whose state passes a check."""

    def __init__(self, finger: Finger) -> None:
        self.finger = finger
        self.timings: dict[str, list[float]] = finger.notes.setdefault("timings", {})

    def until(self, name: str, since: float, check: Callable[[Any], bool], timeout: float = 60.0) -> None:
        finger = self.finger
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = finger.main(lambda: finger.app.core.state)  # answered on the Kivy thread's next frame
            busy = bool(state.session and state.session.busy) or not finger.kiosk.runner.idle()
            if not busy and check(state):
                self.timings.setdefault(name, []).append(time.monotonic() - since)
                time.sleep(0.15)
                return
            time.sleep(0.01)
        raise ScenarioError(f"{name}: not done within {timeout:.0f} s; at {finger.state.screen}")

    def touched(self, name: str, label: str, check: Callable[[Any], bool]) -> None:
        self.finger.touch(label)
        self.until(name, self.finger.pressed_at, check)


def timing(
    finger: Finger, hands: Hands, language: str, *, name: str, repetitions: int, complete: str
) -> None:
    """The bench's moments, `repetitions` times: card tap to greeting, capture to clean page, print to job
    done, a plain screen switch (the anchor); and the whole of a complete application of `complete` (an
    item with no material list) from the card laid on the reader to the submission receipt printed, beside
    the finger's own time in it (presses and pauses)."""
    go, watch = Tour(finger, hands, language), Stopwatch(finger)
    hands.lay_page()
    for _round in range(repetitions):
        go.start()
        go.choose_language()
        laid = time.monotonic()
        hands.tap_card(name)
        watch.until("card tap to greeting", laid, _settled("menu"))
        hands.pull_card()
        finger.wait(lambda s: not s.card_present, "the card taken")
        go.open_item("apply")
        go.apply()
        while go.missing():  # each required material's page
            count, code = len(finger.state.session.captured) + 1, go.missing()[0]
            finger.touch_widget(go.capture_button(code), f"the capture button of {code}")
            watch.until("capture to clean page on screen", finger.pressed_at, _captured(count))
        go.submit()
        watch.touched("screen switch (anchor)", go.t("home"), _settled("menu"))
        go.service("certificates", _showing("certificates", "certificates"), "certs")
        label = finger.button_with(go.t("print_copy")[:2])  # 打印正本 the first time, 打印副本 after
        watch.touched("print request to job done", label, _notice("printed_certificate"))
        watch.touched("screen switch (anchor)", go.t("home"), _settled("menu"))
        go.leave()
        # A complete application, card to receipt in hand, the finger's pauses included.
        go.start()
        go.choose_language()
        pressed = finger.finger_seconds
        laid = time.monotonic()
        hands.tap_card(name)
        finger.screen("menu")
        hands.pull_card()
        go.service("apply", _showing("guide", "items"), "the guide")
        finger.touch(finger.button_with(complete))
        finger.screen("item")
        go.apply()
        finger.touch(go.t("submit"))
        watch.until("card tapped to submission receipt printed", laid, _printed)
        watch.timings.setdefault("the finger's own time in it", []).append(finger.finger_seconds - pressed)
        go.leave()
