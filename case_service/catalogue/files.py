"""An item's files: the blank forms, filled samples and result samples served to applicants, the kiosk and
the window. An administrator uploads a department's file under a name; the item's application form, while
no department's form has been uploaded under its name, is the hall's generic form (通用表样) drawn from the
item's current version. An upload is never replaced by the generic form."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from case_service.catalogue import service as catalogue
from case_service.documents.application_form import render_application_form
from case_service.domain.errors import InvalidInputError, NotFoundError
from case_service.storage import audit
from case_service.storage.models import ItemFile, MaterialBlob

GENERIC_LABEL = "通用表样"
UPLOADED_LABEL = "部门表样"
CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
}
# What the first bytes of a file must be for its name's ending (the Office formats are zip or OLE files).
MAGIC = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".doc": (b"\xd0\xcf\x11\xe0",),
    ".xls": (b"\xd0\xcf\x11\xe0",),
}
FORBIDDEN = set('/\\:*?"<>|')


@dataclass(frozen=True)
class Listed:
    name: str
    content_type: str
    generic: bool

    @property
    def label(self) -> str:
        return GENERIC_LABEL if self.generic else UPLOADED_LABEL


def extension(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def url(code: str, name: str) -> str:
    """Where the API serves the item's file (public)."""
    return f"/api/v1/items/{quote(code)}/files/{quote(name)}"


def check_name(name: str) -> str:
    """A file's name as stored: a plain name (no folder, no `..`), with one of the accepted endings."""
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInputError("文件名不能为空，且不超过200个字符", details={"name": name[:200]})
    if any(char in FORBIDDEN or ord(char) < 32 for char in name) or name.startswith("."):
        raise InvalidInputError('文件名不能包含路径或特殊字符（/ \\ : * ? " < > |）', details={"name": name})
    if extension(name) not in CONTENT_TYPES:
        raise InvalidInputError(
            f"文件类型不受支持，可上传：{'、'.join(sorted(CONTENT_TYPES))}",
            details={"name": name, "accepted": sorted(CONTENT_TYPES)},
        )
    return name


def form_name(item: dict[str, Any]) -> str:
    """The application form's name: as the guide names it (a material's template whose name says 申请),
    else 「<item name>申请表.pdf」."""
    for material in item.get("materials") or ():
        template = str(material.get("template") or "")
        if template and "申请" in material.get("name", "") and extension(template) == ".pdf":
            return template
    return f"{item['name']}申请表.pdf".replace("/", "／")


def uploads(session: Session, codes: list[str]) -> dict[str, list[ItemFile]]:
    rows = session.scalars(select(ItemFile).where(ItemFile.code.in_(codes)).order_by(ItemFile.name))
    found: dict[str, list[ItemFile]] = {}
    for row in rows:
        found.setdefault(row.code, []).append(row)
    return found


def listing(item: dict[str, Any], uploaded: list[ItemFile]) -> list[Listed]:
    """The files an item serves: its uploads and, unless one stands under its name, the generic form."""
    files = [Listed(row.name, row.content_type, generic=False) for row in uploaded]
    generic = form_name(item)
    if all(row.name != generic for row in uploaded):
        files.insert(0, Listed(generic, "application/pdf", generic=True))
    return files


@lru_cache(maxsize=64)
def _generic_pdf(code: str, version: int, fields: str) -> bytes:
    del code, version  # the cache's key: the version's fields say everything the form shows
    return render_application_form(json.loads(fields))


def fetch(session: Session, code: str, name: str) -> tuple[bytes, str]:
    """(content, content type) of one of the item's files."""
    stored = session.scalar(select(ItemFile).where(ItemFile.code == code, ItemFile.name == name))
    if stored is not None:
        blob = session.get(MaterialBlob, stored.sha256)
        if blob is not None:
            return blob.data, stored.content_type
    current = catalogue.current(session, code)
    item = catalogue.item_as_dict(current)
    if name != form_name(item):
        raise NotFoundError(f"事项 {code} 没有名为「{name}」的文件", details={"code": code, "name": name})
    shown = {key: item.get(key) for key in ("code", "name", "department", "materials")}
    return _generic_pdf(code, current.version, json.dumps(shown, ensure_ascii=False, sort_keys=True)), (
        "application/pdf"
    )


def upload(session: Session, code: str, name: str, data: bytes, *, actor: str) -> ItemFile:
    """Stores (or replaces) an administrator's file for the item; the content goes in material_blobs."""
    catalogue.current(session, code)  # the item exists
    name = check_name(name)
    ending = extension(name)
    if not data:
        raise InvalidInputError("文件为空", details={"name": name})
    if not data.startswith(MAGIC[ending]):
        raise InvalidInputError(f"文件内容与类型 {ending} 不符", details={"name": name, "expected": ending})
    digest = hashlib.sha256(data).hexdigest()
    content_type = CONTENT_TYPES[ending]
    if session.get(MaterialBlob, digest) is None:
        session.add(MaterialBlob(sha256=digest, content_type=content_type, size=len(data), data=data))
        session.flush()
    row = session.scalar(select(ItemFile).where(ItemFile.code == code, ItemFile.name == name))
    before = {"sha256": row.sha256, "size": row.size} if row is not None else None
    if row is None:
        row = ItemFile(code=code, name=name)
        session.add(row)
    row.sha256, row.content_type, row.size, row.uploaded_by = digest, content_type, len(data), actor
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="item.file",
        subject_type="item",
        subject_id=code,
        before=before,
        after={"name": name, "sha256": digest, "size": len(data)},
    )
    return row


def remove(session: Session, code: str, name: str, *, actor: str) -> None:
    """Removes an administrator's file (the generic form, if it is the form's name, is served again)."""
    row = session.scalar(select(ItemFile).where(ItemFile.code == code, ItemFile.name == name))
    if row is None:
        raise NotFoundError(f"事项 {code} 没有上传名为「{name}」的文件", details={"code": code, "name": name})
    session.execute(delete(ItemFile).where(ItemFile.id == row.id))
    audit.append(
        session,
        actor=actor,
        action="item.file.remove",
        subject_type="item",
        subject_id=code,
        before={"name": name, "sha256": row.sha256},
    )
