"""Certificates ready to print: the original once, marked copies after that."""

from __future__ import annotations

from kivy.factory import Factory

from kiosk.flow import events as ev
from kiosk.flow.model import Language
from kiosk.flow.state import KioskState
from kiosk.screens.base import KioskScreen, load_kv

load_kv("certificates")


class CertificatesScreen(KioskScreen):
    def render(self, state: KioskState) -> None:
        session = state.session
        if session is None:
            return
        zh = session.language is Language.ZH
        if self.unchanged("certificates", session.language, session.certificates):
            return
        box = self.ids.certificates
        box.clear_widgets()
        for certificate in session.certificates:
            card = Factory.Card()
            card.add_widget(Factory.Title(text=certificate.title_zh if zh else certificate.title_en))
            label = "print_copy" if certificate.originals_printed else "print_original"
            button = Factory.BigButton(text=self.t(label))
            button.bind(
                on_release=lambda _b, c=certificate.certificate_id: self.post(ev.CertificatePrintRequested(c))
            )
            card.add_widget(button)
            box.add_widget(card)
