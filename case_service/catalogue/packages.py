"""The “一件事一次办” packages of the catalogue: read from the bundled data file (data/packages.json),
each checked against the catalogue's current items (domain.packages.definition)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_service.catalogue.service import item_as_dict
from case_service.domain import packages
from case_service.domain.errors import NotFoundError
from case_service.storage.models import Item


@lru_cache(maxsize=1)
def bundled() -> dict[str, Any]:
    """The data file as written (the packages, the seeds' basis they cite)."""
    text = (resources.files("case_service.catalogue") / "data" / "packages.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@dataclass(frozen=True)
class Offered:
    """A package with its items' current versions and its one set of materials."""

    definition: packages.Definition
    items: list[dict[str, Any]]
    materials: list[packages.SharedMaterial]

    @property
    def available(self) -> bool:
        """Every item takes applications (none suspended or handed down)."""
        return all(item["status"] == "active" for item in self.items)

    def takes(self, channel: str) -> bool:
        return self.available and all(channel in item["channels"] for item in self.items)


def _current_items(session: Session, codes: set[str]) -> dict[str, dict[str, Any]]:
    rows = session.scalars(select(Item).where(Item.is_current.is_(True), Item.code.in_(sorted(codes))))
    return {row.code: item_as_dict(row) for row in rows}


def offered(session: Session) -> list[Offered]:
    raws = bundled()["packages"]
    current = _current_items(session, {code for raw in raws for code in raw["items"]})
    found = []
    for raw in raws:
        definition = packages.definition(raw, current)
        items = [current[code] for code in definition.items]
        found.append(Offered(definition, items, packages.union_materials(items)))
    return found


def get(session: Session, code: str) -> Offered:
    for package in offered(session):
        if package.definition.code == code:
            return package
    raise NotFoundError(f"no package with code {code!r}", details={"code": code})
