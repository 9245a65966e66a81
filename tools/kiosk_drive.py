"""The old end-to-end script of the real Kivy kiosk (tests/kiosk/test_end_to_end.py), until that test is
a touch journey: it posts the events touches would post (the screen tour and the bench touch the screen
instead: tools/kiosk_touch.py, tools/kiosk_tour.py).

    python tools/kiosk_drive.py --script e2e --case-service-url URL --out DIR [--phase apply]

Runs the app as `hall kiosk` does (same App, shell, screens, runner) with the real case service, the ID-card
driver on firmware_sim's reader emulator and in-process devices, and after each step waits for the screen
to settle, saves a screenshot and checks that no text is clipped. Prints one JSON report.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from hall.settings import load_settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: the repository's tools/
from kiosk.flow import events as ev
from kiosk.flow.model import Language, Service
from kiosk.flow.state import KioskState, Screen
from tools.kiosk_touch import clipped_labels

Check = Callable[[KioskState], bool]


@dataclass
class Step:
    name: str
    act: Callable[[], object]
    until: Check
    shot: str = ""  # screenshot name, or "" for none


@dataclass
class Report:
    shots: list[str] = field(default_factory=list)
    clipped: list[str] = field(default_factory=list)
    timings: dict[str, list[float]] = field(default_factory=dict)
    failed: str = ""
    started_at: float = 0.0
    ready_after: float = 0.0
    printed: list[str] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)


def _settled(state: KioskState, screen: Screen) -> bool:
    return state.screen is screen and not (state.session and state.session.busy)


def end_to_end(
    app: Any, opened: Any, item_code: str, notes: dict[str, str], *, ticket: bool
) -> Iterator[Step]:
    """An applicant taps a real (emulated) ID card, applies with one material missing, gets the notice,
    leaves, comes back with the card and finds the case in 进度查询. Case service and card reader are real."""
    from firmware_sim.idcard.cards import SimCard, sample_identity

    post = app.post
    card = SimCard.of(sample_identity("王芳"))

    def shown(screen: Screen) -> Check:
        return lambda state: _settled(state, screen)

    yield Step("attract", lambda: None, shown(Screen.ATTRACT))
    yield Step("touch", partial(post, ev.Touched()), shown(Screen.LANGUAGE))
    yield Step("language", partial(post, ev.LanguageChosen(Language.ZH)), shown(Screen.IDENTIFY))
    yield Step("card tap to greeting", partial(opened.present, card), shown(Screen.MENU), "e2e-menu-zh")
    yield Step("card taken after the greeting", partial(opened.present, None), lambda s: not s.card_present)
    yield Step(
        "apply",
        partial(post, ev.ServiceChosen(Service.APPLY)),
        lambda s: _settled(s, Screen.GUIDE) and bool(s.session and s.session.items),
    )
    yield Step("search", partial(post, ev.SearchSubmitted(item_code)), shown(Screen.GUIDE))
    yield Step("item", partial(post, ev.ItemChosen(item_code)), shown(Screen.ITEM), "e2e-item-zh")
    yield Step("form", partial(post, ev.ApplyChosen()), shown(Screen.APPLY_FORM))
    yield Step("phone", partial(post, ev.FieldChanged("phone", "13812345678")), shown(Screen.APPLY_FORM))
    yield Step("confirm", partial(post, ev.FormConfirmed()), shown(Screen.APPLY_CAPTURE))
    session = app.core.state.session
    required = [m.code for m in session.item.materials if m.required] if session and session.item else []
    for count, code in enumerate(required[:-1], 1):  # the last required material is left out
        yield Step(
            "capture to clean page on screen",
            partial(post, ev.CaptureRequested(code)),
            partial(_captured, count=count),
        )
    yield Step("submit", partial(post, ev.SubmitRequested()), _printed_done, "e2e-notice-zh")
    yield Step("leave", partial(post, ev.Finish()), shown(Screen.ATTRACT))
    yield Step("touch", partial(post, ev.Touched()), shown(Screen.LANGUAGE))
    yield Step("language", partial(post, ev.LanguageChosen(Language.ZH)), shown(Screen.IDENTIFY))
    yield Step("card tap again", partial(opened.present, card), shown(Screen.MENU))
    yield Step("card taken again", partial(opened.present, None), lambda s: not s.card_present)
    yield Step(
        "progress",
        partial(post, ev.ServiceChosen(Service.PROGRESS)),
        lambda s: _settled(s, Screen.PROGRESS) and bool(s.session and s.session.cases),
        "e2e-progress-zh",
    )
    if ticket:  # from the running hall controller
        yield Step("home", partial(post, ev.Home()), shown(Screen.MENU))
        yield Step(
            "ticket",
            partial(post, ev.ServiceChosen(Service.TICKET)),
            lambda s: _notice(s, "printed_ticket"),
            "e2e-ticket-zh",
        )
        session = app.core.state.session
        notes["ticket"] = session.ticket.number if session and session.ticket else ""
    yield Step("leave", partial(post, ev.Finish()), shown(Screen.ATTRACT))


def come_back(
    app: Any, opened: Any, phase: str, notes: dict[str, str], qr_camera: Any = None
) -> Iterator[Step]:
    """The same applicant later: "complete" gives the materials a clerk's 补正 notice asked for (what the
    case already holds is not asked again); "certificate" prints the sealed certificate. With `qr_camera`
    (firmware_sim's QR camera behind the kiosk's scanner) the applicant shows an e-ID QR code instead of
    tapping the card."""
    from firmware_sim.idcard.cards import SimCard, sample_identity

    post = app.post
    identity = sample_identity("王芳")
    card = SimCard.of(identity)

    def shown(screen: Screen) -> Check:
        return lambda state: _settled(state, screen)

    yield Step("attract", lambda: None, shown(Screen.ATTRACT))
    yield Step("touch", partial(post, ev.Touched()), shown(Screen.LANGUAGE))
    yield Step("language", partial(post, ev.LanguageChosen(Language.ZH)), shown(Screen.IDENTIFY))
    if qr_camera is not None:
        from case_service.api.routes.applicant_signin import dev_eid_issuer, issue_eid
        from hall.settings import load_settings

        issuer = dev_eid_issuer(load_settings().secret_key.get_secret_value())
        qr = issue_eid(issuer, identity.name, identity.id_number)
        yield Step("e-ID QR to greeting", partial(qr_camera.show, qr), shown(Screen.MENU), "e2e-qr-menu-zh")
        yield Step("phone taken away", qr_camera.take_away, shown(Screen.MENU))
        session = app.core.state.session
        notes["signed_in_by"] = session.identify_method.value if session and session.identify_method else ""
    else:
        yield Step("card tap to greeting", partial(opened.present, card), shown(Screen.MENU))
        yield Step(
            "card taken after the greeting", partial(opened.present, None), lambda s: not s.card_present
        )
    if phase == "complete":
        yield Step(
            "progress",
            partial(post, ev.ServiceChosen(Service.PROGRESS)),
            lambda s: _settled(s, Screen.PROGRESS) and any(c.needs_supplement for c in _cases(s)),
            "e2e-supplement-zh",
        )
        yield Step(
            "supplement",
            lambda: post(ev.SupplementChosen(_supplement_case(app))),
            shown(Screen.APPLY_CAPTURE),
        )
        session = app.core.state.session
        given = len(session.captured) if session else 0
        missing = next(c for c in _cases(app.core.state) if c.needs_supplement).missing
        notes["reused"] = str(given)
        for count, code in enumerate(missing, given + 1):
            yield Step(
                "capture to clean page on screen",
                partial(post, ev.CaptureRequested(code)),
                partial(_captured, count=count),
                "e2e-supplement-capture-zh" if count == given + len(missing) else "",
            )
        yield Step("submit", partial(post, ev.SubmitRequested()), _printed_done, "e2e-complete-zh")
    else:
        yield Step(
            "certificates",
            partial(post, ev.ServiceChosen(Service.CERTIFICATES)),
            lambda s: _settled(s, Screen.CERTIFICATES) and bool(s.session and s.session.certificates),
            "e2e-certificates-zh",
        )
        notes["certificate"] = _certificate(app)
        yield Step(
            "print request to job done",
            lambda: post(ev.CertificatePrintRequested(_certificate(app))),
            lambda s: _notice(s, "printed_certificate"),
            "e2e-printed-zh",
        )
    yield Step("leave", partial(post, ev.Finish()), shown(Screen.ATTRACT))


def verify_visit(app: Any, qr_camera: Any, qr: str, notes: dict[str, str]) -> Iterator[Step]:
    """Someone holding a printed certificate checks it at the kiosk without signing in (证照核验)."""
    post = app.post

    def shown(screen: Screen) -> Check:
        return lambda state: _settled(state, screen)

    def verdict(state: KioskState) -> bool:
        return _settled(state, Screen.VERIFY) and bool(state.session and state.session.verification)

    yield Step("attract", lambda: None, shown(Screen.ATTRACT))
    yield Step("touch", partial(post, ev.Touched()), shown(Screen.LANGUAGE))
    yield Step("language", partial(post, ev.LanguageChosen(Language.ZH)), shown(Screen.IDENTIFY))
    yield Step("verify, no sign-in", partial(post, ev.ServiceChosen(Service.VERIFY)), shown(Screen.VERIFY))
    yield Step("certificate QR to verdict", partial(qr_camera.show, qr), verdict, "e2e-verify-zh")
    session = app.core.state.session
    found = session.verification if session else None
    if found is not None:
        notes.update(verdict=found.reason.value, holder=found.holder_masked, number=found.number)
        notes["signed_in"] = "yes" if session and session.applicant else "no"
    yield Step("paper taken away", qr_camera.take_away, shown(Screen.VERIFY))
    yield Step("leave", partial(post, ev.Finish()), shown(Screen.ATTRACT))


def _cases(state: KioskState) -> tuple[Any, ...]:
    return state.session.cases if state.session else ()


def _supplement_case(app: Any) -> str:
    return next((c.case_id for c in _cases(app.core.state) if c.needs_supplement), "")


def _notice(state: KioskState, key: str) -> bool:
    session = state.session
    return bool(session and not session.busy and session.notice and session.notice.key == key)


def _captured(state: KioskState, *, count: int) -> bool:
    session = state.session
    return bool(session and not session.busy and len(session.captured) >= count)


def _printed_done(state: KioskState) -> bool:
    return _settled(state, Screen.APPLY_DONE) and (
        _notice(state, "printed_notice")
        or _notice(state, "printed_receipt")
        or _notice(state, "printed_supplement_receipt")
    )


def _certificate(app: Any) -> str:
    session = app.core.state.session
    return str(session.certificates[-1].certificate_id) if session and session.certificates else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--orientation", choices=("portrait", "landscape"), default="landscape")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--prefix", default="kiosk")
    parser.add_argument("--step-timeout", type=float, default=60.0)
    parser.add_argument("--full-size", action="store_true", help="keep screenshots at full size")
    parser.add_argument("--script", choices=("e2e",), default="e2e")
    parser.add_argument("--case-service-url", default="", help="e2e: the running case service")
    parser.add_argument("--item", default="", help="e2e: the item to apply for")
    parser.add_argument("--controller-url", default="", help="e2e: the running hall controller")
    parser.add_argument(
        "--phase",
        choices=("apply", "complete", "certificate", "verify"),
        default="apply",
        help="e2e: which visit (verify: anyone checks a certificate's QR, no sign-in; needs --sign-in qr)",
    )
    parser.add_argument("--verify-qr", default="", help="e2e verify: the QR text shown to the QR camera")
    parser.add_argument("--cups-queue", default="", help="print on this CUPS queue instead of the simulated")
    parser.add_argument("--cups-host", default="localhost")
    parser.add_argument("--cups-port", type=int, default=631)
    parser.add_argument(
        "--camera",
        choices=("sim", "device"),
        default="sim",
        help="device: the document camera of devices/camera (HALL_DEVICES__BACKEND=sim: desk scenes)",
    )
    parser.add_argument(
        "--sign-in", choices=("card", "qr"), default="card", help="e2e come-back visits: card, or e-ID QR"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()

    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    os.environ["HALL_KIOSK__ORIENTATION"] = args.orientation
    settings = load_settings()
    (settings.data_dir / "kivy").mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("KIVY_HOME", str((settings.data_dir / "kivy").resolve()))
    from kivy.clock import Clock
    from kivy.config import Config

    Config.set("kivy", "exit_on_escape", "0")
    from kivy.core.window import Window

    # The running case service; in-process devices the script places cards on and queues codes in.
    from devices.idcard.config import IdCardSettings
    from firmware_sim.idcard.reader import open_simulated_card_reader
    from hall.enrolment import broker_login, own_credential
    from kiosk.adapters.http_case import HttpCaseService
    from kiosk.adapters.idcard import IdCardReader
    from kiosk.app import KioskApp
    from kiosk.ports import Ports
    from kiosk.sim.devices import SimCamera, SimPrinter, SimScanner
    from kiosk.sim.hall_link import SimHallLink
    from kiosk.wiring import build_kiosk, kiosk_folder, kiosk_voice

    secret = own_credential(settings, "kiosk-e2e").secret  # enrolled beforehand (hall.enrolment)
    cases = HttpCaseService(args.case_service_url, device_id="kiosk-e2e", secret=secret)
    opened = open_simulated_card_reader(IdCardSettings(interface="sam", timeout_seconds=0.5))
    ports = Ports(
        case_service=cases,
        card_reader=IdCardReader(opened.reader, recheck_seconds=0.3),
        scanner=SimScanner(),
        camera=SimCamera(),
        printer=SimPrinter(kiosk_folder(settings) / "printed"),
        hall=SimHallLink(),
        voice=kiosk_voice(settings),
    )
    if args.controller_url:
        from devices.protocol.device import ProtocolDevice
        from kiosk.adapters.hall_link import ControllerLink

        device = ProtocolDevice(settings.hall_id, "kiosk-e2e", kind="kiosk", capabilities=["tickets"])
        username, password = broker_login(settings, "kiosk-e2e")
        device.start(settings.resolved_mqtt_url, username, password, settings.mqtt_ca_file)
        ports.hall = ControllerLink(
            device,
            args.controller_url,
            ticket_service="business",
            locker_bank="locker-bank-01",
            credentials=cases.device_token,
        )
    if args.camera == "device":
        from kiosk.adapters.camera import DocumentCamera
        from kiosk.wiring import open_camera

        source = open_camera("document_camera", settings)
        ports.camera = DocumentCamera(source, dpi=settings.devices.camera.dpi, health=source.health)
    qr_camera = None
    if args.sign_in == "qr":
        from devices.camera.supervised import SupervisedSource
        from firmware_sim.capture.qr_camera import SimulatedQrCamera
        from kiosk.adapters.camera import CameraScanner

        qr_camera = SimulatedQrCamera(size=(720, 1280))
        shown_to = SupervisedSource(lambda: qr_camera, name="simulated QR camera", retry_seconds=1.0)
        ports.scanner = CameraScanner(shown_to, health=shown_to.health)
    if args.cups_queue:
        from devices.printing.cups_backend import CupsPrinter
        from kiosk.adapters.printer import DevicePrinter

        ports.printer = DevicePrinter(CupsPrinter(args.cups_queue, host=args.cups_host, port=args.cups_port))
    sims = {
        name: getattr(ports, name)
        for name in ("case_service", "card_reader", "scanner", "camera", "printer", "hall")
    }
    kiosk = build_kiosk(settings, ports, watch_interval=0.05, service_check_every=0.5)
    app = KioskApp(settings, kiosk)
    kiosk.connect(app.post)
    report = Report(started_at=started)
    if args.phase == "verify":
        steps = verify_visit(app, qr_camera, args.verify_qr, report.notes)
    elif args.phase != "apply":
        steps = come_back(app, opened, args.phase, report.notes, qr_camera)
    else:
        steps = end_to_end(app, opened, args.item, report.notes, ticket=bool(args.controller_url))
    args.out.mkdir(parents=True, exist_ok=True)
    progress: dict[str, Any] = {"step": None, "since": 0.0, "frames": 0}

    def finish(failed: str = "") -> None:
        report.failed = failed
        app.stop()

    def shoot(name: str) -> None:
        path = args.out / f"{args.prefix}-{args.orientation}-{name}.png"
        taken = Path(Window.screenshot(name=str(args.out / f".shot-{os.getpid()}.png")))
        taken.replace(path)
        if not args.full_size:
            from PIL import Image

            with Image.open(path) as image:
                small = image.convert("RGB").resize(
                    (image.width // 2, image.height // 2), Image.Resampling.LANCZOS
                )
            small.quantize(colors=96).save(path, optimize=True)
        report.shots.append(path.name)
        report.clipped.extend(f"{name}: {problem}" for problem in clipped_labels(Window, Window.size))

    def advance(_dt: float) -> None:
        step: Step | None = progress["step"]
        now = time.perf_counter()
        if step is None:
            progress["step"] = step = next(steps, None)
            if step is None:
                finish()
                return
            progress["since"], progress["frames"] = now, 0
            step.act()
            return
        if not kiosk.runner.idle() or not step.until(app.core.state):
            if now - progress["since"] > args.step_timeout:
                finish(
                    f"step {step.name!r} did not reach its screen within {args.step_timeout} s "
                    f"(at {app.core.state.screen})"
                )
            return
        if progress["frames"] == 0:
            report.timings.setdefault(step.name, []).append(now - progress["since"])
        progress["frames"] += 1
        if step.shot and progress["frames"] < 3:  # let the layout settle before a screenshot
            return
        if step.shot:
            shoot(step.shot)
        progress["step"] = None

    def ready(_dt: float) -> None:
        report.ready_after = time.perf_counter() - started
        Clock.schedule_interval(advance, 0)

    Clock.schedule_once(ready, 0.5)
    try:
        app.run()
    except Exception as err:  # the report must come out whatever happened
        report.failed = f"{type(err).__name__}: {err}"
    finally:
        kiosk.stop()
        report.printed = [job.title for job in getattr(sims["printer"], "jobs", [])]
        if opened is not None:
            opened.close()
        # Kivy routes sys.stdout into its logger: write the report to the real stdout.
        stdout = sys.__stdout__ or sys.stdout
        stdout.write(json.dumps(report.__dict__, ensure_ascii=False) + "\n")
        stdout.flush()
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
