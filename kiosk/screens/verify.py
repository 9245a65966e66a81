"""证照核验: hold a printed certificate's QR under the scanner; the verdict in plain words, name masked."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from kiosk.flow.state import KioskState
from kiosk.screens.base import KioskScreen, load_kv

load_kv("verify")


class VerifyScreen(KioskScreen):
    verdict = StringProperty("")
    details = StringProperty("")
    valid = BooleanProperty(False)
    shown = BooleanProperty(False)

    def render(self, state: KioskState) -> None:
        verdict = state.session.verification if state.session else None
        if verdict is None:  # waiting for a scan: nothing of the last one stays on screen
            self.verdict = self.details = ""
            self.valid = self.shown = False
            return
        self.shown, self.valid = True, verdict.valid
        self.verdict = self.t(verdict.message_key)
        lines: list[str] = []
        if verdict.holder_masked:
            lines.append(self.t("verify_holder", name=verdict.holder_masked))
        if verdict.certificate_name:
            lines.append(self.t("verify_certificate", name=verdict.certificate_name))
        if verdict.number:
            lines.append(self.t("verify_number", number=verdict.number))
        if verdict.valid_from or verdict.valid_until:
            end = verdict.valid_until or self.t("verify_no_end")
            lines.append(self.t("verify_validity", start=verdict.valid_from or "—", end=end))
        if verdict.authority:
            lines.append(self.t("verify_authority", name=verdict.authority))
        if verdict.superseded_by:
            lines.append(self.t("verify_superseded_by", number=verdict.superseded_by))
        self.details = "\n".join(lines)
