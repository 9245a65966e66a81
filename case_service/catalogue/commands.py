"""`hall catalogue export|import`: the spreadsheet exchange run against the configured database."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.orm import Session

from case_service.catalogue import exchange, spreadsheet
from case_service.catalogue.service import import_bundled
from case_service.db import make_engine, make_session_factory
from case_service.storage.migrate import upgrade
from hall.settings import Settings


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    """The database as the case service prepares it at start (migrated, the bundled items seeded)."""
    engine = make_engine(settings.resolved_database_url)
    try:
        upgrade(engine)
        with make_session_factory(engine)() as session:
            import_bundled(session)
            session.commit()
            yield session
    finally:
        engine.dispose()


def export_file(settings: Settings, path: Path) -> int:
    """Writes the current catalogue to `path` (.xlsx), or to `<path>-items.csv` and `<path>-materials.csv`
    when `path` ends in .csv; returns how many items were written."""
    with _session(settings) as session:
        items = exchange.current_items(session)
    if path.suffix.lower() == ".csv":
        stem = path.with_suffix("")
        Path(f"{stem}-items.csv").write_bytes(
            spreadsheet.to_csv(spreadsheet.ITEM_HEADERS, spreadsheet.item_rows(items))
        )
        Path(f"{stem}-materials.csv").write_bytes(
            spreadsheet.to_csv(spreadsheet.MATERIAL_HEADERS, spreadsheet.material_rows(items))
        )
    else:
        path.write_bytes(spreadsheet.to_xlsx(items))
    return len(items)


def import_file(
    settings: Settings, path: Path, *, materials: Path | None = None, confirm: bool = False
) -> exchange.ImportPlan:
    """Reads an .xlsx (or an items CSV and, optionally, its materials CSV) and shows or makes the changes.
    The versions are made by `cli:<login name>`, so the bundled data never overwrites them."""
    if path.suffix.lower() == ".csv":
        tables = (
            spreadsheet.read_csv(path.read_bytes()),
            (spreadsheet.read_csv(materials.read_bytes()) if materials else None),
        )
    else:
        tables = spreadsheet.read_xlsx(path.read_bytes())
    read = spreadsheet.read_tables(*tables)
    with _session(settings) as session:
        plan = exchange.plan(session, read)
        if confirm:
            exchange.apply(session, plan, actor=f"cli:{getpass.getuser()}", source=path.name)
            session.commit()
    return plan
