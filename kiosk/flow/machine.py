"""The kiosk's flow: `step(config, state, event) -> (state, effects)`. Pure: no I/O, no clock, no Kivy."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from kiosk.flow import effects as fx
from kiosk.flow import events as ev
from kiosk.flow.model import (
    FACETS,
    CapturedMaterial,
    Device,
    IdentifyMethod,
    ItemDetail,
    Language,
    Service,
    SubmitOutcome,
)
from kiosk.flow.state import ELDER_TEXT_SCALE, TEXT_SCALES, Fault, KioskState, Screen, Session

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
CODE_RE = re.compile(r"^\d{6}$")
PICKUP_CODE_RE = re.compile(r"^\d{8}$")  # the locker's pickup code (hall_controller/lockers/codes.py)
REQUIRED_FORM_FIELDS = ("name", "id_number")

ALL_SERVICES = tuple(Service)
# Elder mode: every choice, larger type, more time (the idle timeout and its countdown times this).
ELDER_TIME_FACTOR = 2.0
# From this age the kiosk offers elder mode at sign-in, and its tickets are priority tickets (优先号) of
# the controller's elderly class.
SENIOR_AGE = 65
SENIOR_PRIORITY = "elderly"
# The reasons a complaint at the kiosk gives (message keys complaint_reason_<reason>): touched, not typed.
COMPLAINT_REASONS = ("overdue", "attitude", "unclear", "trips")
# What a complaint about the hall itself is about (the case service's domain.complaints.HallTopic; message
# keys hall_topic_<topic>): touched, not typed. It goes to the hall's office (ADR 0012).
HALL_TOPICS = ("waiting", "rude_clerk", "broken_machine", "cleanliness", "opening_hours", "other")
# Screens where 结束办理 would lose a half-made application: asked to confirm first.
HALF_MADE = (Screen.APPLY_FORM, Screen.APPLY_CAPTURE)
# What still works while the case service is unreachable (tickets and lockers are the hall controller's;
# applications are kept in the encrypted outbox; the guide uses the cached catalogue).
OFFLINE_SERVICES = (Service.GUIDE, Service.APPLY, Service.TICKET, Service.PICKUP, Service.VERIFY)

# The other ways offered when a device is broken (message keys).
ALTERNATIVES: dict[Device, tuple[str, ...]] = {
    Device.CARD_READER: ("alt_qr", "alt_phone", "alt_window"),
    Device.SCANNER: ("alt_card", "alt_phone", "alt_window"),
    Device.CAMERA: ("alt_library", "alt_other_kiosk", "alt_window"),
    Device.PRINTER: ("alt_other_kiosk", "alt_locker", "alt_mail", "alt_window"),
}
# A broken scanner on the certificate check: the paper can be checked elsewhere.
VERIFY_ALTERNATIVES = ("alt_other_kiosk", "alt_verify_online", "alt_window")
# Which screens need which device: a fault there is explained at once; elsewhere it is only reported.
SCREEN_DEVICES: dict[Screen, frozenset[Device]] = {
    Screen.IDENTIFY: frozenset({Device.CARD_READER, Device.SCANNER}),
    Screen.ITEM: frozenset({Device.PRINTER}),
    Screen.APPLY_CAPTURE: frozenset({Device.CAMERA}),
    Screen.APPLY_DONE: frozenset({Device.PRINTER}),
    Screen.CERTIFICATES: frozenset({Device.PRINTER}),
    Screen.TICKET: frozenset({Device.PRINTER}),
    Screen.VERIFY: frozenset({Device.SCANNER}),
}
PARENT: dict[Screen, Screen] = {
    Screen.LANGUAGE: Screen.ATTRACT,
    Screen.IDENTIFY: Screen.LANGUAGE,
    Screen.GUIDE: Screen.MENU,
    Screen.ITEM: Screen.GUIDE,
    Screen.APPLY_FORM: Screen.ITEM,
    Screen.APPLY_CAPTURE: Screen.APPLY_FORM,
    Screen.APPLY_DONE: Screen.MENU,
    Screen.PROGRESS: Screen.MENU,
    Screen.CERTIFICATES: Screen.MENU,
    Screen.TICKET: Screen.MENU,
    Screen.PICKUP: Screen.MENU,
    Screen.RATING: Screen.MENU,
    Screen.COMPLAINT: Screen.MENU,
    Screen.HALL_COMPLAINT: Screen.COMPLAINT,  # or IDENTIFY when not signed in (see `_back`)
    Screen.VERIFY: Screen.MENU,  # or IDENTIFY when not signed in (see `_back`)
}


# Events that are not the applicant doing something: they do not hold off the inactivity countdown.
NOT_ACTIVITY = (
    ev.Tick,
    ev.Result,
    ev.DeviceFault,
    ev.DeviceRecovered,
    ev.OutboxChanged,
    ev.ServiceUnreachable,
    ev.ServiceBack,
    ev.CardRemoved,
)


@dataclass(frozen=True)
class FlowConfig:
    idle_timeout: float = 90.0
    countdown: float = 20.0
    card_reminder_after: float = 30.0
    allow_phone_login: bool = True
    by_lockers: bool = True
    # The certificate check goes back by itself after this long untouched (waiting for a scan or
    # showing a result), so a verdict with a holder's name is not left on screen.
    verify_timeout: float = 45.0


Outcome = tuple[KioskState, list[fx.Effect]]


def initial_state() -> KioskState:
    return KioskState()


def menu_services(config: FlowConfig, state: KioskState) -> tuple[Service, ...]:
    """The choices on the menu for this applicant, in this state of the hall."""
    session = state.session
    choices = ALL_SERVICES
    if not config.by_lockers:
        choices = tuple(service for service in choices if service is not Service.PICKUP)
    if session and (session.offline or not state.service_online):
        choices = tuple(service for service in choices if service in OFFLINE_SERVICES)
    return choices


def step(config: FlowConfig, state: KioskState, event: ev.Event) -> Outcome:
    if isinstance(event, ev.Result) and (event.serial != state.serial or state.session is None):
        return state, []  # the answer to a session that has ended
    handler = _HANDLERS.get(type(event))
    if handler is None:
        return state, []
    if not isinstance(event, NOT_ACTIVITY):
        state = replace(state, idle_seconds=0.0, countdown=None)
    return handler(config, state, event)


# Helpers -----------------------------------------------------------------------------------------------


def _session(state: KioskState) -> Session:
    assert state.session is not None
    return state.session


def _say(state: KioskState, key: str, **params: str) -> fx.Speak:
    return fx.Speak(key, state.language, tuple(sorted(params.items())))


def _with(state: KioskState, **changes: Any) -> KioskState:
    return replace(state, session=replace(_session(state), **changes))


def _notice(state: KioskState, key: str, *, error: bool = False, **params: str) -> KioskState:
    return replace(state, session=_session(state).with_notice(key, error=error, **params))


def _go(state: KioskState, screen: Screen, **changes: Any) -> KioskState:
    if screen is not Screen.VERIFY:
        changes.setdefault("verification", None)  # a checked certificate never outlives its screen
    changes.setdefault("confirm_finish", False)  # 结束办理's question belongs to the screen it was asked on
    return replace(state, screen=screen, session=replace(_session(state), notice=None, **changes))


def _start_session(state: KioskState, language: Language = Language.ZH) -> KioskState:
    return replace(
        state,
        session=Session(language=language),
        serial=state.serial + 1,
        idle_seconds=0.0,
        countdown=None,
        card_reminded=False,
        fault=None,
    )


def _end_session(state: KioskState) -> Outcome:
    """Every trace of the applicant goes: the session object, and (by `Wipe`) scratch files and tokens."""
    ended = replace(state, screen=Screen.ATTRACT, session=None, idle_seconds=0.0, countdown=None, fault=None)
    effects: list[fx.Effect] = [fx.Wipe(state.serial)]
    if state.card_present:
        ended = replace(ended, card_reminded=True)
        effects.append(fx.Speak("take_card", state.language))
    return ended, effects


def _device_fault(state: KioskState, device: Device, *, verifying: bool = False) -> Outcome:
    """Explain a broken device kindly and offer the other ways."""
    if verifying or state.screen is Screen.VERIFY:  # the scanner, while checking a certificate
        return_to = _verify_parent(state) if state.screen is Screen.VERIFY else state.screen
        fault = Fault(device, VERIFY_ALTERNATIVES, return_to=return_to)
    else:
        fault = Fault(device, ALTERNATIVES[device], return_to=state.screen)
    moved = replace(state, screen=Screen.FAULT, fault=fault)
    if state.session is not None:
        moved = _with(moved, busy="", notice=None, verification=None)
    return moved, [_say(state, f"fault_{device.value}")]


def _needs(state: KioskState, device: Device) -> Outcome | None:
    """If `device` is known broken, the fault explanation instead of the action."""
    if device in state.broken:
        return _device_fault(state, device)
    return None


# Handlers: the applicant --------------------------------------------------------------------------


def _touched(config: FlowConfig, state: KioskState, event: ev.Touched) -> Outcome:
    if state.screen is Screen.ATTRACT:
        started = replace(_start_session(state), screen=Screen.LANGUAGE, card_reminded=False)
        return started, [fx.Speak("welcome", Language.ZH)]
    return state, []


def _language(config: FlowConfig, state: KioskState, event: ev.LanguageChosen) -> Outcome:
    if state.screen is not Screen.LANGUAGE:
        return state, []
    moved = _go(state, Screen.IDENTIFY, language=event.language)
    return moved, [_say(moved, "identify_prompt")]


def _elder(config: FlowConfig, state: KioskState, event: ev.ElderModeToggled) -> Outcome:
    if state.session is None:
        return state, []
    session = _session(state)
    elder = not session.elder
    offered = session.notice is not None and session.notice.key == "elder_offer"
    notice = None if elder and offered else session.notice  # the offer is taken: no longer say it
    changed = _with(state, elder=elder, text_scale=ELDER_TEXT_SCALE if elder else 1.0, notice=notice)
    return changed, [_say(changed, "elder_on" if elder else "elder_off")]


def _text_size(config: FlowConfig, state: KioskState, event: ev.TextSizeChanged) -> Outcome:
    if state.session is None:
        return state, []
    scale = _session(state).text_scale
    current = min(range(len(TEXT_SCALES)), key=lambda index: abs(TEXT_SCALES[index] - scale))
    index = max(0, min(len(TEXT_SCALES) - 1, current + (1 if event.step > 0 else -1)))
    return _with(state, text_scale=TEXT_SCALES[index]), []


def _identify_method(config: FlowConfig, state: KioskState, event: ev.IdentifyMethodChosen) -> Outcome:
    if state.screen is not Screen.IDENTIFY:
        return state, []
    if event.method is IdentifyMethod.PHONE and not config.allow_phone_login:
        return _notice(state, "phone_not_allowed", error=True), []
    changed = _with(state, identify_method=event.method, phone="", notice=None)
    return changed, [_say(changed, f"identify_{event.method.value}")]


def _phone(config: FlowConfig, state: KioskState, event: ev.PhoneEntered) -> Outcome:
    if state.screen is not Screen.IDENTIFY or _session(state).identify_method is not IdentifyMethod.PHONE:
        return state, []
    phone = event.phone.strip()
    if not PHONE_RE.match(phone):
        return _notice(state, "phone_invalid", error=True), []
    return _with(state, phone=phone, busy="sending_code", notice=None), [fx.SendCode(state.serial, phone)]


def _code(config: FlowConfig, state: KioskState, event: ev.CodeEntered) -> Outcome:
    session = _session(state) if state.session else None
    if state.screen is not Screen.IDENTIFY or session is None or not session.phone:
        return state, []
    code = event.code.strip()
    if not CODE_RE.match(code):
        return _notice(state, "code_invalid", error=True), []
    credential = f"{session.phone}:{code}"
    effect = fx.Identify(state.serial, IdentifyMethod.PHONE, credential=credential)
    return _with(state, busy="identifying", notice=None), [effect]


def _service(config: FlowConfig, state: KioskState, event: ev.ServiceChosen) -> Outcome:
    if event.service is Service.VERIFY and state.screen is Screen.IDENTIFY and state.session is not None:
        return _start_verify(state)  # anyone holding a paper may check it: no sign-in
    if event.service is Service.PICKUP and state.screen is Screen.IDENTIFY and state.session is not None:
        return _start_pickup(config, state)  # the pickup code or the SMS QR is the credential
    if state.screen is not Screen.MENU or event.service not in menu_services(config, state):
        return state, []
    if event.service is Service.VERIFY:
        return _start_verify(state)
    session = _session(state)
    assert session.applicant is not None
    serial, token, service = state.serial, session.token, event.service
    state = _with(state, supplement_case="")
    if service in (Service.GUIDE, Service.APPLY):
        moved = _go(state, Screen.GUIDE, service=service, busy="loading", item=None, query="", browse=())
        return moved, [fx.SearchItems(serial, "")]
    if service is Service.PROGRESS:
        return _go(state, Screen.PROGRESS, service=service, busy="loading"), [fx.LoadCases(serial, token)]
    if service is Service.RATING:
        return _go(state, Screen.RATING, service=service, busy="loading"), [fx.LoadCases(serial, token)]
    if service is Service.COMPLAINT:
        moved = _go(state, Screen.COMPLAINT, service=service, busy="loading")
        return moved, [fx.LoadCases(serial, token)]
    if service is Service.CERTIFICATES:
        moved = _go(state, Screen.CERTIFICATES, service=service, busy="loading")
        return moved, [fx.LoadCertificates(serial, token)]
    if service is Service.TICKET:
        moved = _go(state, Screen.TICKET, service=service, busy="taking_ticket", ticket=None)
        priority = SENIOR_PRIORITY if session.senior else "ordinary"
        return moved, [fx.TakeTicket(serial, service, session.applicant.id_number, priority)]
    moved = _go(state, Screen.PICKUP, service=service, busy="opening_locker", pickup=None)
    return moved, [fx.OpenLocker(serial, session.applicant.id_number, method="id_card")]


def _verify_parent(state: KioskState) -> Screen:
    return Screen.MENU if state.session is not None and state.session.applicant else Screen.IDENTIFY


def _start_verify(state: KioskState) -> Outcome:
    if _session(state).busy:
        return state, []
    if Device.SCANNER in state.broken:
        return _device_fault(state, Device.SCANNER, verifying=True)
    moved = _go(state, Screen.VERIFY, service=Service.VERIFY, verification=None, busy="")
    return moved, [_say(moved, "verify_prompt")]


def _start_pickup(config: FlowConfig, state: KioskState) -> Outcome:
    if _session(state).busy or not config.by_lockers:
        return state, []
    moved = _go(state, Screen.PICKUP, service=Service.PICKUP, pickup=None, busy="")
    return moved, [_say(moved, "pickup_prompt")]


def _pickup_code(config: FlowConfig, state: KioskState, event: ev.PickupCodeEntered) -> Outcome:
    session = state.session
    if state.screen is not Screen.PICKUP or session is None or session.busy or session.pickup is not None:
        return state, []
    code = event.code.strip()
    if not PICKUP_CODE_RE.match(code):
        return _notice(state, "locker_code_format", error=True), [_say(state, "locker_code_format")]
    moved = _with(state, busy="opening_locker", notice=None)
    return moved, [fx.OpenLocker(state.serial, code, method="code")]


def _leave_verify(state: KioskState, notice: str = "") -> KioskState:
    moved = _go(state, _verify_parent(state), verification=None, busy="")
    return _notice(moved, notice) if notice else moved


def _search(config: FlowConfig, state: KioskState, event: ev.SearchSubmitted) -> Outcome:
    if state.screen is not Screen.GUIDE:
        return state, []
    query = event.query.strip()[:50]
    searching = _with(state, query=query, browse=(), busy="loading", notice=None)
    return searching, [fx.SearchItems(state.serial, query)]


def _browse(config: FlowConfig, state: KioskState, event: ev.Browsed) -> Outcome:
    if state.screen is not Screen.GUIDE or event.facet not in FACETS:
        return state, []
    value = event.value.strip()[:64]
    browsing = _with(state, query="", browse=(event.facet, value), busy="loading", notice=None)
    return browsing, [fx.SearchItems(state.serial, "", event.facet, value)]


def _item_chosen(config: FlowConfig, state: KioskState, event: ev.ItemChosen) -> Outcome:
    if state.screen is not Screen.GUIDE:
        return state, []
    return _with(state, busy="loading", notice=None), [fx.LoadItem(state.serial, event.item_id)]


def _print_guide(config: FlowConfig, state: KioskState, event: ev.PrintGuideRequested) -> Outcome:
    session = _session(state) if state.session else None
    if state.screen is not Screen.ITEM or session is None or session.item is None:
        return state, []
    broken = _needs(state, Device.PRINTER)
    if broken:
        return broken
    effect = fx.PrintGuide(state.serial, session.item, session.language)
    return _with(state, busy="printing", notice=None), [effect]


def _apply(config: FlowConfig, state: KioskState, event: ev.ApplyChosen) -> Outcome:
    session = _session(state) if state.session else None
    if state.screen is not Screen.ITEM or session is None or session.item is None:
        return state, []
    if not session.item.kiosk_apply:
        return _notice(state, "apply_at_window", error=True), []
    applicant = session.applicant
    prefill = {
        "name": applicant.name if applicant else "",
        "id_number": applicant.id_number if applicant else "",
        "phone": applicant.phone if applicant else "",
        "address": applicant.address if applicant else "",
    }
    form = tuple((name, prefill.get(name, "")) for name in session.item.form_fields)
    moved = _go(state, Screen.APPLY_FORM, form=form, captured=(), outcome=None)
    return moved, [_say(moved, "form_prompt")]


def _field(config: FlowConfig, state: KioskState, event: ev.FieldChanged) -> Outcome:
    session = _session(state) if state.session else None
    if state.screen is not Screen.APPLY_FORM or session is None:
        return state, []
    names = [name for name, _value in session.form]
    if event.name not in names or event.name in ("name", "id_number"):
        return state, []  # identity fields come from the card and are not edited here
    value = event.value.strip()[:200]
    form = tuple((name, value if name == event.name else old) for name, old in session.form)
    return _with(state, form=form, notice=None), []


def _confirm_form(config: FlowConfig, state: KioskState, event: ev.FormConfirmed) -> Outcome:
    session = _session(state) if state.session else None
    if state.screen is not Screen.APPLY_FORM or session is None:
        return state, []
    for name in REQUIRED_FORM_FIELDS:
        if name in dict(session.form) and not session.form_value(name):
            return _notice(state, "field_required", error=True, field=name), []
    phone = session.form_value("phone")
    if phone and not PHONE_RE.match(phone):
        return _notice(state, "phone_invalid", error=True), []
    moved = _go(state, Screen.APPLY_CAPTURE)
    return moved, [_say(moved, "capture_prompt")]


def _capture(config: FlowConfig, state: KioskState, event: ev.CaptureRequested) -> Outcome:
    session = _session(state) if state.session else None
    if state.screen is not Screen.APPLY_CAPTURE or session is None or session.item is None or session.busy:
        return state, []
    if event.material_code not in {material.code for material in session.item.materials}:
        return state, []
    broken = _needs(state, Device.CAMERA)
    if broken:
        return broken
    moved = _with(state, busy="capturing", notice=None)
    return moved, [fx.Capture(state.serial, event.material_code), _say(moved, "capture_place")]


def _replace_material(state: KioskState, material: CapturedMaterial) -> KioskState:
    kept = tuple(m for m in _session(state).captured if m.material_code != material.material_code)
    return _with(state, captured=(*kept, material))


def _library(config: FlowConfig, state: KioskState, event: ev.LibraryDocumentUsed) -> Outcome:
    session = _session(state) if state.session else None
    if state.screen is not Screen.APPLY_CAPTURE or session is None:
        return state, []
    known = {(doc.material_code, doc.document_id) for doc in session.library}
    if (event.material_code, event.document_id) not in known:
        return state, []
    material = CapturedMaterial(event.material_code, library_document_id=event.document_id)
    return _notice(_replace_material(state, material), "library_used"), []


def _remove_material(config: FlowConfig, state: KioskState, event: ev.MaterialRemoved) -> Outcome:
    if state.screen is not Screen.APPLY_CAPTURE or state.session is None:
        return state, []
    kept = tuple(m for m in _session(state).captured if m.material_code != event.material_code)
    return _with(state, captured=kept), []


def _submit(config: FlowConfig, state: KioskState, event: ev.SubmitRequested) -> Outcome:
    session = _session(state) if state.session else None
    if state.screen is not Screen.APPLY_CAPTURE or session is None or session.item is None or session.busy:
        return state, []  # a second press while submitting is ignored: one submission, never two
    submission = fx.Submission(
        session.item.item_id, session.form, session.captured, case_id=session.supplement_case
    )
    moved = _with(state, busy="submitting", notice=None)
    return moved, [fx.Submit(state.serial, session.token, submission)]


def _certificate_print(config: FlowConfig, state: KioskState, event: ev.CertificatePrintRequested) -> Outcome:
    session = _session(state) if state.session else None
    if state.screen is not Screen.CERTIFICATES or session is None or session.busy:
        return state, []
    if event.certificate_id not in {cert.certificate_id for cert in session.certificates}:
        return state, []
    broken = _needs(state, Device.PRINTER)
    if broken:
        return broken
    moved = _with(state, busy="printing", notice=None)
    return moved, [fx.PrintCertificate(state.serial, session.token, event.certificate_id)]


def _supplement(config: FlowConfig, state: KioskState, event: ev.SupplementChosen) -> Outcome:
    session = _session(state) if state.session else None
    if state.screen is not Screen.PROGRESS or session is None or session.busy:
        return state, []
    case = next((c for c in session.cases if c.case_id == event.case_id and c.needs_supplement), None)
    if case is None or not case.item_id:
        return state, []
    moved = _with(state, supplement_case=case.case_id, service=Service.APPLY, busy="loading", notice=None)
    return moved, [fx.LoadItem(state.serial, case.item_id)]


def _supplement_loaded(state: KioskState, event: ev.ItemLoaded) -> Outcome:
    """补正: straight to capturing what the case lacks; what it already holds counts as given (library)."""
    session = _session(state)
    case = next((c for c in session.cases if c.case_id == session.supplement_case), None)
    if case is None:
        return _with(state, busy="", supplement_case=""), []
    library = {doc.material_code: doc.document_id for doc in session.library}
    given = tuple(
        CapturedMaterial(m.code, library_document_id=library.get(m.code, f"case:{case.case_id}"))
        for m in event.item.materials
        if m.required and m.code not in case.missing
    )
    moved = _go(state, Screen.APPLY_CAPTURE, item=event.item, form=(), captured=given, outcome=None)
    return _notice(moved, "supplement_prompt", count=str(len(case.missing))), [
        _say(moved, "supplement_prompt", count=str(len(case.missing)))
    ]


def _rating(config: FlowConfig, state: KioskState, event: ev.RatingGiven) -> Outcome:
    session = _session(state) if state.session else None
    if state.screen is not Screen.RATING or session is None or not 1 <= event.score <= 5:
        return state, []
    rateable = {case.case_id for case in session.cases if case.finished and not case.rated}
    if event.case_id not in rateable:
        return state, []
    moved = _with(state, busy="sending", notice=None)
    return moved, [fx.Rate(state.serial, session.token, event.case_id, event.score)]


def _complaint(config: FlowConfig, state: KioskState, event: ev.ComplaintGiven) -> Outcome:
    """投诉 about one of the person's own cases, for one of the kiosk's reasons (COMPLAINT_REASONS)."""
    session = _session(state) if state.session else None
    if state.screen is not Screen.COMPLAINT or session is None or event.reason not in COMPLAINT_REASONS:
        return state, []
    if event.case_id not in {case.case_id for case in session.cases}:
        return state, []
    moved = _with(state, busy="sending", notice=None)
    return moved, [fx.FileComplaint(state.serial, session.token, event.case_id, event.reason)]


def _complained(config: FlowConfig, state: KioskState, event: ev.ComplaintFiled) -> Outcome:
    changed = _notice(_with(state, busy=""), "complaint_filed", reply_by=event.reply_by)
    return changed, [_say(changed, "complaint_filed", reply_by=event.reply_by)]


def _open_hall_complaint(config: FlowConfig, state: KioskState, event: ev.HallComplaintOpened) -> Outcome:
    """对大厅投诉: from the card prompt (nobody signed in) or from the signed-in person's 投诉 screen."""
    session = state.session
    if session is None or session.busy:
        return state, []
    signed_in = session.applicant is not None
    if state.screen is not (Screen.COMPLAINT if signed_in else Screen.IDENTIFY):
        return state, []
    moved = _go(state, Screen.HALL_COMPLAINT, identify_method=None, phone="")
    return moved, [_say(moved, "hall_complaint_prompt")]


def _hall_complaint(config: FlowConfig, state: KioskState, event: ev.HallComplaintGiven) -> Outcome:
    session = state.session
    if state.screen is not Screen.HALL_COMPLAINT or session is None or session.busy:
        return state, []
    if event.topic not in HALL_TOPICS:
        return _notice(state, "hall_complaint_choose_topic", error=True), []
    phone = event.phone.strip()
    if phone and not PHONE_RE.match(phone):
        return _notice(state, "phone_invalid", error=True), []
    moved = _with(state, busy="sending", notice=None)
    return moved, [fx.FileHallComplaint(state.serial, session.token, event.topic, phone)]


def _hall_complained(config: FlowConfig, state: KioskState, event: ev.HallComplaintFiled) -> Outcome:
    key = "hall_complaint_filed"
    if not event.reachable:  # no phone: in the signed-in person's name, or nobody's
        key += "_no_phone" if _session(state).applicant else "_anonymous"
    changed = _notice(_with(state, busy=""), key, reply_by=event.reply_by)
    return changed, [_say(changed, key, reply_by=event.reply_by)]


def _back(config: FlowConfig, state: KioskState, event: ev.Back) -> Outcome:
    if state.screen is Screen.FAULT and state.fault is not None:
        return replace(state, screen=state.fault.return_to, fault=None), []
    if state.screen is Screen.VERIFY:
        return _leave_verify(state), []
    if state.screen is Screen.PICKUP and _session(state).applicant is None:
        return _go(state, Screen.IDENTIFY, pickup=None, busy=""), []
    if state.screen is Screen.HALL_COMPLAINT and _session(state).applicant is None:
        return _go(state, Screen.IDENTIFY, busy=""), []
    parent = PARENT.get(state.screen)
    if parent is None:
        return state, []
    if parent is Screen.ATTRACT:
        return _end_session(state)
    if parent is Screen.LANGUAGE:
        return _go(state, Screen.LANGUAGE, identify_method=None, phone=""), []
    if state.screen is Screen.APPLY_CAPTURE and _session(state).supplement_case:
        parent = Screen.PROGRESS
    if parent is Screen.ITEM and _session(state).item is None:
        parent = Screen.GUIDE
    return _go(state, parent), []


def _home(config: FlowConfig, state: KioskState, event: ev.Home) -> Outcome:
    if state.session is None:
        return state, []
    if _session(state).applicant is None:
        return _end_session(state)
    return replace(_go(state, Screen.MENU, busy=""), fault=None), []


def _finish(config: FlowConfig, state: KioskState, event: ev.Finish) -> Outcome:
    if state.session is None:
        return state, []
    if not event.confirmed and state.screen in HALF_MADE and state.session.outcome is None:
        asking = _notice(_with(state, confirm_finish=True), "finish_confirm", error=True)
        return asking, [_say(asking, "finish_confirm")]
    ended, effects = _end_session(state)
    return ended, [*effects, fx.Speak("goodbye", state.language)]


def _finish_cancelled(config: FlowConfig, state: KioskState, event: ev.FinishCancelled) -> Outcome:
    if state.session is None or not state.session.confirm_finish:
        return state, []
    return _with(state, confirm_finish=False, notice=None), []


# Handlers: devices, network, clock ----------------------------------------------------------------


def _card_in(config: FlowConfig, state: KioskState, event: ev.CardInserted) -> Outcome:
    state = replace(state, card_present=True, card_present_seconds=0.0, card_reminded=False)
    if state.screen is Screen.ATTRACT:
        # A card on the reader starts a session at once, in Chinese (the language can be changed after).
        state = replace(_start_session(state), screen=Screen.IDENTIFY)
    if state.screen is Screen.PICKUP:  # laid on the pickup screen: the card opens, no sign-in
        session = _session(state)
        if session.busy or session.pickup is not None or session.applicant is not None:
            return state, []
        moved = _with(state, busy="opening_locker", notice=None)
        return moved, [fx.OpenLocker(state.serial, event.card.id_number, method="id_card")]
    if state.screen not in (Screen.IDENTIFY, Screen.LANGUAGE):
        return state, []
    moved = _go(state, Screen.IDENTIFY, identify_method=IdentifyMethod.CARD, busy="identifying")
    return moved, [fx.Identify(state.serial, IdentifyMethod.CARD, card=event.card)]


def _card_refused(config: FlowConfig, state: KioskState, event: ev.CardRefused) -> Outcome:
    """A card that cannot start a session: say why where a card is being asked for, start nothing."""
    if state.screen is Screen.ATTRACT:
        state = replace(_start_session(state), screen=Screen.IDENTIFY)
    if state.screen not in (Screen.IDENTIFY, Screen.LANGUAGE) or _session(state).busy:
        return state, []
    key = f"card_{event.reason.value}"
    moved = _go(state, Screen.IDENTIFY, identify_method=IdentifyMethod.CARD)
    return _notice(moved, key, error=True), [_say(moved, key)]


def _card_out(config: FlowConfig, state: KioskState, event: ev.CardRemoved) -> Outcome:
    return replace(state, card_present=False, card_present_seconds=0.0, card_reminded=False), []


def _qr(config: FlowConfig, state: KioskState, event: ev.QrScanned) -> Outcome:
    if state.screen is Screen.VERIFY and not _session(state).busy:
        # A new scan replaces whatever verdict was shown.
        moved = _with(state, busy="verifying", verification=None, notice=None)
        return moved, [fx.VerifyCertificate(state.serial, event.text.strip()[:2000])]
    if state.screen is Screen.PICKUP:  # the SMS's pickup QR shown to the kiosk's scanner
        session = _session(state)
        if session.busy or session.pickup is not None:
            return state, []
        moved = _with(state, busy="opening_locker", notice=None)
        return moved, [fx.OpenLocker(state.serial, event.text.strip()[:200], method="qr")]
    if state.screen is not Screen.IDENTIFY or _session(state).busy:
        return state, []
    moved = _with(state, identify_method=IdentifyMethod.QR, busy="identifying", notice=None)
    return moved, [fx.Identify(state.serial, IdentifyMethod.QR, credential=event.text.strip()[:2000])]


def _fault(config: FlowConfig, state: KioskState, event: ev.DeviceFault) -> Outcome:
    report = fx.ReportFault(event.device, event.reason)
    already = event.device in state.broken
    state = replace(state, broken=state.broken | {event.device})
    using = event.device in SCREEN_DEVICES.get(state.screen, frozenset())
    if already or not using or state.session is None:
        return state, [] if already else [report]
    explained, effects = _device_fault(state, event.device)
    return explained, [report, *effects]


def _recovered(config: FlowConfig, state: KioskState, event: ev.DeviceRecovered) -> Outcome:
    if event.device not in state.broken:
        return state, []
    return replace(state, broken=state.broken - {event.device}), [fx.ReportRecovered(event.device)]


def _unreachable(config: FlowConfig, state: KioskState, event: ev.ServiceUnreachable) -> Outcome:
    if not state.service_online:
        return state, []
    state = replace(state, service_online=False)
    if state.session is None:
        return state, []
    return _notice(state, "service_offline", error=True), [_say(state, "service_offline")]


def _back_online(config: FlowConfig, state: KioskState, event: ev.ServiceBack) -> Outcome:
    if state.service_online:
        return state, []
    state = replace(state, service_online=True)
    session = state.session
    if session is not None and session.notice is not None and session.notice.key == "service_offline":
        state = _with(state, notice=None)
    return state, [fx.FlushOutbox()]


def _outbox(config: FlowConfig, state: KioskState, event: ev.OutboxChanged) -> Outcome:
    return replace(state, outbox_pending=max(0, event.pending)), []


def _tick(config: FlowConfig, state: KioskState, event: ev.Tick) -> Outcome:
    seconds = max(0.0, event.seconds)
    effects: list[fx.Effect] = []
    if state.card_present:
        state = replace(state, card_present_seconds=state.card_present_seconds + seconds)
        identified = state.session is not None and state.session.applicant is not None
        due = state.card_present_seconds >= config.card_reminder_after
        if (identified or state.session is None) and due and not state.card_reminded:
            state = replace(state, card_reminded=True)
            effects.append(_say(state, "take_card"))
            if state.session is not None:
                state = _notice(state, "take_card")
    if state.session is None:
        return state, effects
    if state.screen is Screen.VERIFY and state.countdown is None:
        if state.idle_seconds + seconds >= config.verify_timeout:
            return replace(_leave_verify(state, "verify_timed_out"), idle_seconds=0.0), effects
        return replace(state, idle_seconds=state.idle_seconds + seconds), effects
    if state.countdown is not None:
        remaining = state.countdown - seconds
        if remaining <= 0:
            ended, end_effects = _end_session(state)
            return ended, [*effects, *end_effects]
        return replace(state, countdown=remaining), effects
    idle = state.idle_seconds + seconds
    slower = ELDER_TIME_FACTOR if state.session.elder else 1.0
    if idle >= config.idle_timeout * slower:
        countdown = config.countdown * slower
        state = replace(state, idle_seconds=idle, countdown=countdown)
        return state, [*effects, _say(state, "countdown", seconds=f"{countdown:.0f}")]
    return replace(state, idle_seconds=idle), effects


# Handlers: results --------------------------------------------------------------------------------


def _identified(config: FlowConfig, state: KioskState, event: ev.Identified) -> Outcome:
    if state.screen is not Screen.IDENTIFY:
        return state, []
    moved = _go(
        state,
        Screen.MENU,
        applicant=event.applicant,
        token=event.token,
        library=event.library,
        offline=event.offline,
        senior=event.age is not None and event.age >= SENIOR_AGE,
        busy="",
    )
    greeting = _say(moved, "greeting", name=event.applicant.masked_name)
    if event.offline:
        return _notice(moved, "service_offline", error=True), [greeting]
    if _session(moved).senior and not _session(moved).elder:
        offered = _notice(moved, "elder_offer")
        return offered, [greeting, _say(offered, "elder_offer")]
    return moved, [greeting]


def _identify_failed(config: FlowConfig, state: KioskState, event: ev.IdentifyFailed) -> Outcome:
    return _notice(state, event.reason, error=True), [_say(state, event.reason)]


def _code_sent(config: FlowConfig, state: KioskState, event: ev.CodeSent) -> Outcome:
    return _notice(state, "code_sent"), []


def _items(config: FlowConfig, state: KioskState, event: ev.ItemsFound) -> Outcome:
    session = _session(state)
    whole = not session.query and not session.browse  # the unfiltered list: the catalogue
    changed = _with(state, items=event.items, busy="", **({"catalogue": event.items} if whole else {}))
    return (_notice(changed, "nothing_found") if not event.items else changed), []


def _item_loaded(config: FlowConfig, state: KioskState, event: ev.ItemLoaded) -> Outcome:
    if state.screen is Screen.PROGRESS and _session(state).supplement_case:
        return _supplement_loaded(state, event)
    if state.screen is not Screen.GUIDE:
        return state, []
    return _go(state, Screen.ITEM, item=event.item, busy=""), []


def _captured(config: FlowConfig, state: KioskState, event: ev.MaterialCaptured) -> Outcome:
    material = CapturedMaterial(event.material_code, image_path=event.image_path)
    changed = _notice(_replace_material(state, material), "captured")
    return changed, [_say(changed, "captured")]


def _capture_failed(config: FlowConfig, state: KioskState, event: ev.CaptureFailed) -> Outcome:
    return _notice(state, event.reason, error=True), [_say(state, event.reason)]


def submitted_message(outcome: SubmitOutcome, item: ItemDetail) -> tuple[str, dict[str, str]]:
    """What a complete submission is told with: submitted (not accepted), the window's review date from
    the case service (or, without one, its rule: 5 working days), and the item's time limit after that."""
    days = str(item.time_limit_days)
    if outcome.review_by:
        estimated = "yes" if outcome.review_estimated else ""
        return "submission_submitted", {"date": outcome.review_by, "days": days, "estimated": estimated}
    return "submission_submitted_soon", {"days": days}


def _submitted(config: FlowConfig, state: KioskState, event: ev.Submitted) -> Outcome:
    session = _session(state)
    moved = _go(state, Screen.APPLY_DONE, outcome=event.outcome, busy="")
    if event.outcome.queued:
        return moved, [_say(moved, "submission_queued")]
    assert session.item is not None
    if event.outcome.accepted and session.supplement_case:
        effects: list[fx.Effect] = [_say(moved, "supplement_submitted")]
    elif event.outcome.accepted:
        key, params = submitted_message(event.outcome, session.item)
        effects = [_say(moved, key, **params)]
    else:
        effects = [_say(moved, "submission_incomplete")]
    if Device.PRINTER in state.broken:
        explained, fault_effects = _device_fault(moved, Device.PRINTER)
        return explained, [*effects, *fault_effects]
    moved = _with(moved, busy="printing")
    return moved, [
        *effects,
        fx.PrintOutcome(
            state.serial,
            session.token,
            session.item,
            event.outcome,
            session.language,
            supplement=bool(session.supplement_case) and event.outcome.accepted,
        ),
    ]


def _cases(config: FlowConfig, state: KioskState, event: ev.CasesLoaded) -> Outcome:
    changed = _with(state, cases=event.cases, busy="")
    return (_notice(changed, "no_cases") if not event.cases else changed), []


def _certificates(config: FlowConfig, state: KioskState, event: ev.CertificatesLoaded) -> Outcome:
    changed = _with(state, certificates=event.certificates, busy="")
    return (_notice(changed, "no_certificates") if not event.certificates else changed), []


def _ticket(config: FlowConfig, state: KioskState, event: ev.TicketTaken) -> Outcome:
    changed = _with(state, ticket=event.ticket, busy="")
    effects: list[fx.Effect] = [_say(changed, "ticket_taken", number=event.ticket.number)]
    if Device.PRINTER in state.broken:
        return _notice(changed, "ticket_not_printed"), effects
    changed = _with(changed, busy="printing")
    return changed, [*effects, fx.PrintTicket(state.serial, event.ticket, changed.language)]


def _locker(config: FlowConfig, state: KioskState, event: ev.LockerOpened) -> Outcome:
    changed = _with(state, pickup=event.pickup, busy="")
    where = {"locker": event.pickup.bank_number, "compartment": event.pickup.compartment}
    return changed, [_say(changed, "locker_where", **where), _say(changed, "locker_opened")]


def _rated(config: FlowConfig, state: KioskState, event: ev.Rated) -> Outcome:
    cases = tuple(
        replace(case, rated=True) if case.case_id == event.case_id else case for case in _session(state).cases
    )
    changed = _notice(_with(state, cases=cases), "thanks_rating")
    return changed, [_say(changed, "thanks_rating")]


def _printed(config: FlowConfig, state: KioskState, event: ev.Printed) -> Outcome:
    changed = _notice(state, f"printed_{event.kind}")
    effects: list[fx.Effect] = [_say(changed, f"printed_{event.kind}")]
    if event.kind == "certificate":  # the original is out: the list now offers a marked copy
        effects.append(fx.LoadCertificates(state.serial, _session(state).token))
    return changed, effects


def _verified(config: FlowConfig, state: KioskState, event: ev.CertificateVerified) -> Outcome:
    if state.screen is not Screen.VERIFY:
        return state, []  # the screen closed meanwhile: the verdict (and the name on it) is not kept
    verdict = event.verification
    key = verdict.message_key
    # The verdict stays up for a full timeout from when it arrived.
    changed = replace(_with(state, verification=verdict, busy="", notice=None), idle_seconds=0.0)
    if verdict.offline:
        changed = _notice(changed, "verify_offline", error=True)
    return changed, [_say(changed, key)]


def _failed(config: FlowConfig, state: KioskState, event: ev.OperationFailed) -> Outcome:
    params = dict(event.params)
    if state.screen is Screen.PICKUP:
        state = _with(state, pickup=None)
    return _notice(state, event.reason, error=True, **params), [_say(state, event.reason, **params)]


_HANDLERS: dict[type[ev.Event], Callable[[FlowConfig, KioskState, Any], Outcome]] = {
    ev.Touched: _touched,
    ev.LanguageChosen: _language,
    ev.ElderModeToggled: _elder,
    ev.TextSizeChanged: _text_size,
    ev.IdentifyMethodChosen: _identify_method,
    ev.PhoneEntered: _phone,
    ev.CodeEntered: _code,
    ev.PickupCodeEntered: _pickup_code,
    ev.ServiceChosen: _service,
    ev.SearchSubmitted: _search,
    ev.Browsed: _browse,
    ev.ItemChosen: _item_chosen,
    ev.PrintGuideRequested: _print_guide,
    ev.ApplyChosen: _apply,
    ev.FieldChanged: _field,
    ev.FormConfirmed: _confirm_form,
    ev.CaptureRequested: _capture,
    ev.LibraryDocumentUsed: _library,
    ev.MaterialRemoved: _remove_material,
    ev.SubmitRequested: _submit,
    ev.CertificatePrintRequested: _certificate_print,
    ev.SupplementChosen: _supplement,
    ev.RatingGiven: _rating,
    ev.ComplaintGiven: _complaint,
    ev.ComplaintFiled: _complained,
    ev.HallComplaintOpened: _open_hall_complaint,
    ev.HallComplaintGiven: _hall_complaint,
    ev.HallComplaintFiled: _hall_complained,
    ev.Back: _back,
    ev.Home: _home,
    ev.Finish: _finish,
    ev.FinishCancelled: _finish_cancelled,
    ev.CardInserted: _card_in,
    ev.CardRemoved: _card_out,
    ev.CardRefused: _card_refused,
    ev.QrScanned: _qr,
    ev.DeviceFault: _fault,
    ev.DeviceRecovered: _recovered,
    ev.ServiceUnreachable: _unreachable,
    ev.ServiceBack: _back_online,
    ev.OutboxChanged: _outbox,
    ev.Tick: _tick,
    ev.Identified: _identified,
    ev.IdentifyFailed: _identify_failed,
    ev.CodeSent: _code_sent,
    ev.ItemsFound: _items,
    ev.ItemLoaded: _item_loaded,
    ev.MaterialCaptured: _captured,
    ev.CaptureFailed: _capture_failed,
    ev.Submitted: _submitted,
    ev.CasesLoaded: _cases,
    ev.CertificatesLoaded: _certificates,
    ev.TicketTaken: _ticket,
    ev.LockerOpened: _locker,
    ev.Rated: _rated,
    ev.Printed: _printed,
    ev.CertificateVerified: _verified,
    ev.OperationFailed: _failed,
}
