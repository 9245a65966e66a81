"""Capture each material (or reuse one from the library) with the completeness check shown live."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from kiosk.flow import events as ev
from kiosk.flow.model import Language
from kiosk.flow.state import KioskState
from kiosk.screens.base import KioskScreen, load_kv, make

load_kv("apply_capture")


class ApplyCaptureScreen(KioskScreen):
    completeness = StringProperty("")
    complete = BooleanProperty(False)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._library: dict[str, str] = {}

    def render(self, state: KioskState) -> None:
        session = state.session
        if session is None or session.item is None:
            return
        zh = session.language is Language.ZH
        missing = session.missing_materials()
        self.complete = not missing
        if not session.item.materials:
            self.completeness = self.t("no_material_list")
        elif missing:
            self.completeness = self.t("missing_count", count=len(missing))
        else:
            self.completeness = self.t("complete")
        captured = {m.material_code: m for m in session.captured}
        self._library = {doc.material_code: doc.document_id for doc in session.library}
        if self.unchanged("rows", session.language, session.item, session.captured, session.library):
            return
        box = self.ids.rows
        box.clear_widgets()
        for material in session.item.materials:
            got = captured.get(material.code)
            if got and got.library_document_id:
                status = "√ " + self.t("library_used")
            elif got:
                status = "√ " + self.t("captured")
            else:
                status = self.t("optional") if not material.required else "×"
            name = material.name_zh if zh else material.name_en
            box.add_widget(
                make(
                    "MaterialRow",
                    title=name,
                    status=status,
                    done=got is not None,
                    image_path=got.image_path if got else "",
                    code=material.code,
                    has_library=material.code in self._library and got is None,
                )
            )

    def capture(self, code: str) -> None:
        self.post(ev.CaptureRequested(code))

    def use_library(self, code: str) -> None:
        document = self._library.get(code)
        if document:
            self.post(ev.LibraryDocumentUsed(code, document))

    def submit(self) -> None:
        self.post(ev.SubmitRequested())
