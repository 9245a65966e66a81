"""What people do at the kiosk, touch by touch (run inside the app's process by tools/kiosk_touch.py).

Each scenario is `name(finger, reader, language, **args)`; it raises ScenarioError (or AssertionError)
when the kiosk does not do what the person expects, and leaves its findings in `finger.notes`. `reader` is
the person's hands at the kiosk's card reader and QR scanner: the buttons of the hall simulator's page
(tools/kiosk_touch.py `Hands`), whose devices live outside the kiosk's process.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from firmware_sim.simulator.bench import named_person
from kiosk.flow.model import Language
from kiosk.messages import text
from tools.kiosk_touch import Finger, ScenarioError, _text_inputs, visible_buttons


def _t(key: str, language: str) -> str:
    return text(key, Language(language))


def start(finger: Finger, language: str) -> None:
    """From the attract screen to the identify screen, by touch."""
    finger.screen("attract")
    finger.touch_at(300, 300)
    finger.screen("language")
    finger.touch("中文" if language == "zh" else "English")
    finger.screen("identify")


def person(name: str, born: str = "") -> Any:
    """The person whose card the hall simulator makes for `name` (an ID number of their own)."""
    return named_person(name, dt.date.fromisoformat(born)) if born else named_person(name)


def sign_in(finger: Finger, reader: Any, name: str, born: str = "") -> None:
    """The person's ID card on the reader, then taken off after the greeting."""
    reader.tap_card(name, born)
    finger.screen("menu")
    reader.pull_card()
    finger.wait(lambda s: not s.card_present, "the card taken")


def identify_buttons(finger: Finger, reader: Any, language: str) -> None:
    """Both buttons under the card prompt answer a touch: 证照核验 opens, the phone sign-in opens. No frame
    meanwhile shows two screens at once (they drew over each other during transitions)."""
    start(finger, language)
    stop_watching = finger.watch_screens()
    finger.shot(f"identify-{language}")
    finger.touch("√  " + _t("verify_entry", language))
    finger.screen("verify", timeout=5)
    finger.shot(f"verify-from-identify-{language}")
    finger.touch(_t("back", language))
    finger.screen("identify", timeout=5)
    finger.touch(_t("method_phone", language))
    state = finger.wait(
        lambda s: bool(s.session and s.session.identify_method), "the phone sign-in", timeout=5
    )
    finger.notes["method"] = state.session.identify_method.value
    keys = [label for label in finger.buttons() if label in {"1", "2", "0"}]
    if len(keys) != 3:
        raise ScenarioError(f"the phone keypad is not shown: {finger.buttons()}")
    finger.shot(f"identify-phone-{language}")
    finger.notes["frames_overlapping"] = stop_watching()


def every_button(finger: Finger, reader: Any, language: str, name: str) -> None:
    """On each screen reached by touch, every visible button does something: the screen, the state or the
    message shown changes. (A button under a hidden layer changes nothing.)"""
    start(finger, language)
    dead: list[str] = []

    def probe(screen: str, skip: set[str]) -> None:
        for label in finger.buttons():
            if label in skip:
                continue
            before = _what_counts(finger.state)
            shown_before = finger.shown_texts()
            finger.touch(label)
            after = finger.wait(lambda s: True, "quiet")
            if _what_counts(after) == before and finger.shown_texts() == shown_before:
                dead.append(f"{screen}: {label!r}")
            # back to where we were, the way a person would
            if after.screen.value != screen:
                finger.touch(_t("back", language))
                finger.screen(screen, timeout=10)
            finger.notes.setdefault("touched", []).append(f"{screen}: {label}")

    frame = {_t(k, language) for k in ("finish", "home", "back")}
    probe("identify", frame)
    sign_in(finger, reader, name)
    probe("menu", frame)
    if dead:
        raise ScenarioError(f"buttons that do nothing: {dead}")


def _what_counts(state: Any) -> Any:
    """The state without the idle clock (any touch, even on a dead spot, resets it)."""
    from dataclasses import replace

    return replace(state, idle_seconds=0.0, countdown=None, card_present_seconds=0.0)


def next_person(finger: Finger, reader: Any, language: str, first: str, second: str, leave: str) -> None:
    """Person A signs in, searches the guide, fills the form (phone) and leaves — by 结束办理 or by walking
    away. Person B then signs in: nothing A typed or was shown is held by any widget of any screen."""
    start(finger, language)
    sign_in(finger, reader, first)
    finger.touch(_t("service_apply", language), exact=False)
    finger.screen("guide")
    query = "食品"
    finger.wait(lambda s: bool(s.session and s.session.catalogue), "the catalogue")
    _open_facet(finger, "category", language)  # browses a theme first
    finger.touch(_t("value_经营类", language))
    finger.wait(_browsing("category", "经营类"), "the theme")
    finger.touch(_t("keyboard_pinyin", language))  # then types 食品 on the pinyin keyboard
    for letter in "shipin":
        finger.touch(letter)
    finger.touch(query)
    finger.wait(lambda s: bool(s.session and s.session.query == query and not s.session.busy), "the search")
    finger.touch(_t("keyboard_pinyin", language))  # and leaves letters typed, their candidates shown
    for letter in "sp":
        finger.touch(letter)
    if not finger.main(lambda: _guide(finger).ids.candidates.children):
        raise ScenarioError("no candidates for sp: the wipe of them would prove nothing")
    rows = [label for label in finger.buttons() if "食品(含保健食品)经营许可" in label]
    if not rows:
        raise ScenarioError(f"no 食品经营许可 row to touch: {finger.buttons()}")
    finger.touch(rows[0])
    finger.screen("item")
    apply_label = finger.button_with(_t("apply_now", language))
    finger.touch(apply_label)
    finger.screen("apply_form")
    phone = "13912345678"
    finger.touch("C")  # typed on the form's digit pad
    for digit in phone:
        finger.touch(digit)
    finger.wait(lambda s: bool(s.session and s.session.form_value("phone") == phone), "the phone typed")
    person_a = person(first)
    before = finger.shown_texts()
    finger.notes["a_seen"] = [t for t in before if person_a.name[-1] in t or phone in t][:5]
    if leave == "finish":
        finger.touch(_t("finish", language))
        finger.wait(lambda s: bool(s.session and s.session.confirm_finish), "the question")
        finger.touch(_t("finish_yes", language))  # the application is half made: asked first
    else:  # walks away: the idle timeout and its countdown (short in this test's settings) run out
        finger.wait(lambda s: s.countdown is not None, "the countdown", timeout=60)
    finger.screen("attract", timeout=60)
    finger.touch_at(300, 300)
    finger.screen("language")
    finger.touch("中文" if language == "zh" else "English")
    finger.screen("identify")
    sign_in(finger, reader, second)
    finger.touch(_t("service_apply", language), exact=False)
    finger.screen("guide")
    finger.shot(f"next-person-guide-{leave}")
    everything = finger.shown_texts()
    person_a_parts = {person_a.name, person_a.id_number, phone}
    from hall.privacy import mask_id_number, mask_name, mask_phone

    person_a_parts |= {mask_name(person_a.name), mask_id_number(person_a.id_number), mask_phone(phone)}
    left = sorted({part for part in person_a_parts for shown in everything if part and part in shown})
    left += [f"search words {query!r}" for typed in finger.typed_texts() if query in typed or "sp" in typed]
    guide = finger.main(
        lambda: {
            "candidates": [b.text for b in _guide(finger).ids.candidates.children],
            "browsing": _guide(finger).browsing,
            "keyboard_open": _guide(finger).keyboard_open,
            "chips": sorted(getattr(b, "value", "") for b in _guide(finger).ids.chips.children),
        }
    )
    finger.notes["guide_after"] = guide
    if guide["candidates"] or guide["browsing"] or guide["keyboard_open"] or any(guide["chips"]):
        left.append(f"the guide's keyboard or browsing: {guide}")
    finger.notes["left"] = left
    if left:
        raise ScenarioError(f"person B's kiosk still holds person A's {left}")


def rate(finger: Finger, reader: Any, language: str, name: str, case: str) -> None:
    """A person with a finished case rates it with five stars: the kiosk thanks them."""
    start(finger, language)
    sign_in(finger, reader, name)
    finger.touch(_t("service_rating", language), exact=False)
    finger.wait(lambda s: s.screen.value == "rating" and bool(s.session and s.session.cases), "the cases")
    finger.shot(f"rating-{language}")
    finger.touch("★★★★★")
    state = finger.wait(lambda s: bool(s.session and s.session.notice), "an answer to the rating")
    finger.notes["notice"] = state.session.notice.key
    finger.shot(f"rating-done-{language}")
    if state.session.notice.key != "thanks_rating":
        raise ScenarioError(f"the rating was answered with {state.session.notice.key}")


def apply_without_a_list(
    finger: Finger, reader: Any, language: str, name: str, query: str, phone: str = ""
) -> None:
    """Applies for an item with no material list: the kiosk must not say 材料齐全 nor 已受理. Measures the
    seconds from the card laid on the reader to the receipt printed (the finger's touches included)."""
    import time

    start(finger, language)
    card_laid = time.monotonic()
    sign_in(finger, reader, name)
    finger.touch(_t("service_apply", language), exact=False)
    finger.screen("guide")
    finger.type_into(_t("search_hint", language)[:4], query)
    finger.wait(lambda s: bool(s.session and s.session.query == query and s.session.items), "the search")
    finger.touch(finger.button_with(query))
    finger.screen("item")
    finger.touch(_t("apply_now", language))
    finger.screen("apply_form")
    if phone:  # typed on the form's digit pad
        finger.touch("C")
        for digit in phone:
            finger.touch(digit)
        finger.wait(lambda s: bool(s.session and s.session.form_value("phone") == phone), "the phone typed")
        finger.notes["phone_on_form"] = [t for t in finger.shown_texts() if phone[-4:] in t]
    finger.touch(_t("next", language))
    finger.screen("apply_capture")
    finger.notes["submit_in_view"] = finger.in_view(_t("submit", language))
    finger.shot(f"apply_capture-no-list-{language}")
    finger.notes["capture_screen"] = finger.main(lambda: _screen_texts(finger, "apply_capture"))
    finger.touch(_t("submit", language))
    state = finger.wait(
        lambda s: s.screen.value == "apply_done" and bool(s.session and s.session.notice), "the outcome"
    )
    finger.shot(f"apply_done-submitted-{language}")
    finger.notes["case"] = state.session.outcome.case_id
    finger.notes["done_screen"] = finger.main(lambda: _screen_texts(finger, "apply_done"))
    finger.notes["printed_notice"] = state.session.notice.key
    finger.wait(
        lambda s: bool(s.session and s.session.notice and s.session.notice.key.startswith("printed_")),
        "the receipt printed",
    )
    finger.notes["card_to_notice_seconds"] = round(time.monotonic() - card_laid, 2)


def _screen_texts(finger: Finger, name: str) -> list[str]:
    from tools.kiosk_touch import _texts

    return list(_texts(finger.app.root_screen(name)))


def _searched(words: str) -> Any:
    return lambda state: bool(state.session and state.session.query == words)


def guide_words(finger: Finger, reader: Any, language: str, name: str) -> None:
    """The guide lists the whole catalogue; each quick word and the hint's example, touched or typed, finds
    items of the real catalogue."""
    start(finger, language)
    sign_in(finger, reader, name)
    finger.touch(_t("service_guide", language), exact=False)
    finger.wait(lambda s: s.screen.value == "guide" and bool(s.session and s.session.items), "the list")
    finger.shot(f"guide-catalogue-{language}")
    finger.notes["listed"] = len([label for label in finger.buttons() if "\n" in label])
    chips = finger.main(lambda: [b.text for b in finger.app.root_screen("guide").ids.chips.children])
    found: dict[str, int] = {}
    for chip in chips:
        finger.touch(chip)
        state = finger.wait(_searched(chip), f"results of {chip}")
        found[chip] = len(state.session.items)
    hint = finger.main(lambda: finger.app.root_screen("guide").ids.query.hint_text)
    example = hint.split("“")[-1].rstrip("”")
    finger.main(lambda: setattr(finger.app.root_screen("guide").ids.query, "text", ""))
    finger.type_into(hint[:4], example)
    state = finger.wait(lambda s: bool(s.session and s.session.query == example), "the example's results")
    found[f"hint: {example}"] = len(state.session.items)
    finger.notes["found"] = found


def second_ticket(finger: Finger, reader: Any, language: str, name: str) -> None:
    """A person takes a ticket, then touches 取号 again: the controller refuses, and the kiosk says why."""
    start(finger, language)
    sign_in(finger, reader, name)
    notices = []
    for _visit in range(2):
        finger.touch(_t("service_ticket", language), exact=False)
        state = finger.wait(lambda s: bool(s.session and s.session.notice), "an answer to the ticket")
        notices.append(state.session.notice.key)
        if state.session.ticket is not None:
            finger.notes["ticket"] = state.session.ticket.number
        finger.shot(f"ticket-{len(notices)}-{language}")
        finger.touch(_t("home", language))
        finger.screen("menu")
    finger.notes["notices"] = notices


def _guide(finger: Finger) -> Any:
    return finger.app.root_screen("guide")


def _ids_texts(finger: Finger, box: str) -> list[str]:
    return finger.main(lambda: [b.text for b in reversed(_guide(finger).ids[box].children)])


def _rows(finger: Finger) -> list[str]:
    """The items listed (their first line: the Chinese name)."""
    return finger.main(
        lambda: [b.text.split("\n")[0] for b in reversed(_guide(finger).ids.item_list.children)]
    )


def _type_and_pick(finger: Finger, language: str, letters: str, word: str, shot: str) -> Any:
    """The pinyin keyboard opened, `letters` touched key by key (what is offered and typed noted, the
    screen shot), then the candidate `word` touched: the state once its search has found items."""
    finger.touch(_t("keyboard_pinyin", language))
    for letter in letters:
        finger.touch(letter)
    offered = _ids_texts(finger, "candidates")
    finger.notes["offered"] = offered
    finger.notes["typed"] = finger.main(lambda: _guide(finger).ids.query.text)
    finger.shot(shot)
    if word not in offered:
        raise ScenarioError(f"{letters} offers no {word}: {offered}")
    finger.touch(word)
    return finger.wait(lambda s: bool(s.session and s.session.query == word and s.session.items), word)


def pinyin_search(finger: Finger, reader: Any, language: str, name: str) -> None:
    """Chinese without a keyboard: s-h-i-p-i-n on the kiosk's pinyin keyboard offers 食品 (from the
    catalogue's names), touched it finds 食品 items; s-p-j-y and 搜索 find 食品经营许可 by its initials."""
    start(finger, language)
    sign_in(finger, reader, name)
    finger.touch(_t("service_guide", language), exact=False)
    finger.wait(lambda s: s.screen.value == "guide" and bool(s.session and s.session.catalogue), "the list")
    finger.shot(f"guide-{language}")
    finger.notes["rows_shown"] = finger.main(
        lambda: [b.text for b in _guide(finger).ids.item_list.children][:3]
    )
    state = _type_and_pick(finger, language, "shipin", "食品", f"guide-pinyin-keyboard-{language}")
    finger.notes["shipin_found"] = [item.name_zh for item in state.session.items]
    finger.notes["shipin_rows"] = _rows(finger)
    finger.shot(f"guide-pinyin-found-{language}")
    finger.touch(_t("keyboard_pinyin", language))
    finger.touch(_t("key_clear", language))
    for letter in "spjy":
        finger.touch(letter)
    finger.touch(_t("search", language))
    state = finger.wait(
        lambda s: bool(s.session and s.session.query == "spjy" and not s.session.busy), "spjy"
    )
    finger.notes["initials_found"] = [item.name_zh for item in state.session.items]
    finger.notes["initials_rows"] = _rows(finger)
    finger.shot(f"guide-initials-found-{language}")


def _browsing(facet: str, value: str) -> Any:
    return lambda s: bool(s.session and s.session.browse == (facet, value) and not s.session.busy)


def _open_facet(finger: Finger, facet: str, language: str) -> None:
    """Touches a browse button until its values are the chips (a slow machine may take a while)."""
    import time

    for _attempt in range(3):
        finger.touch(_t(f"facet_{facet}", language))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if finger.main(lambda: _guide(finger)._facet == facet):
                time.sleep(0.3)  # the chips are laid out on the next frame
                return
            time.sleep(0.1)
    raise ScenarioError(f"touching {facet} did not show its values")


def browse(finger: Finger, reader: Any, language: str, name: str) -> None:
    """Every browse button (theme, department, for whom, life event) and every value each offers, touched:
    the items listed for each."""
    start(finger, language)
    sign_in(finger, reader, name)
    finger.touch(_t("service_guide", language), exact=False)
    finger.wait(lambda s: s.screen.value == "guide" and bool(s.session and s.session.catalogue), "the list")
    listed: dict[str, dict[str, list[str]]] = {}
    for facet in ("category", "department_zh", "applicant_type", "life_events"):
        _open_facet(finger, facet, language)
        values = finger.main(lambda: [(b.text, b.value) for b in reversed(_guide(finger).ids.chips.children)])
        listed[facet] = {}
        for shown, value in values:
            finger.touch(shown)
            finger.wait(_browsing(facet, value), f"browsing {shown}")
            listed[facet][value] = _rows(finger)
            if len(listed[facet]) == 1:
                finger.shot(f"guide-browse-{facet}-{language}")
            if facet == "life_events" and value == "开办企业":
                finger.shot(f"guide-browse-life-event-business-{language}")
    finger.notes["listed"] = listed


def progress(finger: Finger, reader: Any, language: str, name: str) -> None:
    """A person with an accepted case looks at its progress: the texts of the progress screen."""
    start(finger, language)
    sign_in(finger, reader, name)
    finger.touch(_t("service_progress", language), exact=False)
    finger.wait(lambda s: s.screen.value == "progress" and bool(s.session and s.session.cases), "the cases")
    finger.shot(f"progress-{language}")
    finger.notes["progress_screen"] = finger.main(lambda: _screen_texts(finger, "progress"))


def rare_name(finger: Finger, reader: Any, language: str, name: str) -> None:
    """A person whose name begins with 𠮷 signs in: the greeting draws 𠮷 from the extension font."""
    start(finger, language)
    sign_in(finger, reader, name)
    finger.shot(f"menu-rare-name-{language}")

    def drawn() -> list[dict[str, Any]]:
        from kivy.core.window import Window

        from tools.kiosk_touch import _tree

        return [
            {
                "text": w.text,
                "core": type(w._label).__name__,
                "drawn": w._label.text,
                "width": w.texture_size[0],
            }
            for root in Window.children
            for w in _tree(root)
            if isinstance(getattr(w, "text", None), str) and name[0] in w.text and hasattr(w, "_label")
        ]

    finger.notes["drawn"] = finger.main(drawn)
    # The name in the apply form's text field: its line drawn with 𠮷 from the extension font.
    finger.touch(_t("service_apply", language), exact=False)
    finger.wait(lambda s: s.screen.value == "guide" and bool(s.session and s.session.items), "the list")
    finger.touch(next(label for label in finger.buttons() if "食品(含保健食品)经营许可" in label))
    finger.screen("item")
    finger.touch(next(label for label in finger.buttons() if _t("apply_now", language) in label))
    finger.screen("apply_form")
    finger.shot(f"apply_form-rare-name-{language}")

    def in_field() -> dict[str, Any]:
        from kivy.core.text import Label as CoreLabel
        from kivy.core.text.markup import MarkupLabel

        from kiosk.screens.rare_glyphs import fallback_markup
        from tools.kiosk_touch import _text_inputs

        field = next(w for w in _text_inputs(finger.app.shell) if w.text == name)
        line = field._lines_labels[0]
        options = field._get_line_options()
        plain, marked = CoreLabel(text=name, **options), MarkupLabel(text=fallback_markup(name), **options)
        plain.refresh()
        marked.refresh()
        return {
            "text": field.text,
            "size": list(line.size),
            "as_plain_font": line.pixels == plain.texture.pixels,
            "as_extension_font": line.size == marked.texture.size and line.pixels == marked.texture.pixels,
            "text_width": field._get_text_width(name, field.tab_width, None),
        }

    finger.notes["field"] = finger.main(in_field)


def elder(finger: Finger, reader: Any, language: str, name: str, born: str) -> None:
    """An 81-year-old signs in: offered elder mode, turns it on (every service still there, larger type),
    starts an application, touches 结束办理: asked first; 继续办理 keeps it; then ends it for good."""
    start(finger, language)
    sign_in(finger, reader, name, born)
    state = finger.wait(lambda s: bool(s.session and s.session.notice), "the greeting's notice")
    finger.notes["offer"] = state.session.notice.key
    finger.shot(f"menu-elder-offer-{language}")
    finger.touch(_t("elder_mode", language))
    state = finger.wait(lambda s: bool(s.session and s.session.elder), "elder mode")
    finger.notes["scale"] = state.session.text_scale
    finger.shot(f"menu-elder-{language}")
    services = [
        label
        for label in finger.buttons()
        if any(
            _t(f"service_{k}", language) in label
            for k in (
                "guide",
                "apply",
                "progress",
                "certificates",
                "priority_ticket",  # an 81-year-old's 取号 is a priority ticket
                "pickup",
                "rating",
                "verify",
                "complaint",
            )
        )
    ]
    finger.notes["services"] = services
    finger.touch(_t("service_apply", language), exact=False)
    finger.wait(lambda s: s.screen.value == "guide" and bool(s.session and s.session.items), "the list")
    finger.shot(f"guide-elder-{language}")
    row = finger.button_with("食品(含保健食品)经营许可")
    finger.touch(row)
    finger.screen("item")
    in_view = {"item": finger.in_view(finger.button_with(_t("apply_now", language)))}
    finger.touch(finger.button_with(_t("apply_now", language)))
    finger.screen("apply_form")
    in_view["apply_form"] = finger.in_view(_t("next", language))
    finger.notes["primary_in_view"] = in_view
    finger.touch("C")
    for digit in "13812345678":
        finger.touch(digit)
    finger.wait(lambda s: bool(s.session and s.session.form_value("phone") == "13812345678"), "the phone")
    finger.shot(f"apply_form-elder-digits-{language}")
    finger.touch(_t("finish", language))
    finger.wait(lambda s: bool(s.session and s.session.confirm_finish), "the question")
    finger.shot(f"finish-confirm-elder-{language}")
    finger.touch(_t("finish_no", language))
    state = finger.wait(lambda s: bool(s.session and not s.session.confirm_finish), "kept")
    finger.notes["kept"] = [state.screen.value, state.session.form_value("phone")]
    finger.touch(_t("finish", language))
    finger.wait(lambda s: bool(s.session and s.session.confirm_finish), "the question again")
    finger.touch(_t("finish_yes", language))
    state = finger.screen("attract")
    finger.notes["ended"] = state.session is None


def _to_pickup(finger: Finger, language: str) -> None:
    """A new person at the kiosk touches 取件 under the card prompt (no sign-in): the pickup screen."""
    start(finger, language)
    finger.touch("▣  " + _t("pickup_entry", language))
    finger.screen("pickup", timeout=5)


def _opened(finger: Finger, what: str) -> list[Any]:
    """Waits for the kiosk to say a compartment opened; [locker, compartment] as it says."""
    state = finger.wait(lambda s: bool(s.session and s.session.pickup), what, timeout=20)
    return [state.session.pickup.locker, state.session.pickup.compartment]


def _type_pickup_code(finger: Finger, code: str) -> None:
    """Each digit touched on the pickup screen's pad, then 开柜取件."""
    for digit in code:
        finger.touch(digit)
    finger.touch(_t("open_locker", finger.notes["language"]))


def locker_pickup(
    finger: Finger,
    reader: Any,
    language: str,
    code: str,
    wrong: str,
    bank: str,
    compartment: int,
    qr: str,
    qr_compartment: int,
    card_holder: str,
    jammed_code: str = "",
) -> None:
    """No sign-in: 取件 under the card prompt, a wrong code refused in words, the right code typed on the
    pad; the kiosk says which compartment opened. Then the next person finds nothing of the code."""
    finger.notes["language"] = language
    _to_pickup(finger, language)
    finger.shot(f"pickup-code-{language}")
    _type_pickup_code(finger, wrong)
    state = finger.wait(lambda s: bool(s.session and s.session.notice), "the answer to a wrong code")
    finger.notes["refused"] = state.session.notice.key
    shown = finger.shown_texts()
    if not any(_t(state.session.notice.key, language) in each for each in shown):
        raise ScenarioError(f"the refusal is not on the screen: {shown}")
    finger.shot(f"pickup-refused-{language}")
    _type_pickup_code(finger, code)
    finger.notes["opened"] = _opened(finger, "the locker opened")
    where = text(
        "locker_where",
        Language(language),
        locker=finger.state.session.pickup.bank_number,
        compartment=str(compartment),
    )
    if where not in finger.shown_texts():
        raise ScenarioError(f"{where!r} not shown")
    finger.notes["where"] = where
    finger.shot(f"pickup-opened-{language}")
    finger.touch(_t("finish", language))
    finger.screen("attract")
    # The next person: nothing of the code or the compartment in any widget of any screen.
    _to_pickup(finger, language)
    spaced = f"{code[:4]} {code[4:]}"
    finger.notes["left"] = [
        each
        for each in finger.shown_texts() + finger.typed_texts()
        if code in each or spaced in each or wrong in each or where in each
    ]
    # This person holds the SMS's QR up to the kiosk's scanner: a forged one is refused, theirs opens.
    reader.show_qr(qr[:-6] + ("000000" if not qr.endswith("000000") else "111111"))
    state = finger.wait(lambda s: bool(s.session and s.session.notice), "the answer to a wrong QR")
    finger.notes["qr_refused"] = state.session.notice.key
    reader.show_qr(qr)
    finger.notes["qr_opened"] = _opened(finger, "the QR's locker")
    finger.shot(f"pickup-qr-opened-{language}")
    finger.touch(_t("finish", language))
    finger.screen("attract")
    # The third person lays their ID card on the pickup screen: no sign-in, the door opens.
    _to_pickup(finger, language)
    reader.tap_card(card_holder)
    finger.notes["card_opened"] = _opened(finger, "the card's locker")
    finger.notes["card_signed_in"] = finger.state.session.applicant is not None
    reader.pull_card()
    finger.wait(lambda s: not s.card_present, "the card taken")
    if jammed_code:  # a fourth person's door is jammed: the kiosk says so, in its own words
        finger.touch(_t("finish", language))
        finger.screen("attract")
        _to_pickup(finger, language)
        _type_pickup_code(finger, jammed_code)
        state = finger.wait(lambda s: bool(s.session and s.session.notice), "the jammed door", timeout=30)
        finger.notes["jammed"] = state.session.notice.key
        finger.notes["jammed_shown"] = any(
            _t(state.session.notice.key, language) in shown for shown in finger.shown_texts()
        )
        finger.shot(f"pickup-jammed-{language}")


def elder_ticket(finger: Finger, reader: Any, language: str, name: str, born: str) -> None:
    """An 81-year-old signs in: offered elder mode and a priority ticket (优先号); touches 取优先号: the
    ticket screen says it is a priority ticket."""
    start(finger, language)
    sign_in(finger, reader, name, born)
    state = finger.wait(lambda s: bool(s.session and s.session.notice), "the greeting's notice")
    finger.notes["offer"] = state.session.notice.key
    finger.notes["offer_shown"] = _t("elder_offer", language) in finger.shown_texts()
    finger.shot(f"menu-elder-priority-offer-{language}")
    finger.touch(_t("service_priority_ticket", language), exact=False)
    state = finger.wait(lambda s: bool(s.session and s.session.ticket), "the ticket", timeout=20)
    finger.notes["ticket"] = state.session.ticket.number
    finger.notes["priority_shown"] = _t("ticket_priority", language) in finger.shown_texts()
    finger.shot(f"ticket-priority-{language}")


def complaint(finger: Finger, reader: Any, language: str, name: str, case: str) -> None:
    """A person complains at the kiosk about their own case: 投诉, then a reason under the case touched;
    the kiosk says by when the department answers."""
    start(finger, language)
    sign_in(finger, reader, name)
    finger.touch(_t("service_complaint", language), exact=False)
    finger.wait(lambda s: s.screen.value == "complaint" and bool(s.session and s.session.cases), "the cases")
    finger.shot(f"complaint-{language}")
    if not any(case in shown for shown in finger.shown_texts()):
        raise ScenarioError(f"the case {case} is not listed")
    finger.touch(_t("complaint_reason_overdue", language))
    state = finger.wait(lambda s: bool(s.session and s.session.notice), "an answer to the complaint")
    finger.notes["notice"] = state.session.notice.key
    finger.notes["shown"] = [t for t in finger.shown_texts() if _t("complaint_filed", language)[:6] in t]
    finger.shot(f"complaint-filed-{language}")


# The longest journey (tests/kiosk/test_end_to_end.py): four visits, each a fresh start of the app -------


def _touch_capture(finger: Finger, code: str, language: str) -> None:
    """Touches 拍摄 (or 重拍) in the row of material `code` on the capture screen."""
    labels = {_t("capture", language), _t("recapture", language)}

    def find() -> Any:
        for button in visible_buttons(finger.app.shell):
            row = button.parent
            while row is not None and row is not row.parent and getattr(row, "code", None) is None:
                row = row.parent  # up to the material's row (the window is its own parent)
            if getattr(row, "code", None) == code and button.text in labels:
                return button
        return None

    finger.touch_widget(find, f"the capture button of {code}")


def _captured(code: str) -> Any:
    return lambda s: bool(s.session and any(m.material_code == code for m in s.session.captured))


def _capture_pages(finger: Finger, reader: Any, codes: list[str], language: str) -> None:
    """For each material: a page laid on the desk (the hall simulator's), 拍摄 touched, the page taken off."""
    for code in codes:
        reader.lay_page()
        _touch_capture(finger, code, language)
        state = finger.wait(_capture_answered(code), f"{code} captured")
        reader.clear_desk()
        if not _captured(code)(state):
            raise ScenarioError(f"{code} not captured: {state.session.notice}")


def _capture_answered(code: str) -> Any:
    """The page of `code` captured, or refused (capture_no_page, capture_unclear)."""
    captured, refused = _captured(code), _notice_starts("capture_")
    return lambda s: captured(s) or refused(s)


def _notice_starts(prefix: str) -> Any:
    return lambda s: bool(s.session and s.session.notice and s.session.notice.key.startswith(prefix))


def _printed(key: str) -> Any:
    return lambda s: bool(s.session and s.session.notice and s.session.notice.key == key)


def _leave(finger: Finger, language: str) -> None:
    finger.touch(_t("finish", language))
    finger.screen("attract")


def e2e_apply(
    finger: Finger, reader: Any, language: str, name: str, item: str, leave_out: str, phone: str
) -> None:
    """Card on the reader; the item found by its initials typed on the pinyin keyboard; the form's phone
    typed on its digit pad; every required material but `leave_out` laid on the desk and captured;
    submitted: the one-time notice printed. Then a queue ticket, and the person leaves."""
    from kiosk.flow.pinyin import spelled

    start(finger, language)
    sign_in(finger, reader, name)
    finger.shot(f"e2e-menu-{language}")
    finger.touch(_t("service_apply", language), exact=False)
    finger.wait(lambda s: s.screen.value == "guide" and bool(s.session and s.session.catalogue), "the list")
    initials = spelled(item)[1][-1]
    finger.notes["typed"] = initials
    finger.touch(_t("keyboard_pinyin", language))
    for letter in initials:
        finger.touch(letter)
    finger.shot(f"e2e-guide-typed-{language}")
    finger.touch(_t("search", language))
    finger.wait(lambda s: bool(s.session and s.session.query == initials and not s.session.busy), "found")
    finger.notes["found"] = _rows(finger)
    finger.shot(f"e2e-guide-found-{language}")
    finger.touch_widget(
        lambda: next(
            (
                b
                for b in _guide(finger).ids.item_list.children
                if b.text.split("\n")[0] == item and b in visible_buttons(finger.app.shell)
            ),
            None,
        ),
        f"the row of {item}",
    )
    finger.screen("item")
    finger.touch(finger.button_with(_t("apply_now", language)))
    finger.screen("apply_form")
    finger.touch("C")
    for digit in phone:
        finger.touch(digit)
    finger.wait(lambda s: bool(s.session and s.session.form_value("phone") == phone), "the phone typed")
    finger.touch(_t("next", language))
    state = finger.screen("apply_capture")
    required = [m.code for m in state.session.item.materials if m.required]
    finger.notes["required"] = required
    _capture_pages(finger, reader, [code for code in required if code != leave_out], language)
    finger.shot(f"e2e-capture-{language}")
    finger.touch(_t("submit", language))
    state = finger.wait(
        lambda s: s.screen.value == "apply_done" and _printed("printed_notice")(s), "the notice printed"
    )
    finger.notes["case"] = state.session.outcome.case_id
    finger.notes["done_screen"] = finger.main(lambda: _screen_texts(finger, "apply_done"))
    finger.shot(f"e2e-notice-{language}")
    finger.touch(_t("home", language))
    finger.screen("menu")
    finger.touch(_t("service_ticket", language), exact=False)
    state = finger.wait(_printed("printed_ticket"), "the ticket printed")
    finger.notes["ticket"] = state.session.ticket.number
    finger.shot(f"e2e-ticket-{language}")
    _leave(finger, language)


def e2e_supplement(finger: Finger, reader: Any, language: str, name: str) -> None:
    """The same person back with the card: 进度查询 shows the clerk's 补正; 补正材料 touched, only the
    missing material is asked for (what the case holds is kept); laid, captured, submitted: a receipt.
    Then the progress screen again."""
    start(finger, language)
    sign_in(finger, reader, name)
    finger.touch(_t("service_progress", language), exact=False)
    state = finger.wait(
        lambda s: s.screen.value == "progress" and any(c.needs_supplement for c in _cases_of(s)),
        "the case that needs a supplement",
    )
    missing = list(next(c for c in _cases_of(state) if c.needs_supplement).missing)
    finger.notes["missing"] = missing
    finger.notes["progress_before"] = finger.main(lambda: _screen_texts(finger, "progress"))
    finger.shot(f"e2e-supplement-{language}")
    finger.touch(_t("supplement_button", language))
    state = finger.screen("apply_capture")
    finger.notes["kept"] = sorted(m.material_code for m in state.session.captured)
    finger.notes["asked"] = [
        m.code for m in state.session.item.materials if m.required and m.code not in finger.notes["kept"]
    ]
    _capture_pages(finger, reader, missing, language)
    finger.shot(f"e2e-supplement-capture-{language}")
    finger.touch(_t("submit", language))
    printed = _notice_starts("printed_")
    state = finger.wait(lambda s: s.screen.value == "apply_done" and printed(s), "the receipt printed")
    finger.notes["printed"] = state.session.notice.key
    finger.shot(f"e2e-complete-{language}")
    finger.touch(_t("home", language))
    finger.screen("menu")
    finger.touch(_t("service_progress", language), exact=False)
    finger.wait(lambda s: s.screen.value == "progress" and bool(_cases_of(s)), "the cases")
    finger.notes["progress_after"] = finger.main(lambda: _screen_texts(finger, "progress"))
    finger.shot(f"e2e-progress-{language}")
    _leave(finger, language)


def _cases_of(state: Any) -> tuple[Any, ...]:
    return tuple(state.session.cases) if state.session else ()


def e2e_certificate(finger: Finger, reader: Any, language: str, name: str) -> None:
    """The same person signs in with the e-ID QR held up to the scanner, prints the sealed certificate
    (打印正本), then rates the case five stars (好差评)."""
    start(finger, language)
    reader.show_eid(name)
    state = finger.screen("menu")
    finger.notes["signed_in_by"] = state.session.identify_method.value
    finger.shot(f"e2e-qr-menu-{language}")
    finger.touch(_t("service_certificates", language), exact=False)
    state = finger.wait(
        lambda s: s.screen.value == "certificates" and bool(s.session and s.session.certificates),
        "the certificates",
    )
    finger.notes["certificates"] = [c.certificate_id for c in state.session.certificates]
    finger.shot(f"e2e-certificates-{language}")
    finger.touch(_t("print_original", language))
    finger.wait(_printed("printed_certificate"), "the certificate printed", timeout=60)
    finger.shot(f"e2e-printed-{language}")
    finger.touch(_t("home", language))
    finger.screen("menu")
    finger.touch(_t("service_rating", language), exact=False)
    finger.wait(lambda s: s.screen.value == "rating" and bool(_cases_of(s)), "the cases to rate")
    finger.touch("★★★★★")
    state = finger.wait(lambda s: bool(s.session and s.session.notice), "an answer to the rating")
    finger.notes["rating"] = state.session.notice.key
    finger.shot(f"e2e-rated-{language}")
    _leave(finger, language)


def e2e_verify(finger: Finger, reader: Any, language: str, qr: str) -> None:
    """Someone holding the printed paper, no sign-in: 证照核验 under the card prompt, the paper's QR held
    up to the scanner; the verdict."""
    start(finger, language)
    finger.touch("√  " + _t("verify_entry", language))
    finger.screen("verify", timeout=10)
    reader.show_qr(qr)
    state = finger.wait(lambda s: bool(s.session and s.session.verification), "the verdict", timeout=30)
    found = state.session.verification
    finger.notes.update(verdict=found.reason.value, holder=found.holder_masked, number=found.number)
    finger.notes["signed_in"] = state.session.applicant is not None
    finger.notes["verify_screen"] = finger.main(lambda: _screen_texts(finger, "verify"))
    finger.shot(f"e2e-verify-{language}")
    _leave(finger, language)


def hall_complaint(finger: Finger, reader: Any, language: str, name: str, phone: str) -> None:
    """Complaints about the hall itself. Nobody signed in: 对大厅投诉 under the card prompt, 排队 touched, a
    phone typed on the pad (shown masked), sent; then a broken machine with no phone (anonymous, and the
    screen says nobody can be told). Then a person signs in and complains from the menu's 投诉 screen."""
    from hall.privacy import mask_phone

    start(finger, language)
    finger.shot(f"identify-hall-complaint-entry-{language}")
    finger.touch("!  " + _t("hall_complaint_free_entry", language))
    finger.screen("hall_complaint", timeout=5)
    finger.notes["anonymous_note"] = _t("hall_complaint_anonymous_note", language) in finger.shown_texts()
    finger.shot(f"hall_complaint-{language}")
    finger.touch(_t("hall_topic_waiting", language))
    for digit in phone:
        finger.touch(digit)
    shown = finger.shown_texts()
    finger.notes["phone_shown"] = [t for t in shown if mask_phone(phone) in t]
    finger.notes["phone_in_clear"] = [t for t in shown if phone in t]
    finger.shot(f"hall_complaint-phone-{language}")
    finger.touch(_t("hall_complaint_send", language))
    state = finger.wait(lambda s: bool(s.session and s.session.notice), "an answer to the complaint")
    finger.notes["with_phone"] = state.session.notice.key
    finger.notes["with_phone_shown"] = [
        t for t in finger.shown_texts() if _t("hall_topic_waiting", "zh") in t
    ]
    finger.notes["said"] = finger.main(lambda: finger.app.shell.notice)
    finger.shot(f"hall_complaint-filed-{language}")
    finger.notes["left_after_filing"] = [
        t for t in finger.shown_texts() + finger.typed_texts() if phone in t or mask_phone(phone) in t
    ]
    finger.touch(_t("hall_topic_broken_machine", language))
    finger.touch(_t("hall_complaint_send", language))
    state = finger.wait(
        lambda s: bool(s.session and s.session.notice and s.session.notice.key.endswith("anonymous")),
        "the anonymous complaint's answer",
    )
    finger.notes["anonymous"] = state.session.notice.key
    finger.notes["anonymous_said"] = finger.main(lambda: finger.app.shell.notice)
    finger.shot(f"hall_complaint-anonymous-{language}")
    finger.touch(_t("back", language))
    finger.screen("identify")
    # A person signs in and complains about the hall from the menu (投诉 → 对大厅投诉).
    sign_in(finger, reader, name)
    finger.touch(_t("service_complaint", language), exact=False)
    finger.wait(lambda s: s.screen.value == "complaint" and not (s.session and s.session.busy), "the cases")
    finger.shot(f"complaint-hall-entry-{language}")
    finger.touch("!  " + _t("hall_complaint_entry", language))
    finger.screen("hall_complaint", timeout=5)
    finger.touch(_t("hall_topic_rude_clerk", language))
    finger.touch(_t("hall_complaint_send", language))
    state = finger.wait(lambda s: bool(s.session and s.session.notice), "the signed-in complaint's answer")
    finger.notes["signed_in"] = state.session.notice.key
    finger.shot(f"hall_complaint-signed-in-{language}")


def _last_code(sms_path: str, phone: str) -> str:
    """The 6-digit code the case service's development SMS sink holds for `phone` (the person's phone)."""
    from pathlib import Path

    from case_service.api.routes.applicant_signin import dev_sms_messages
    from hall.privacy import PiiCipher
    from hall.settings import DEV_PII_KEY

    messages = dev_sms_messages(Path(sms_path), PiiCipher.from_config(DEV_PII_KEY))
    found = [m for m in messages if m["phone"] == phone]
    if not found:
        raise ScenarioError(f"no SMS to {phone[:3]}…")
    return "".join(ch for ch in found[-1]["text"] if ch.isdigit())[:6]


def phone_and_eid_sign_in(
    finger: Finger, reader: Any, language: str, phone: str, sms_path: str, eid: str
) -> None:
    """手机号 + 验证码: the phone typed on the pad (masked once complete), 发送验证码, the code from the SMS
    typed, 登录: the menu. Then the next person shows an e-ID QR code to the scanner: the menu greets them."""
    start(finger, language)
    finger.touch(_t("method_phone", language))
    finger.wait(lambda s: bool(s.session and s.session.identify_method), "the phone keypad", timeout=5)
    for digit in phone:
        finger.touch(digit)
    finger.notes["phone_shown"] = [t for t in finger.shown_texts() if phone[-4:] in t]
    finger.shot(f"identify-phone-typed-{language}")
    finger.touch(_t("send_code", language))
    state = finger.wait(lambda s: bool(s.session and s.session.notice), "the code sent")
    finger.notes["sent"] = state.session.notice.key
    code = _last_code(sms_path, phone)
    for digit in code:
        finger.touch(digit)
    finger.notes["code_typed"] = finger.main(lambda: finger.app.root_screen("identify").shown_digits)
    finger.touch(_t("sign_in", language))
    state = finger.wait(lambda s: s.screen.value == "menu" or bool(s.session and s.session.notice), "menu")
    if state.screen.value != "menu":
        raise ScenarioError(f"not signed in: {state.session.notice} {finger.notes}")
    finger.notes["phone_signed_in"] = state.session.identify_method is not None or state.session.token != ""
    finger.notes["phone_menu"] = [t for t in finger.shown_texts() if phone[-4:] in t or phone in t]
    finger.shot(f"menu-phone-{language}")
    finger.touch(_t("finish", language))
    finger.screen("attract")
    start(finger, language)
    reader.show_sample_eid(eid)
    state = finger.screen("menu")
    finger.notes["eid_name"] = state.session.applicant.masked_name
    finger.notes["greeting"] = finger.main(lambda: finger.app.root_screen("menu").greeting)
    finger.shot(f"menu-eid-{language}")


def ticket_without_paper(finger: Finger, reader: Any, language: str, name: str) -> None:
    """The kiosk's printer runs out of paper (the hall simulator's printer); a person touches 取号: the
    controller gives the ticket, the kiosk says it cannot print it and shows the number to note."""
    start(finger, language)
    sign_in(finger, reader, name)
    reader.paper(False)
    try:
        finger.wait(lambda s: "printer" in {d.value for d in s.broken}, "the printer seen without paper")
        finger.touch(_t("service_ticket", language), exact=False)
        state = finger.wait(lambda s: bool(s.session and s.session.ticket), "the ticket", timeout=20)
        state = finger.wait(lambda s: bool(s.session and s.session.notice), "what the kiosk says")
        finger.notes["notice"] = state.session.notice.key
        finger.notes["ticket"] = state.session.ticket.number
        finger.notes["number_shown"] = any(state.session.ticket.number in t for t in finger.shown_texts())
        finger.notes["said"] = finger.main(lambda: finger.app.shell.notice)
        finger.shot(f"ticket-no-paper-{language}")
    finally:
        reader.paper(True)


def tickets_refused(finger: Finger, reader: Any, language: str, names: list[str]) -> None:
    """Each person in turn signs in and touches 取号, then 结束办理: what the kiosk answered each (the
    controller's refusals in their own words, the words on the screen)."""
    answers = []
    for name in names:
        start(finger, language)
        sign_in(finger, reader, name)
        finger.touch(_t("service_ticket", language), exact=False)
        state = finger.wait(lambda s: bool(s.session and s.session.notice), "an answer to the ticket")
        key = state.session.notice.key
        answers.append([key, any(_t(key, language) in shown for shown in finger.shown_texts())])
        finger.shot(f"ticket-{key}-{language}")
        finger.touch(_t("finish", language))
        finger.screen("attract")
    finger.notes["answers"] = answers


def verify_by_touch(finger: Finger, reader: Any, language: str, qr: str, forged: str) -> None:
    """No sign-in: 无需登录：证照核验 touched, a certificate's QR held up to the scanner: the verdict on
    the screen; then a forged one (its signature altered)."""
    start(finger, language)
    finger.touch("√  " + _t("verify_entry", language))
    finger.screen("verify", timeout=5)
    verdicts = []
    for shown in (qr, forged):
        reader.show_qr(shown)
        state = finger.wait(lambda s: bool(s.session and s.session.verification), "the verdict", timeout=20)
        verdict = state.session.verification
        verdicts.append(verdict.reason.value)
        finger.notes.setdefault("screens", []).append(finger.main(lambda: _screen_texts(finger, "verify")))
        finger.shot(f"verify-{verdict.reason.value}-{language}")
        finger.touch(_t("back", language))
        finger.screen("identify", timeout=10)
        finger.touch("√  " + _t("verify_entry", language))
        finger.screen("verify", timeout=5)
    finger.notes["verdicts"] = verdicts


def everyday_words_search(finger: Finger, reader: Any, language: str, name: str) -> None:
    """What people say, not the catalogue's names: k-d touched on the pinyin keyboard offers 开店 (an
    everyday word of the life event 开办企业, in no item's name); touched, the rows are the service's items
    for 开店."""
    start(finger, language)
    sign_in(finger, reader, name)
    finger.touch(_t("service_guide", language), exact=False)
    finger.wait(lambda s: s.screen.value == "guide" and bool(s.session and s.session.catalogue), "the list")
    state = _type_and_pick(finger, language, "kd", "开店", f"guide-everyday-kd-{language}")
    finger.notes["found"] = [item.item_id for item in state.session.items]
    finger.notes["rows"] = _rows(finger)
    finger.shot(f"guide-everyday-found-{language}")


def _pickup_answer(finger: Finger, code: str) -> str:
    """A code typed on the pickup screen's pad and 开柜取件 touched; the notice the kiosk then shows (a new
    one, not the last code's)."""
    before = finger.main(lambda: finger.app.core.state.session.notice)
    _type_pickup_code(finger, code)
    state = finger.wait(
        lambda s: bool(s.session and s.session.notice and s.session.notice is not before),
        "the answer to a code",
    )
    return str(state.session.notice.key)


def locker_lock_out(
    finger: Finger, reader: Any, language: str, wrongs: list[str], code: str, card_holder: str, qr: str
) -> None:
    """A stranger types ten wrong codes on the pickup pad and walks off; the rightful person then types
    their right code at the same kiosk: refused, told for how many minutes and what else opens (their
    QR or ID card here, the bank's keypad, a window); lays their ID card: their door opens. The next
    person's SMS QR opens theirs at the same kiosk too."""
    finger.notes["language"] = language
    _to_pickup(finger, language)
    finger.notes["refusals"] = [_pickup_answer(finger, wrong) for wrong in wrongs]
    finger.touch(_t("finish", language))
    finger.screen("attract")
    # The rightful person, with the right code from their SMS.
    _to_pickup(finger, language)
    key = _pickup_answer(finger, code)
    state = finger.state
    finger.notes["locked"] = key
    finger.notes["locked_params"] = dict(state.session.notice.params)
    said = text(key, Language(language), **dict(state.session.notice.params))
    finger.notes["locked_said"] = said
    finger.notes["locked_shown"] = said in finger.shown_texts()
    finger.shot(f"pickup-locked-out-{language}")
    reader.tap_card(card_holder)
    finger.notes["card_opened"] = _opened(finger, "the card's locker")
    finger.shot(f"pickup-locked-out-card-opened-{language}")
    reader.pull_card()
    finger.wait(lambda s: not s.card_present, "the card taken")
    finger.touch(_t("finish", language))
    finger.screen("attract")
    # Another person at the same kiosk, with their SMS's QR.
    _to_pickup(finger, language)
    reader.show_qr(qr)
    finger.notes["qr_opened"] = _opened(finger, "the QR's locker")


def _docked(finger: Finger) -> dict[str, Any]:
    """Where the focused text field and Kivy's docked keyboard lie on the window (Kivy's coordinates:
    from the bottom left); `keyboard_top` 0 when no keyboard is docked."""

    def measure() -> dict[str, Any]:
        from kivy.core.window import Window
        from kivy.uix.vkeyboard import VKeyboard

        field = next((w for w in _text_inputs(finger.app.shell) if w.focus), None)
        boards = [w for w in Window.children if isinstance(w, VKeyboard)]
        top = max((b.to_window(b.x, b.y)[1] + b.height * b.scale for b in boards), default=0.0)
        place: dict[str, Any] = {"keyboard_top": round(top), "window": [Window.width, Window.height]}
        if field is not None:
            left, bottom = field.to_window(field.x, field.y)
            right, ceiling = field.to_window(field.right, field.top)
            place["field"] = [round(left), round(bottom), round(right), round(ceiling)]
        return place

    time.sleep(0.6)  # the keyboard docks, the layout follows, on the next frames
    return dict(finger.main(measure))


def _touch_field(finger: Finger, field_of: Any) -> None:
    """A finger on the text field `field_of()` gives (on the Kivy thread)."""
    finger.touch_widget(field_of, "text field")


def docked_keyboard(finger: Finger, reader: Any, language: str, name: str, item: str) -> None:
    """Every text field a person types in at the kiosk, touched: the guide's search field, and each field
    of the apply form typed on the keyboard; where each lies with Kivy's docked keyboard up."""
    start(finger, language)
    sign_in(finger, reader, name)
    finger.touch(_t("service_guide", language), exact=False)
    finger.wait(lambda s: s.screen.value == "guide" and bool(s.session and s.session.items), "the list")
    _touch_field(finger, lambda: finger.app.root_screen("guide").ids.query)
    places = {"guide": _docked(finger)}
    places["guide"]["own_keyboard"] = finger.main(lambda: finger.app.root_screen("guide").keyboard_open)
    finger.shot(f"guide-keyboard-{language}")
    finger.touch(finger.button_with(item))
    finger.screen("item")
    finger.touch(finger.button_with(_t("apply_now", language)))
    finger.screen("apply_form")

    def editable() -> list[Any]:
        return [w for w in _text_inputs(finger.app.shell) if w.get_root_window() and not w.readonly]

    count = len(finger.main(editable))
    for index in range(count):
        _touch_field(finger, lambda i=index: (editable() or [None] * (i + 1))[i])
        places[f"apply_form-{index}"] = _docked(finger)
        finger.shot(f"apply_form-keyboard-{index}-{language}")
    finger.notes["places"] = places


def _menu_services(finger: Finger) -> dict[str, Any]:
    """The menu's service buttons as shown: their labels (no icon), whether each lies whole on the glass
    with no scrolling, and the box they span together on the window (clipped to it)."""

    def measure() -> dict[str, Any]:
        from kivy.core.window import Window

        grid = finger.app.root_screen("menu").ids.services
        boxes = []
        for button in grid.children:
            left, bottom = button.to_window(button.x, button.y)
            right, top = button.to_window(button.right, button.top)
            boxes.append([max(left, 0), max(bottom, 0), min(right, Window.width), min(top, Window.height)])
        labels = [b.text.split("\n", 1)[-1] for b in reversed(grid.children)]
        span = [min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes)]
        span.append(max(b[3] for b in boxes))
        return {"labels": labels, "span": [round(v) for v in span], "window": [Window.width, Window.height]}

    time.sleep(0.3)  # laid out on the next frame
    shown: dict[str, Any] = finger.main(measure)
    shown["in_view"] = {label: finger.in_view(finger.button_with(label)) for label in shown["labels"]}
    return shown


def elder_menu(finger: Finger, reader: Any, language: str, name: str, born: str) -> None:
    """An 81-year-old signs in: the menu's services as offered, then elder mode turned on by touch: the
    services again, where they lie on the window."""
    start(finger, language)
    sign_in(finger, reader, name, born)
    finger.wait(lambda s: bool(s.session and s.session.notice), "the greeting's notice")
    finger.notes["normal"] = _menu_services(finger)
    finger.touch(_t("elder_mode", language))
    finger.wait(lambda s: bool(s.session and s.session.elder), "elder mode")
    finger.notes["elder"] = _menu_services(finger)
    finger.shot(f"menu-elder-span-{language}")
