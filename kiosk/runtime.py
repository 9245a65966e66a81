"""Performs the flow's effects with the ports, off the UI thread, and answers with events.

`post` hands an event back; in the app it schedules it on the Kivy thread (Clock.schedule_once), in tests
it appends to a queue. Port errors become events here, at the boundary: nothing raised reaches the UI.
"""

from __future__ import annotations

import base64
import logging
import threading
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hall.calendar import china_today
from kiosk import documents
from kiosk.certificate_check import check_offline, trusted_keys
from kiosk.flow import effects as fx
from kiosk.flow import events as ev
from kiosk.flow.catalogue import containing, matching
from kiosk.flow.model import (
    Applicant,
    CardRefusal,
    Device,
    IdentifyMethod,
    ItemDetail,
    Language,
    SubmitOutcome,
    age_on,
)
from kiosk.flow.pinyin import is_pinyin_query
from kiosk.key_cache import CertificateKeyCache
from kiosk.messages import text
from kiosk.outbox import Outbox
from kiosk.ports import (
    CardRefusedError,
    DeviceFailureError,
    Identification,
    Ports,
    PrintDocument,
    RejectedError,
    ServiceUnavailableError,
)
from kiosk.scratch import Scratch

if TYPE_CHECKING:
    from hall.signing import Verifier

log = logging.getLogger(__name__)

Post = Callable[[ev.Event], None]


class Runner:
    def __init__(
        self,
        ports: Ports,
        outbox: Outbox,
        scratch: Scratch,
        post: Post,
        *,
        workers: int = 3,
        key_cache: CertificateKeyCache | None = None,
    ) -> None:
        self._ports = ports
        self._outbox = outbox
        self._scratch = scratch
        self._post = post
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="kiosk-io")
        self._voice = ThreadPoolExecutor(1, thread_name_prefix="kiosk-voice")
        self._count_lock = threading.Lock()
        self._items: dict[str, ItemDetail] = {}
        # Public certificate keys from the case service, for checking certificates while it is away.
        self._certificate_keys: Mapping[str, Verifier] = {}
        # ... kept on disk too (sealed), so a kiosk restarted during an outage has them.
        self._key_cache = key_cache
        self._load_certificate_keys()
        self._inflight = 0
        self._handlers: dict[type[fx.Effect], Callable[[Any], list[ev.Event]]] = {
            fx.Speak: self._speak,
            fx.Identify: self._identify,
            fx.SendCode: self._send_code,
            fx.SearchItems: self._search_items,
            fx.LoadItem: self._load_item,
            fx.Capture: self._capture,
            fx.Submit: self._submit,
            fx.LoadCases: self._load_cases,
            fx.LoadCertificates: self._load_certificates,
            fx.TakeTicket: self._take_ticket,
            fx.OpenLocker: self._open_locker,
            fx.Rate: self._rate,
            fx.FileComplaint: self._file_complaint,
            fx.FileHallComplaint: self._file_hall_complaint,
            fx.PrintGuide: self._print_guide,
            fx.PrintTicket: self._print_ticket,
            fx.PrintOutcome: self._print_outcome,
            fx.PrintCertificate: self._print_certificate,
            fx.VerifyCertificate: self._verify_certificate,
            fx.ReportFault: self._report_fault,
            fx.ReportRecovered: self._report_recovered,
            fx.Wipe: self._wipe,
            fx.FlushOutbox: self._flush_outbox,
        }

    def perform(self, effects: list[fx.Effect]) -> None:
        for effect in effects:
            pool = self._voice if isinstance(effect, fx.Speak) else self._pool
            with self._count_lock:
                self._inflight += 1
            pool.submit(self._run, effect)

    def idle(self) -> bool:
        """No effect is being performed (its answers, if any, have been posted)."""
        with self._count_lock:
            return self._inflight == 0

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._voice.shutdown(wait=False, cancel_futures=True)

    def _run(self, effect: fx.Effect) -> None:
        try:
            answers = self._dispatch(effect)
        except Exception:  # a bug must not leave the applicant waiting forever
            log.exception("effect %s failed", type(effect).__name__)
            serial = getattr(effect, "serial", None)
            answers = [ev.OperationFailed(serial, "service_error")] if isinstance(serial, int) else []
        try:
            for answer in answers:
                self._post(answer)
        finally:
            with self._count_lock:
                self._inflight -= 1

    def _dispatch(self, effect: fx.Effect) -> list[ev.Event]:
        handler = self._handlers.get(type(effect))
        if handler is None:
            log.error("no handler for effect %s", type(effect).__name__)
            return []
        return handler(effect)

    # Guarded calls --------------------------------------------------------------------------------

    def _service(self, serial: int, call: Callable[[], list[ev.Event]]) -> list[ev.Event]:
        try:
            return call()
        except ServiceUnavailableError:
            return [ev.ServiceUnreachable(), ev.OperationFailed(serial, "service_offline")]
        except RejectedError as err:
            return [ev.OperationFailed(serial, err.reason, err.params)]

    def _hall(self, serial: int, call: Callable[[], list[ev.Event]]) -> list[ev.Event]:
        try:
            return call()
        except ServiceUnavailableError:
            return [ev.OperationFailed(serial, "service_error")]
        except RejectedError as err:
            return [ev.OperationFailed(serial, err.reason, err.params)]

    def _print(self, serial: int, kind: str, make: Callable[[], PrintDocument]) -> list[ev.Event]:
        try:
            self._ports.printer.print_document(make())
        except DeviceFailureError as err:
            return [ev.DeviceFault(err.device, err.reason)]
        return [ev.Printed(serial, kind)]

    # Effects ---------------------------------------------------------------------------------------

    def _speak(self, effect: fx.Speak) -> list[ev.Event]:
        self._ports.voice.say(text(effect.key, effect.language, **dict(effect.params)), effect.language)
        return []

    def _identify(self, effect: fx.Identify) -> list[ev.Event]:
        case = self._ports.case_service
        try:
            if effect.method is IdentifyMethod.CARD and effect.card is not None:
                found: Identification = case.identify_card(effect.card)
            elif effect.method is IdentifyMethod.QR:
                found = case.identify_qr(effect.credential)
            else:
                phone, _, code = effect.credential.partition(":")
                found = case.identify_phone(phone, code)
        except ServiceUnavailableError:
            if effect.card is None:
                return [ev.ServiceUnreachable(), ev.IdentifyFailed(effect.serial, "service_offline")]
            # The card itself proves who is here: tickets, lockers and queued applications still work.
            card = effect.card
            applicant = Applicant(card.name, card.id_number, address=card.address)
            return [ev.ServiceUnreachable(), ev.Identified(effect.serial, applicant, "", offline=True)]
        except RejectedError as err:
            return [ev.IdentifyFailed(effect.serial, err.reason)]
        age = age_on(found.applicant.id_number, china_today())
        return [ev.Identified(effect.serial, found.applicant, found.token, found.library, age=age)]

    def _send_code(self, effect: fx.SendCode) -> list[ev.Event]:
        def call() -> list[ev.Event]:
            self._ports.case_service.send_code(effect.phone)
            return [ev.CodeSent(effect.serial)]

        return self._service(effect.serial, call)

    def warm_catalogue(self) -> None:
        """Keeps the catalogue at hand, so the guide and applications work while the service is away."""
        self._pool.submit(self._warm)

    def _warm(self) -> None:
        self._fetch_certificate_keys()
        try:
            for summary in self._ports.case_service.search_items(""):
                self._items[summary.item_id] = self._ports.case_service.item(summary.item_id)
        except (ServiceUnavailableError, RejectedError) as err:
            log.warning("catalogue not cached yet: %s", err)

    def _load_certificate_keys(self) -> None:
        published = self._key_cache.load() if self._key_cache is not None else None
        if published is None:
            return
        try:
            self._certificate_keys = trusted_keys(published)
        except ValueError as err:
            log.warning("cached certificate keys not usable: %s", err)

    def _fetch_certificate_keys(self) -> None:
        try:
            published = self._ports.case_service.certificate_keys()
            keys = trusted_keys(published)
        except (ServiceUnavailableError, RejectedError, ValueError) as err:
            log.warning("certificate keys not fetched: %s", err)
            return
        self._certificate_keys = keys
        if self._key_cache is not None:
            self._key_cache.save(published)
        log.info("certificate keys cached for offline checks: %s", ", ".join(sorted(keys)) or "none")

    def _verify_certificate(self, effect: fx.VerifyCertificate) -> list[ev.Event]:
        try:
            verdict = self._ports.case_service.verify_certificate(effect.text)
        except ServiceUnavailableError:
            if not self._certificate_keys:
                return [ev.ServiceUnreachable(), ev.OperationFailed(effect.serial, "verify_unavailable")]
            verdict = check_offline(effect.text, self._certificate_keys, china_today())
            return [ev.ServiceUnreachable(), ev.CertificateVerified(effect.serial, verdict)]
        except RejectedError as err:
            return [ev.OperationFailed(effect.serial, err.reason)]
        if not self._certificate_keys:
            self._fetch_certificate_keys()  # the service is up now: have them for the next outage
        log.info("certificate checked: %s", verdict.reason.value)
        return [ev.CertificateVerified(effect.serial, verdict)]

    def _search_items(self, effect: fx.SearchItems) -> list[ev.Event]:
        service = self._ports.case_service
        offline: list[ev.Event] = []
        try:
            wanted = effect.facet or is_pinyin_query(effect.query)
            whole = service.search_items("") if wanted else ()
            found = service.search_items(effect.query) if effect.query or not wanted else ()
        except ServiceUnavailableError:
            if not self._items:
                return [ev.ServiceUnreachable(), ev.OperationFailed(effect.serial, "service_offline")]
            whole = tuple(item.summary() for item in self._items.values())
            found = containing(whole, effect.query)
            offline = [ev.ServiceUnreachable()]
        except RejectedError as err:
            return [ev.OperationFailed(effect.serial, err.reason)]
        shown = matching(whole, found, effect.query, effect.facet, effect.value)
        return [*offline, ev.ItemsFound(effect.serial, shown)]

    def _load_item(self, effect: fx.LoadItem) -> list[ev.Event]:
        try:
            item = self._ports.case_service.item(effect.item_id)
        except ServiceUnavailableError:
            cached = self._items.get(effect.item_id)
            if cached is None:
                return [ev.ServiceUnreachable(), ev.OperationFailed(effect.serial, "service_offline")]
            return [ev.ServiceUnreachable(), ev.ItemLoaded(effect.serial, cached)]
        except RejectedError as err:
            return [ev.OperationFailed(effect.serial, err.reason)]
        self._items[item.item_id] = item
        return [ev.ItemLoaded(effect.serial, item)]

    def _capture(self, effect: fx.Capture) -> list[ev.Event]:
        try:
            page = self._ports.camera.capture_page()
        except DeviceFailureError as err:
            return [ev.DeviceFault(err.device, err.reason)]
        except RejectedError as err:
            return [ev.CaptureFailed(effect.serial, effect.material_code, err.reason)]
        path = self._scratch.save(effect.serial, page)
        return [ev.MaterialCaptured(effect.serial, effect.material_code, str(path))]

    def _submit(self, effect: fx.Submit) -> list[ev.Event]:
        body = submission_body(effect.submission)
        key = self._outbox.put({"token": effect.token, "body": body})  # on disk before anything is sent
        try:
            outcome = self._ports.case_service.submit(effect.token, body, key)
        except ServiceUnavailableError:
            queued = SubmitOutcome(queued=True)
            pending = len(self._outbox.pending())
            return [ev.ServiceUnreachable(), ev.OutboxChanged(pending), ev.Submitted(effect.serial, queued)]
        except RejectedError as err:
            self._outbox.set_aside(key, f"rejected: {err.reason}")
            return [ev.OperationFailed(effect.serial, err.reason)]
        self._outbox.remove(key)
        return [ev.Submitted(effect.serial, outcome)]

    def _load_cases(self, effect: fx.LoadCases) -> list[ev.Event]:
        return self._service(
            effect.serial,
            lambda: [ev.CasesLoaded(effect.serial, self._ports.case_service.cases(effect.token))],
        )

    def _load_certificates(self, effect: fx.LoadCertificates) -> list[ev.Event]:
        def call() -> list[ev.Event]:
            found = self._ports.case_service.certificates(effect.token)
            return [ev.CertificatesLoaded(effect.serial, found)]

        return self._service(effect.serial, call)

    def _take_ticket(self, effect: fx.TakeTicket) -> list[ev.Event]:
        def call() -> list[ev.Event]:
            ticket = self._ports.hall.take_ticket(effect.service, effect.id_number, effect.priority)
            return [ev.TicketTaken(effect.serial, ticket)]

        return self._hall(effect.serial, call)

    def _open_locker(self, effect: fx.OpenLocker) -> list[ev.Event]:
        return self._hall(
            effect.serial,
            lambda: [
                ev.LockerOpened(effect.serial, self._ports.hall.open_locker(effect.value, effect.method))
            ],
        )

    def _rate(self, effect: fx.Rate) -> list[ev.Event]:
        def call() -> list[ev.Event]:
            self._ports.case_service.rate(effect.token, effect.case_id, effect.score)
            return [ev.Rated(effect.serial, effect.case_id)]

        return self._service(effect.serial, call)

    def _file_complaint(self, effect: fx.FileComplaint) -> list[ev.Event]:
        summary = text(f"complaint_reason_{effect.reason}", Language.ZH)  # the department reads Chinese

        def call() -> list[ev.Event]:
            reply_by = self._ports.case_service.file_complaint(effect.token, effect.case_id, summary)
            return [ev.ComplaintFiled(effect.serial, effect.case_id, reply_by)]

        return self._service(effect.serial, call)

    def _file_hall_complaint(self, effect: fx.FileHallComplaint) -> list[ev.Event]:
        key = uuid.uuid4().hex  # one complaint, however often its sending is retried

        def call() -> list[ev.Event]:
            reply_by = self._ports.case_service.file_about_hall(effect.token, effect.topic, effect.phone, key)
            return [ev.HallComplaintFiled(effect.serial, reply_by, reachable=bool(effect.phone))]

        return self._service(effect.serial, call)

    def _print_guide(self, effect: fx.PrintGuide) -> list[ev.Event]:
        return self._print(effect.serial, "guide", lambda: documents.guide(effect.item, effect.language))

    def _print_ticket(self, effect: fx.PrintTicket) -> list[ev.Event]:
        return self._print(effect.serial, "ticket", lambda: documents.ticket(effect.ticket, effect.language))

    def _print_outcome(self, effect: fx.PrintOutcome) -> list[ev.Event]:
        if effect.supplement:

            def receipt() -> PrintDocument:
                return documents.supplement_receipt(effect.item, effect.outcome, effect.language)

            return self._print(effect.serial, "supplement_receipt", receipt)
        kind = "receipt" if effect.outcome.accepted else "notice"

        def make() -> PrintDocument:
            issued = None
            try:
                issued = self._ports.case_service.outcome_document(
                    effect.token, effect.outcome, effect.language
                )
            except (ServiceUnavailableError, RejectedError) as err:
                log.warning("the case service gave no %s document (%s): printing the kiosk's own", kind, err)
            return issued or documents.outcome(effect.item, effect.outcome, effect.language)

        return self._print(effect.serial, kind, make)

    def _print_certificate(self, effect: fx.PrintCertificate) -> list[ev.Event]:
        def call() -> list[ev.Event]:
            document = self._ports.case_service.certificate_document(effect.token, effect.certificate_id)
            answers = self._print(effect.serial, "certificate", lambda: document)
            failed = next((a for a in answers if isinstance(a, ev.DeviceFault)), None)
            outcome, reason = ("failed", failed.reason) if failed else ("completed", "")
            self._report_print(effect.certificate_id, document.print_id, outcome, reason)
            return answers

        return self._service(effect.serial, call)

    def _report_print(self, certificate_id: str, print_id: str, outcome: str, reason: str) -> None:
        """The case service's print record follows the job: a failed print shows "not printed" there."""
        if not print_id:
            return
        try:
            self._ports.case_service.certificate_printed(certificate_id, print_id, outcome, reason)
        except (ServiceUnavailableError, RejectedError) as err:
            # The record stays "requested"; staff see it in the certificate's print list.
            log.warning("print %s of %s: result %s not recorded: %s", print_id, certificate_id, outcome, err)

    def _report_fault(self, effect: fx.ReportFault) -> list[ev.Event]:
        try:
            self._ports.hall.report_fault(effect.device, effect.reason)
        except (ServiceUnavailableError, RejectedError) as err:
            log.warning("could not report the %s fault to the hall controller: %s", effect.device.value, err)
        return []

    def _report_recovered(self, effect: fx.ReportRecovered) -> list[ev.Event]:
        try:
            self._ports.hall.report_recovered(effect.device)
        except (ServiceUnavailableError, RejectedError) as err:
            log.warning("could not report the %s recovery: %s", effect.device.value, err)
        return []

    def _wipe(self, effect: fx.Wipe) -> list[ev.Event]:
        wiped = self._scratch.wipe(effect.serial)
        log.info("session %d ended: %d scratch file(s) wiped", effect.serial, wiped)
        return []

    def _flush_outbox(self, effect: fx.FlushOutbox) -> list[ev.Event]:
        case = self._ports.case_service

        def send(key: str, stored: dict[str, Any]) -> object:
            return case.submit(str(stored.get("token", "")), dict(stored.get("body", {})), key)

        return [ev.OutboxChanged(self._outbox.flush(send))]


def submission_body(submission: fx.Submission) -> dict[str, Any]:
    """The JSON sent to the case service: form fields and each material (image bytes or a library id)."""
    materials: list[dict[str, str]] = []
    for material in submission.materials:
        if material.library_document_id:
            materials.append(
                {"code": material.material_code, "library_document_id": material.library_document_id}
            )
        elif material.image_path:
            data = Path(material.image_path).read_bytes()
            image = base64.b64encode(data).decode()
            materials.append({"code": material.material_code, "image_png_base64": image})
    body: dict[str, Any] = {
        "item_id": submission.item_id,
        "form": dict(submission.form),
        "materials": materials,
        "channel": "kiosk",
    }
    if submission.case_id:
        body["case_id"] = submission.case_id
    return body


class Watcher:
    """Polls the card reader, the QR scanner, the printer and the case service; posts what changed."""

    def __init__(
        self, ports: Ports, post: Post, *, interval: float = 0.2, service_every: float = 5.0
    ) -> None:
        self._ports = ports
        self._post = post
        self._interval = interval
        self._service_every = max(1, round(service_every / interval))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="kiosk-watch", daemon=True)
        self._card_present = False
        self._card_refused: CardRefusal | None = None
        self._broken: set[Device] = set()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _loop(self) -> None:
        rounds = 0
        while not self._stop.wait(self._interval):
            self.poll(check_service=rounds % self._service_every == 0)
            rounds += 1

    def poll(self, *, check_service: bool = True) -> None:
        self._guard(Device.CARD_READER, self._poll_card)
        self._guard(Device.SCANNER, self._poll_scanner)
        self._guard(Device.PRINTER, self._poll_printer)
        if check_service:
            self._poll_service()

    def _guard(self, device: Device, poll: Callable[[], None]) -> None:
        try:
            poll()
        except DeviceFailureError as err:
            if device not in self._broken:
                self._broken.add(device)
                self._post(ev.DeviceFault(device, err.reason))
            return
        if device in self._broken:
            self._broken.discard(device)
            self._post(ev.DeviceRecovered(device))

    def _poll_card(self) -> None:
        try:
            card = self._ports.card_reader.current_card()
        except CardRefusedError as err:
            if self._card_present:  # the card read before is no longer a card we can use
                self._card_present = False
                self._post(ev.CardRemoved())
            if err.reason is not self._card_refused:  # once per card placed, not once per poll
                self._card_refused = err.reason
                self._post(ev.CardRefused(err.reason))
            return
        self._card_refused = None
        if card is not None and not self._card_present:
            self._card_present = True
            self._post(ev.CardInserted(card))
        elif card is None and self._card_present:
            self._card_present = False
            self._post(ev.CardRemoved())

    def _poll_scanner(self) -> None:
        code = self._ports.scanner.next_code()
        if code:
            self._post(ev.QrScanned(code))

    def _poll_printer(self) -> None:
        problem = self._ports.printer.problem()
        if problem:
            raise DeviceFailureError(Device.PRINTER, problem)

    def _poll_service(self) -> None:
        # Posted every time: the runner may have learnt of an outage first; the flow ignores repeats.
        self._post(ev.ServiceBack() if self._ports.case_service.reachable() else ev.ServiceUnreachable())
